"""The whole published dataset as NDJSON, streamed, for apps that ship an offline copy."""

import json
from collections.abc import Iterator
from itertools import islice

from django.core.serializers.json import DjangoJSONEncoder
from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.views import APIView

from kb.api.viewsets import shows_changes
from passwords.api.views import CardTypeViewSet, DefaultPasswordRuleViewSet, PasswordPolicyViewSet
from regions.api.views import RegionViewSet
from sources.api.views import SourceViewSet
from sources.changes import attach_change_notes

from .views import ChannelViewSet, FaqViewSet, ProcedureViewSet

NDJSON = "application/x-ndjson"
# In dependency order, so that a reader meets a region or source before whatever cites it.
SECTIONS = [
    ("region", RegionViewSet),
    ("source", SourceViewSet),
    ("card_type", CardTypeViewSet),
    ("channel", ChannelViewSet),
    ("password_rule", DefaultPasswordRuleViewSet),
    ("password_policy", PasswordPolicyViewSet),
    ("procedure", ProcedureViewSet),
    ("faq", FaqViewSet),
]
CHUNK = 500


def export_lines(request: Request) -> Iterator[str]:
    for kind, viewset in SECTIONS:
        queryset = viewset.queryset
        if hasattr(queryset.model, "status"):
            queryset = queryset.published()
        serializer_class = viewset.serializer_class
        with_changes = shows_changes(serializer_class)
        # iterator(chunk_size) keeps memory flat and still runs the viewsets' prefetches, chunk by chunk; the
        # change notes are read per chunk too.
        rows = queryset.order_by("pk").iterator(chunk_size=CHUNK)
        while chunk := list(islice(rows, CHUNK)):
            if with_changes:
                attach_change_notes(chunk)
            for obj in chunk:
                data = serializer_class(obj, context={"request": request}).data
                yield json.dumps({"type": kind, "data": data}, ensure_ascii=False, cls=DjangoJSONEncoder) + "\n"


class ExportView(APIView):
    @extend_schema(
        summary="The whole published dataset, one JSON object per line",
        description=(
            'Each line is {"type": ..., "data": ...}, with `data` shaped as the matching resource\'s detail: '
            "regions first, then sources, card types, channels, password rules, password policies, procedures and "
            "FAQs. Streamed; use `updated_since` on the lists to sync changes afterwards."
        ),
        responses={(200, NDJSON): OpenApiResponse(OpenApiTypes.STR, description="NDJSON lines.")},
    )
    def get(self, request: Request) -> StreamingHttpResponse:
        response = StreamingHttpResponse(export_lines(request), content_type=f"{NDJSON}; charset=utf-8")
        response["Content-Disposition"] = 'inline; filename="yibao-kb.ndjson"'
        return response
