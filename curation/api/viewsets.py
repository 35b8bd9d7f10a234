"""The read-only viewset every published resource uses: lists show published rows, archived ones answer 410."""

from collections.abc import Sequence

from django.urls import reverse
from django.utils.translation import get_language
from rest_framework import viewsets
from rest_framework.response import Response

from curation.changes import attach_change_notes
from curation.choices import Status
from curation.revisions import RevisionMemo, current_revision, get_many
from kb.api.problems import Gone

# Rendered rows a worker keeps in its own memory; the keys name the revision, so they never go stale.
ROWS = RevisionMemo(size=20_000)


def shows_changes(serializer_class) -> bool:
    return "changes" in getattr(serializer_class.Meta, "fields", ())


class CachedRepresentationMixin:
    """Lists built from each row's JSON representation, cached per content revision and language.

    Rendering a row through DRF's serializers costs far more than reading it. So a list page first reads only the
    ids of its rows (after the filters, ordering and pagination), takes the rows already rendered under the
    current revision from the cache, and loads and renders only the others, with the viewset's prefetches and their
    change notes (one query for them all). The query count stays fixed whatever the page size; a warm page costs two
    queries (count and ids).
    """

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        # A unique tiebreak, so that consecutive pages neither repeat nor skip rows that sort equal.
        ordering = list(queryset.query.order_by) or list(queryset.model._meta.ordering)
        queryset = queryset.order_by(*ordering, "pk")
        ids = self.paginate_queryset(queryset.select_related(None).prefetch_related(None).values_list("pk", flat=True))
        if ids is None:
            ids = list(queryset.values_list("pk", flat=True))
        return self.rows_response(ids)

    def rows_response(self, ids: Sequence[int]) -> Response:
        """The page of these rows (the paginator's, when there is one), each from the cache or rendered."""
        revision, language = current_revision().token, get_language()
        # The declared queryset's model: get_queryset() would build a queryset on every page just to name it.
        label = (self.queryset if self.queryset is not None else self.get_queryset()).model._meta.label_lower
        keys = {pk: f"kb:{revision}:row:{label}:{pk}:{language}" for pk in ids}
        rows = get_many(ROWS, keys, self.render_rows, revision=revision)
        # A row unpublished between reading the ids and the rows is left out rather than failing the page.
        data = [rows[pk] for pk in ids if pk in rows]
        return self.get_paginated_response(data) if self.paginator is not None else Response(data)

    def render_rows(self, ids: Sequence[int]) -> dict[int, dict]:
        objects = list(self.get_queryset().filter(pk__in=ids))
        if shows_changes(self.get_serializer_class()):
            attach_change_notes(objects)
        return {obj.pk: self.get_serializer(obj).data for obj in objects}


class PublishedContentViewSet(CachedRepresentationMixin, viewsets.ReadOnlyModelViewSet):
    lookup_field = "slug"
    lookup_value_regex = r"[-a-zA-Z0-9_]+"

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action == "retrieve":
            return queryset.filter(status__in=[Status.PUBLISHED, Status.ARCHIVED])
        return queryset.filter(status=Status.PUBLISHED)

    def get_object(self):
        instance = super().get_object()
        if instance.status == Status.ARCHIVED:
            successor = instance.replaced_by
            url = None
            if successor is not None and successor.status == Status.PUBLISHED:
                path = reverse(f"api:{self.basename}-detail", kwargs={self.lookup_field: successor.slug})
                url = self.request.build_absolute_uri(path)
            raise Gone(successor=url)
        return instance
