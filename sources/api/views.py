"""Endpoints for sources."""

from curation.api.viewsets import PublishedContentViewSet
from curation.api.writes import STAFF_RELATED, StaffContentViewSet
from sources.filtersets import SourceFilterSet
from sources.models import Source

from .serializers import SourceSerializer
from .staff import StaffSourceSerializer


class SourceViewSet(PublishedContentViewSet):
    queryset = Source.objects.order_by("title")
    serializer_class = SourceSerializer
    filterset_class = SourceFilterSet


class SourceStaffViewSet(StaffContentViewSet):
    public = SourceViewSet
    queryset = Source.objects.select_related(*STAFF_RELATED)
    serializer_class = StaffSourceSerializer
