"""The change feed: what changed for the public since a cursor, for apps that keep an offline copy.

An app downloads the export (its `Changes-Cursor` header is the cursor of the content it holds), then asks
`/api/v1/changes/?since=<cursor>` from time to time and applies the events in order: `created` and `updated` carry
the row as the export shows it (upsert it), `archived` and `deleted` name a row to drop. Events are written in the
transaction of the change, where the public revision moves (curation.events), so the feed's answers are cached by
that revision like every other public answer.
"""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db.models import Model
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from curation.events import latest_cursor, pruned_through
from curation.models import ChangeAction, ChangeEvent
from kb.api.filters import refuse_empty
from kb.api.problems import PROBLEM_CONTENT_TYPE, ProblemSerializer

from .export import SECTIONS, public_rows, render_rows

MAX_CURSOR = 2**63 - 1
CARRY_ROWS = (ChangeAction.CREATED, ChangeAction.UPDATED)


class CursorExpired(exceptions.APIException):
    status_code = 410
    default_code = "cursor_expired"


class CursorField(serializers.IntegerField):
    """Digits only: DRF's IntegerField also takes " 5", "+5", "5.0" and full-width digits, which the schema does not
    call an integer, and which would name one cursor by many cache keys."""

    def to_internal_value(self, data) -> int:
        if not isinstance(data, str) or not data.isascii() or not data.isdigit():
            self.fail("invalid")
        return super().to_internal_value(data)


class ChangeQuerySerializer(serializers.Serializer):
    since = CursorField(
        min_value=0,
        max_value=MAX_CURSOR,
        help_text="The cursor to go on from: the export's Changes-Cursor header, or the `cursor` of the last page.",
    )


class ChangeEventSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="The event's place in the feed; events come in increasing order.")
    action = serializers.ChoiceField(choices=ChangeAction.choices)
    type = serializers.ChoiceField(
        choices=[kind for kind, _viewset in SECTIONS], help_text="The export's `type` of the row."
    )
    identifier = serializers.CharField(help_text="The row's public identifier: its slug, or a region's code.")
    at = serializers.DateTimeField()
    url = serializers.URLField(allow_null=True, help_text="The row's address in the API; null for a deleted row.")
    data = serializers.JSONField(
        allow_null=True,
        help_text=(
            "For created and updated: the row as the export shows it now, or null when it is no longer published "
            "(a later event says what became of it). Null for archived and deleted."
        ),
    )


class ChangePageSerializer(serializers.Serializer):
    cursor = serializers.IntegerField(help_text="Ask with since=<cursor> next: the id of the last event here.")
    next = serializers.URLField(allow_null=True, help_text="The next page when more events follow now; else null.")
    results = ChangeEventSerializer(many=True)


# Model → (type, viewset) of the export's sections: the feed names rows as the export does.
def sections() -> dict[type[Model], tuple[str, type]]:
    return {viewset.queryset.model: (kind, viewset) for kind, viewset in SECTIONS}


def detail_path(model: type[Model], identifier: str) -> str:
    """The public address of a row of `model` (a section of the export) by its public identifier."""
    kind, viewset = sections()[model]
    return reverse(f"api:{kind.replace('_', '-')}-detail", kwargs={viewset.lookup_field: identifier})


class ChangesView(APIView):
    query_parameters = frozenset(ChangeQuerySerializer._declared_fields)

    @extend_schema(
        parameters=[ChangeQuerySerializer],
        responses={
            200: ChangePageSerializer,
            (410, PROBLEM_CONTENT_TYPE): OpenApiResponse(
                ProblemSerializer,
                description=(
                    "The cursor is older than the feed's retention (CHANGE_FEED_RETENTION_DAYS, by default 90 days), "
                    "or names no point of this feed: download /api/v1/export/ again and go on from its cursor."
                ),
            ),
        },
        summary="What changed for the public since a cursor",
        description=(
            "Events in the order they happened, a page at a time (CHANGE_FEED_PAGE_SIZE, by default 200): `created` "
            "and `updated` carry the row as the export shows it, `archived` and `deleted` name a row that left the "
            "export (a row unpublished or returned to draft is `deleted`). Start from the Changes-Cursor header of "
            "/api/v1/export/ and go on with `cursor`; applied in order to that export, they give what a new export "
            "would hold. Events are kept CHANGE_FEED_RETENTION_DAYS days."
        ),
    )
    def get(self, request: Request) -> Response:
        refuse_empty(request, ChangeQuerySerializer().fields)
        query = ChangeQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        since = query.validated_data["since"]
        if since < pruned_through():
            raise CursorExpired(
                _("Changes this old are no longer kept: download the export again and go on from its cursor.")
            )
        if since > latest_cursor():
            raise CursorExpired(
                _("This cursor names no point of the change feed: download the export again and go on from its cursor.")
            )
        size = settings.CHANGE_FEED_PAGE_SIZE
        events = list(ChangeEvent.objects.filter(id__gt=since).order_by("id")[: size + 1])
        more = len(events) > size
        events = events[:size]
        cursor = events[-1].pk if events else since
        next_url = None
        if more:
            next_url = request.build_absolute_uri(reverse("api:changes") + "?" + urlencode({"since": cursor}))
        return Response({"cursor": cursor, "next": next_url, "results": self.represent(request, events)})

    def represent(self, request: Request, events: list[ChangeEvent]) -> list[dict]:
        by_model = sections()
        types = {
            ct.pk: ct.model_class() for ct in ContentType.objects.filter(pk__in={e.content_type_id for e in events})
        }
        # The rows created and updated events carry, read once per type, as the export renders them.
        wanted: dict[type[Model], set[str]] = {}
        for event in events:
            if event.action in CARRY_ROWS:
                wanted.setdefault(types[event.content_type_id], set()).add(event.identifier)
        rendered: dict[tuple[type[Model], str], dict] = {}
        for model, identifiers in wanted.items():
            _kind, viewset = by_model[model]
            field = viewset.lookup_field
            rows = list(public_rows(viewset).filter(**{f"{field}__in": identifiers}))
            for obj, data in zip(rows, render_rows(viewset, rows), strict=True):
                rendered[(model, str(getattr(obj, field)))] = data
        results = []
        for event in events:
            model = types[event.content_type_id]
            kind, _viewset = by_model[model]
            url = None
            if event.action != ChangeAction.DELETED:
                url = request.build_absolute_uri(detail_path(model, event.identifier))
            results.append(
                {
                    "id": event.pk,
                    "action": event.action,
                    "type": kind,
                    "identifier": event.identifier,
                    "at": event.at,
                    "url": url,
                    "data": rendered.get((model, event.identifier)) if event.action in CARRY_ROWS else None,
                }
            )
        return results
