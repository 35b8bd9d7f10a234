"""Read-only endpoints for sources."""

from kb.api.viewsets import PublishedContentViewSet
from sources.filtersets import SourceFilterSet
from sources.models import Source

from .serializers import SourceSerializer


class SourceViewSet(PublishedContentViewSet):
    queryset = Source.objects.order_by("title")
    serializer_class = SourceSerializer
    filterset_class = SourceFilterSet
