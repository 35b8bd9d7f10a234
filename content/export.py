"""The whole published dataset as NDJSON, for apps that ship an offline copy.

Rendering it costs seconds of CPU, so it is rendered once per content revision and language, gzipped into a file
(EXPORT_DIR), and every request until the next change is served from that file: as it is to clients that take gzip
(nearly all), decompressed on the way to the others. A file lock makes one worker build while the others wait for
its result instead of building the same thing beside it. Files are on the local disk, not in the shared cache: a
cache outage does not bring the seconds of CPU back, and each server of a fleet builds its own copy once.
"""

import contextlib
import fcntl
import gzip
import json
import logging
import os
import tempfile
import time
from collections.abc import Iterator
from itertools import islice
from pathlib import Path

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.db.models import Model, QuerySet
from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.utils.cache import patch_vary_headers
from django.utils.translation import get_language
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.views import APIView

from curation.api.viewsets import shows_changes
from curation.changes import attach_change_notes
from curation.events import latest_cursor
from curation.revisions import Revision, current_revision
from kb.api.encoding import accepts_gzip
from passwords.api.views import CardTypeViewSet, DefaultPasswordRuleViewSet, PasswordPolicyViewSet
from procedures.api.views import ChannelViewSet, FaqViewSet, ProcedureViewSet
from regions.api.views import RegionViewSet
from sources.api.views import SourceViewSet

logger = logging.getLogger(__name__)
NDJSON = "application/x-ndjson"
# The change feed's cursor of the content exported: /api/v1/changes/?since=<it> lists what changed after.
CURSOR_HEADER = "Changes-Cursor"
# In dependency order, so that a reader meets a region or source before whatever cites it.
SECTIONS = [
    ("region", RegionViewSet),
    ("source", SourceViewSet),
    ("card_type", CardTypeViewSet),
    ("channel", ChannelViewSet),
    ("password_rule", DefaultPasswordRuleViewSet),
    ("password_policy", PasswordPolicyViewSet),
    ("procedure", ProcedureViewSet),
    ("faq", FaqViewSet),
]
CHUNK = 500
# Snapshots of earlier revisions are removed once they are this old: a request that started on one may still be
# reading it (an open file outlives its name, but a worker whose revision copy lags may still ask for it).
STALE_SNAPSHOT_SECONDS = 120


def public_rows(viewset) -> QuerySet:
    """What the export holds of a section: every published row (every region)."""
    queryset = viewset.queryset
    if hasattr(queryset.model, "status"):
        queryset = queryset.published()
    return queryset


def render_rows(viewset, objects: list[Model]) -> list[dict]:
    """The rows as the export shows them; the change feed shows its rows the same way."""
    if shows_changes(viewset.serializer_class):
        attach_change_notes(objects)
    return [viewset.serializer_class(obj).data for obj in objects]


def export_lines() -> Iterator[str]:
    for kind, viewset in SECTIONS:
        # iterator(chunk_size) keeps memory flat and still runs the viewsets' prefetches, chunk by chunk; the
        # change notes are read per chunk too.
        rows = public_rows(viewset).order_by("pk").iterator(chunk_size=CHUNK)
        while chunk := list(islice(rows, CHUNK)):
            for data in render_rows(viewset, chunk):
                yield json.dumps({"type": kind, "data": data}, ensure_ascii=False, cls=DjangoJSONEncoder) + "\n"


def snapshot_path(revision: Revision, language: str) -> Path:
    return Path(settings.EXPORT_DIR) / f"export-{revision.token}-{language}.ndjson.gz"


def cursor_path(path: Path) -> Path:
    """Beside each snapshot, the change feed's cursor it was built at: the feed goes on from there."""
    return path.with_name(path.name.removesuffix(".ndjson.gz") + ".cursor")


