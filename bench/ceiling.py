"""The benchmark's ceiling: a bare Django view that returns a precomputed body as large as the lookup's.

Mounted only when BENCH_CEILING_BODY names a file (the benchmark sets it), so that it runs in the same server,
behind the same middleware and settings as the API it is compared with.
"""

import os

from django.http import HttpRequest, HttpResponse

BODY_PATH = os.environ.get("BENCH_CEILING_BODY", "")
BODY = open(BODY_PATH, "rb").read() if BODY_PATH else b""  # noqa: SIM115 - read once at start-up


def ceiling(request: HttpRequest) -> HttpResponse:
    return HttpResponse(BODY, content_type="application/json")
