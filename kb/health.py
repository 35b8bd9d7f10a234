"""Probes for orchestrators and load balancers: /healthz (the process answers) and /readyz (it can serve)."""

import logging
import uuid

from django.core.cache import cache
from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache

from kb.methods import read_only

logger = logging.getLogger(__name__)


@never_cache
@read_only()
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@never_cache
@read_only()
def readyz(request: HttpRequest) -> JsonResponse:
    """Ready while the database answers. A cache that does not answer is reported as degraded and keeps the process
    in rotation: answers then come from the database (kb/cache.py), slower but right, and taking every instance out
    at once because their shared Redis died would turn a slowdown into an outage."""
    checks = {"database": "ok", "cache": "ok"}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        logger.warning("readiness: database unreachable")
        checks["database"] = "unreachable"
    key = f"kb:readyz:{uuid.uuid4().hex}"
    try:
        # A cache that fails returns nothing rather than raising (IGNORE_EXCEPTIONS): a round trip tells.
        cache.set(key, 1, 5)
        answered = cache.get(key) == 1
        cache.delete(key)
    except Exception:
        answered = False
    if not answered:
        logger.warning("readiness: cache unreachable, serving from the database")
        checks["cache"] = "degraded"
    if checks["database"] != "ok":
        return JsonResponse({"status": "unavailable", "checks": checks}, status=503)
    return JsonResponse({"status": "ok" if checks["cache"] == "ok" else "degraded", "checks": checks})
