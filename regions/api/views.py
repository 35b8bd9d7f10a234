"""Read-only endpoints for regions, addressed by their six-digit code."""

from django.core.exceptions import ValidationError
from rest_framework import viewsets

from curation.api.viewsets import CachedRepresentationMixin
from regions.filtersets import RegionFilterSet
from regions.models import Region
from regions.search import region_index

from .serializers import RegionSerializer

SEARCH_FIELD = RegionFilterSet.base_filters["search"].field


class RegionViewSet(CachedRepresentationMixin, viewsets.ReadOnlyModelViewSet):
    # parent chain for RegionSerializer.full_name and .parent: a county's ancestors are three levels up at most.
    queryset = Region.objects.select_related("parent__parent__parent").order_by("code")
    serializer_class = RegionSerializer
    filterset_class = RegionFilterSet
    lookup_field = "code"
    lookup_value_regex = r"[0-9]{6}"

    # A search with nothing else but the page is answered from the worker's index, without the database.
    INDEXED_PARAMETERS = {"search", "page", "page_size"}

    @classmethod
    def searches_index(cls, parameters) -> bool:
        return "search" in parameters and not set(parameters) - cls.INDEXED_PARAMETERS

    @classmethod
    def built_in_worker(cls, request, match) -> bool:
        # Answered from the index, as `list` does (curation/api/caching.py keeps such pages in the worker alone).
        return match.func.actions.get("get") == "list" and cls.searches_index(request.GET)

    def list(self, request, *args, **kwargs):
        parameters = request.query_params
        if not self.searches_index(parameters):
            return super().list(request, *args, **kwargs)
        try:
            # The search field's own checks, without building the filter set's form (it deep-copies every filter).
            SEARCH_FIELD.clean(parameters["search"])
        except ValidationError:
            return super().list(request, *args, **kwargs)  # the filter backend's 400
        ids = region_index().search(parameters["search"])
        page = self.paginate_queryset(ids)
        return self.rows_response(ids if page is None else page)
