"""Top-level URL configuration: the admin, the API under /api/v1/, its schema and docs, the widget, robots.txt."""

import os
import sys

from django.contrib import admin
from django.db import InterfaceError, OperationalError
from django.urls import include, path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import defaults
from django.views.generic import RedirectView

from curation.review_queue import review_queue
from kb import health, robots
from kb.api.guards import is_api_path
from kb.api.problems import json_problem_response
from kb.api.schema_views import DocsView, RedocView, SchemaView
from kb.favicon import favicon
from kb.freshness import freshness

admin.site.site_header = gettext_lazy("Yibao KB curation")
admin.site.site_title = gettext_lazy("Yibao KB")
admin.site.index_title = gettext_lazy("Content")
# The admin index links the freshness dashboard and the review queue, with its counts.
admin.site.index_template = "admin/kb_index.html"

urlpatterns = [
    path("", RedirectView.as_view(url="/api/v1/", permanent=False)),
    path("admin/freshness/", admin.site.admin_view(freshness), name="admin-freshness"),
    path("admin/review-queue/", admin.site.admin_view(review_queue), name="admin-review-queue"),
    path("admin/", admin.site.urls),
    path("favicon.ico", favicon, name="favicon"),
    path("robots.txt", robots.robots_txt, name="robots-txt"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("api/v1/", include(("kb.api_router", "api"), namespace="api")),
    path("api/schema/", SchemaView.as_view(), name="schema"),
    # The split view serves Swagger UI's init script from its own address (?script): no inline script to allow.
    path("api/docs/", DocsView.as_view(url_name="schema"), name="docs"),
    path("api/redoc/", RedocView.as_view(url_name="schema"), name="redoc"),
    path("", include("embed.urls")),
]

if os.environ.get("BENCH_CEILING_BODY"):
    from bench.ceiling import ceiling

    urlpatterns.append(path("bench/ceiling/", ceiling))


def handler400(request, exception):
    # Refused before any view runs (a Host not served here, too many parameters): still JSON under /api/.
    if is_api_path(request.path):
        return json_problem_response(request, 400, _("The request could not be understood."), "bad_request")
    return defaults.bad_request(request, exception)


def handler404(request, exception):
    # Unknown addresses under /api/ answer in the API's error shape, not with an HTML page.
    if is_api_path(request.path):
        return json_problem_response(request, 404, _("No API resource lives at this address."), "not_found")
    return defaults.page_not_found(request, exception)


def handler500(request):
    # Called while the exception is being handled: a database that went away is a 503 the client may retry.
    if isinstance(sys.exc_info()[1], (OperationalError, InterfaceError)):
        response = json_problem_response(
            request, 503, _("The database is unavailable; try again shortly."), "service_unavailable"
        )
        response["Retry-After"] = "5"
        return response
    if is_api_path(request.path) or request.path.startswith(("/embed/", "/oembed")):
        return json_problem_response(
            request, 500, _("The server failed to answer; the error is logged."), "server_error"
        )
    return defaults.server_error(request)
