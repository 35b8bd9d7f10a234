"""The read-only viewset every published resource uses: lists show published rows, archived ones answer 410."""

from django.db.models import Prefetch
from django.urls import reverse
from rest_framework import viewsets

from sources.choices import Status
from sources.models import Source

from .problems import Gone


def published_sources(path: str = "sources") -> Prefetch:
    """Prefetched for the serializers' `sources`: only published sources are cited."""
    return Prefetch(path, queryset=Source.objects.published())


class PublishedContentViewSet(viewsets.ReadOnlyModelViewSet):
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
