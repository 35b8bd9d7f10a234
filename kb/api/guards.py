"""Requests refused before any view runs, answered in the API's error shape rather than with an HTML page."""

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from .problems import json_problem_response

# Far above any query the API takes (its longest legitimate ones are a few hundred bytes). gunicorn lets request
# lines up to 1 MiB through to here (gunicorn.conf.py).
MAX_QUERY_STRING = 4096


def is_api_path(path: str) -> bool:
    """/api and everything under it, in any letter case: /API/, /Api/v1/... are still asked of the API."""
    return path.lower() == "/api" or path.lower().startswith("/api/")


class ApiGuardMiddleware:
    """Answers an over-long query string with a JSON 400, and any /api address that is not exactly under /api/
    (`/api` without its slash, `/API/...`) with a JSON 404, before Django's slash-appending redirect or its HTML
    404 page could answer it. A parameter given twice is a 400 naming it: which of the two counts is ambiguous
    (caches and proxies may disagree with Django's last-wins), so neither does."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if len(request.META.get("QUERY_STRING", "")) > MAX_QUERY_STRING:
            detail = _("The query string is longer than %(limit)d bytes.") % {"limit": MAX_QUERY_STRING}
            # A 400 rather than 414 URI Too Long: the API documents every refused parameter as a 400.
            return json_problem_response(request, 400, detail, "query_too_long")
        if is_api_path(request.path) and not request.path.startswith("/api/"):
            return json_problem_response(
                request, 404, _("No API resource lives at this address; the API is under /api/v1/."), "not_found"
            )
        if request.path.startswith("/api/"):
            repeated = [name for name, values in request.GET.lists() if len(values) > 1]
            if repeated:
                message = _("Give this parameter once.")
                errors = [{"parameter": name, "detail": message} for name in repeated]
                detail = "; ".join(f"{name}: {message}" for name in repeated)
                return json_problem_response(request, 400, detail, "invalid_parameter", errors=errors)
        return self.get_response(request)
