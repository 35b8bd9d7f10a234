"""Endpoints for sources."""

from curation.api.writes import STAFF_RELATED, ContentViewSet
from sources.filtersets import SourceFilterSet
from sources.models import Source

from .serializers import SourceSerializer
from .staff import StaffSourceSerializer


class SourceViewSet(ContentViewSet):
    queryset = Source.objects.order_by("title")
    serializer_class = SourceSerializer
    staff_queryset = Source.objects.select_related(*STAFF_RELATED)
    staff_serializer_class = StaffSourceSerializer
    filterset_class = SourceFilterSet
