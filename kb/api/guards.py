"""Requests refused before any view runs, answered in the API's error shape rather than with an HTML page."""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from .problems import json_problem_response

# Far above any query the API takes (its longest legitimate ones are a few hundred bytes). gunicorn lets request
# lines up to 1 MiB through to here (gunicorn.conf.py).
MAX_QUERY_STRING = 4096


# Where every query parameter must be one the address takes (ApiGuardMiddleware.process_view).
CHECKED_PREFIXES = ("/api/", "/embed/", "/oembed")
# Parameters any public GET may carry and that change nothing: jQuery's `cache: false` adds `_=<time>` to defeat
# browser caches. They are left out of the response cache's key (curation/api/caching.py), so they cannot defeat it.
IGNORED_PARAMETERS = frozenset({"_"})
# Views of other libraries, by URL name: the schema (format, lang) and the documentation pages (Swagger UI's
# init script is served at ?script).
LIBRARY_VIEW_PARAMETERS = {
    "schema": frozenset({"format", "lang"}),
    "docs": frozenset({"lang", "script"}),
    "redoc": frozenset({"lang"}),
}


def query_parameters(*names: str, refuse: Callable | None = None) -> Callable:
    """Declares the query parameters a function view takes; any other is refused with a 400 before it runs, in
    problem+json, or by `refuse(request, errors)` for a view whose errors take another shape (the widget's page)."""

    def declare(view: Callable) -> Callable:
        view.query_parameters = frozenset(names)
        view.refuse_parameters = refuse
        return view

    return declare


def known_parameters(view_func: Callable, method: str, view_name: str | None) -> frozenset[str] | None:
    """The query parameters the view takes for this method, as the schema documents them; None where nothing is
    declared (not an API view) or where the view does not take the method at all, so that its 405 comes first."""
    # HEAD is a GET without its body, OPTIONS asks about the same address.
    method = "get" if method in ("head", "options") else method
    if view_name in LIBRARY_VIEW_PARAMETERS:
        return LIBRARY_VIEW_PARAMETERS[view_name] if method == "get" else None
    declared = getattr(view_func, "query_parameters", None)
    if declared is not None:
        return declared if method == "get" else None
    cls = getattr(view_func, "cls", None)
    if cls is None:
        return None
    actions = getattr(view_func, "actions", None)
    if actions is None:
        if not hasattr(cls, method):
            return None
        return getattr(cls, "query_parameters", None)
    action = actions.get(method)
    if action is None:
        return None
    # A viewset: only lists take filters and pages; a detail, an action or a write takes no parameter.
    if action != "list":
        return frozenset()
    settings = {**vars(cls), **getattr(view_func, "initkwargs", {})}
    names: set[str] = set()
    if getattr(cls, "filterset_class", None) is not None and settings.get("filter_backends", cls.filter_backends):
        names |= set(cls.filterset_class.base_filters)
    paginator = settings.get("pagination_class", cls.pagination_class)
    if paginator is not None:
        names |= {paginator.page_query_param, paginator.page_size_query_param} - {None}
    return frozenset(names)


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
        if request.path.startswith("/api/") and self.body_too_large(request):
            detail = _("The request body is larger than %(limit)d bytes.") % {"limit": settings.API_MAX_BODY_BYTES}
            # Refused before anything reads it, so a client cannot make a worker hold megabytes.
            return json_problem_response(request, 413, detail, "body_too_large")
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

    @staticmethod
    def body_too_large(request: HttpRequest) -> bool:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            # A malformed length reads as no body (Django's own handling); nothing large is read.
            return False
        return length > settings.API_MAX_BODY_BYTES

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs) -> HttpResponse | None:
        """A parameter the address does not take is a 400 naming it: answering as if it were not there would hide a
        client's typo (`regoin=`), and each new one would miss the response cache."""
        if not request.path.startswith(CHECKED_PREFIXES) or not request.GET:
            return None
        match = request.resolver_match
        known = known_parameters(view_func, request.method.lower(), match.view_name if match else None)
        if known is None:
            return None
        unknown = sorted(set(request.GET) - known - IGNORED_PARAMETERS)
        if not unknown:
            return None
        if known:
            message = _("This address takes no such parameter; it takes: %(names)s.") % {
                "names": ", ".join(sorted(known))
            }
        else:
            message = _("This address takes no query parameters.")
        errors = [{"parameter": name, "detail": message} for name in unknown]
        refuse = getattr(view_func, "refuse_parameters", None)
        if refuse is not None:
            return refuse(request, errors)
        detail = "; ".join(f"{name}: {message}" for name in unknown)
        return json_problem_response(request, 400, detail, "invalid_parameter", errors=errors)
