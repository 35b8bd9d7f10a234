"""Page-number pagination with a total count and a capped page size; a malformed page request is a 400."""

from django.utils.translation import gettext as _
from rest_framework import pagination
from rest_framework.exceptions import ValidationError

MAX_PAGE_SIZE = 100
# Far beyond the last page of any list (3,211 regions, one a page); the schema's maximum, so a client knows the bound.
MAX_PAGE = 10_000


def positive_int(request, name: str, *, maximum: int | None = None) -> int | None:
    raw = request.query_params.get(name)
    if raw is None:
        return None
    if not raw.isascii() or not raw.isdigit() or int(raw) < 1 or (maximum is not None and int(raw) > maximum):
        limit = (
            _("a whole number from 1 to %(maximum)d") % {"maximum": maximum} if maximum else _("a whole number from 1")
        )
        raise ValidationError({name: [_("Must be %(limit)s.") % {"limit": limit}]})
    return int(raw)


class PageNumberPagination(pagination.PageNumberPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE

    def get_page_size(self, request) -> int:
        return positive_int(request, self.page_size_query_param, maximum=self.max_page_size) or self.page_size

    def paginate_queryset(self, queryset, request, view=None):
        positive_int(request, self.page_query_param, maximum=MAX_PAGE)
        return super().paginate_queryset(queryset, request, view)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["minimum"] = 1
            if parameter["name"] == self.page_query_param:
                parameter["schema"]["maximum"] = MAX_PAGE
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] |= {"maximum": self.max_page_size, "default": self.page_size}
        return parameters
