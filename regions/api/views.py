"""Read-only endpoints for regions, addressed by their six-digit code."""

from rest_framework import viewsets

from curation.api.viewsets import CachedRepresentationMixin
from regions.filtersets import RegionFilterSet
from regions.models import Region

from .serializers import RegionSerializer


class RegionViewSet(CachedRepresentationMixin, viewsets.ReadOnlyModelViewSet):
    # parent chain for RegionSerializer.full_name and .parent: a county's ancestors are three levels up at most.
    queryset = Region.objects.select_related("parent__parent__parent").order_by("code")
    serializer_class = RegionSerializer
    filterset_class = RegionFilterSet
    lookup_field = "code"
    lookup_value_regex = r"[0-9]{6}"
