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
    checks = {"database": "ok", "cache": "ok"}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        logger.warning("readiness: database unreachable")
        checks["database"] = "unreachable"
    try:
        key = f"kb:readyz:{uuid.uuid4().hex}"
        cache.set(key, 1, 5)
        if cache.get(key) != 1:
            raise ConnectionError("cache did not return what was stored")
        cache.delete(key)
    except Exception:
        logger.warning("readiness: cache unreachable")
        checks["cache"] = "unreachable"
    ready = all(state == "ok" for state in checks.values())
    return JsonResponse({"status": "ok" if ready else "unavailable", "checks": checks}, status=200 if ready else 503)