def build_snapshot(path: Path) -> None:
    """Writes the export into `path`, whole or not at all (a temporary file renamed into place), and its cursor
    beside it first, so that a snapshot that exists has one."""
    started = time.perf_counter()
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".building-")
    try:
        with os.fdopen(descriptor, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=6) as out:
            outermost = not connection.in_atomic_block
            with transaction.atomic():
                if outermost and connection.vendor == "postgresql":
                    # One consistent view of the content across the export's many queries, and of the change
                    # feed: the cursor names the last event of the content exported, no earlier, no later.
                    with connection.cursor() as cursor:
                        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                cursor = latest_cursor()
                for line in export_lines():
                    out.write(line.encode())
        write_atomically(cursor_path(path), str(cursor))
        os.replace(temporary, path)
        logger.info("export built", extra={"duration_ms": round((time.perf_counter() - started) * 1000, 2)})
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    remove_stale_snapshots(keep=path)


def write_atomically(path: Path, text: str) -> None:
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".building-")
    with os.fdopen(descriptor, "w") as out:
        out.write(text)
    os.replace(temporary, path)


def remove_stale_snapshots(*, keep: Path) -> None:
    cutoff = time.time() - STALE_SNAPSHOT_SECONDS
    for other in keep.parent.glob("export-*"):
        if other not in (keep, cursor_path(keep)) and other.stat().st_mtime < cutoff:
            with contextlib.suppress(FileNotFoundError):
                other.unlink()


def snapshot(revision: Revision, language: str) -> Path:
    """The gzipped export of `revision` in `language`, built by the first request that needs it."""
    path = snapshot_path(revision, language)
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.parent / ".lock", "w") as lock:
        # Whoever holds the lock builds; the others wait and then find the file.
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if not path.exists():
                build_snapshot(path)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return path


def decompressed(path: Path) -> Iterator[bytes]:
    with gzip.open(path, "rb") as stream:
        while block := stream.read(64 * 1024):
            yield block


class ExportView(APIView):
    query_parameters = frozenset()

    @extend_schema(
        summary="The whole published dataset, one JSON object per line",
        description=(
            'Each line is {"type": ..., "data": ...}, with `data` shaped as the matching resource\'s detail: '
            "regions first, then sources, card types, channels, password rules, password policies, procedures and "
            "FAQs. Built once per change of the content and served from storage: gzip-encoded "
            "(`Content-Encoding: gzip`) to clients whose Accept-Encoding takes gzip. Throttled more strictly than "
            "the rest of the API (API_EXPORT_THROTTLE_RATE, by default 10 an hour per client address); send "
            "If-None-Match with the last ETag to get a 304 while nothing changed. The Changes-Cursor header is "
            "where /api/v1/changes/ goes on from: its events, applied in order, keep the copy in step, deletions "
            "and archiving included."
        ),
        # Bytes, for generators: NDJSON is not one JSON document, and a client reads it line by line.
        responses={(200, NDJSON): OpenApiResponse(OpenApiTypes.BINARY, description="NDJSON lines, UTF-8.")},
        parameters=[
            OpenApiParameter(
                CURSOR_HEADER,
                OpenApiTypes.INT,
                OpenApiParameter.HEADER,
                response=[200],
                description="The change feed's cursor of the content exported: go on with /api/v1/changes/?since=.",
            )
        ],
    )
    def get(self, request: Request) -> HttpResponse:
        path = snapshot(current_revision(), get_language())
        cursor = cursor_path(path).read_text()
        content_type = f"{NDJSON}; charset=utf-8"
        if accepts_gzip(request):
            response = FileResponse(open(path, "rb"), content_type=content_type)  # noqa: SIM115 (closed by Django)
            response["Content-Encoding"] = "gzip"
        else:
            response = StreamingHttpResponse(decompressed(path), content_type=content_type)
        response["Content-Disposition"] = 'inline; filename="yibao-kb.ndjson"'
        response[CURSOR_HEADER] = cursor
        patch_vary_headers(response, ("Accept-Encoding",))
        return response
