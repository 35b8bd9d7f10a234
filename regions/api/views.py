"""Read-only endpoints for regions, addressed by their six-digit code."""

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from rest_framework import viewsets
from rest_framework.exceptions import APIException
from rest_framework.request import Request

from curation.api.viewsets import CachedRepresentationMixin
from kb.api.renderers import dumps
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


def assembled(request: HttpRequest) -> bytes | None:
    """The JSON body RegionViewSet.list gives a search with nothing else but a page, from the worker's index and rows;
    None for any other query (another filter, a parameter sent twice or empty, a search the field refuses, a page
    beyond the last), which Django answers, with its errors. Registered with curation.registry.assembled_before_django:
    such a search is then answered before Django's middleware and DRF's dispatch (curation/api/fastpath.py)."""
    parameters = request.GET
    if not RegionViewSet.searches_index(parameters):
        return None
    if any(len(values) != 1 or not values[0].strip() for _name, values in parameters.lists()):
        return None
    try:
        SEARCH_FIELD.clean(parameters["search"])
    except ValidationError:
        return None
    view = RegionViewSet(action="list", args=(), kwargs={}, format_kwarg=None)
    view.request = Request(request)
    try:
        response = view.list(view.request)
    except APIException:
        return None
    return dumps(response.data)
