"""The benchmark's ceilings: a bare Django view that returns a precomputed body as large as the lookup's.

Served twice, each under the same gunicorn settings: by the app itself, behind all of its middleware (mounted in
kb/urls.py only when BENCH_CEILING_BODY names a file), and by a Django of its own with only SecurityMiddleware and
CommonMiddleware (`bench.bare_settings`, which makes this module its URLconf): the ceiling that shows what the app's
middleware costs.
"""

import os

from django.http import HttpRequest, HttpResponse
from django.urls import path

BODY_PATH = os.environ.get("BENCH_CEILING_BODY", "")
BODY = open(BODY_PATH, "rb").read() if BODY_PATH else b""  # noqa: SIM115 - read once at start-up


def ceiling(request: HttpRequest) -> HttpResponse:
    return HttpResponse(BODY, content_type="application/json")


urlpatterns = [path("bench/ceiling/", ceiling)]
