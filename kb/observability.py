"""Structured request logs with a request id, returned to the client as X-Request-ID.

Logged: method, path (never the query string, which could carry anything a client typed), status, duration and
the id. No body, no header, no address: nothing personal, nothing secret.
"""

import contextvars
import logging
import random
import re
import threading
import time
import traceback

import orjson
from django.http import HttpRequest, HttpResponse

REQUEST_ID = contextvars.ContextVar("request_id", default="-")
INCOMING_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
logger = logging.getLogger("kb.requests")


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = REQUEST_ID.get()
        return True


class RepeatedProblemFilter(logging.Filter):
    """Lets the first warning or error of a kind through, then holds back its repeats for `interval` seconds and
    counts them; the next one let through says how many were held back.

    An outage makes every request fail the same way: a PostgreSQL that is away, a Redis that died. One traceback per
    request (thousands a minute) buries everything else in the log and costs the CPU the survivors need. A kind is
    the logger, the level and, for an exception, its root cause's class and the line that raised it; otherwise the
    message's template, whatever its arguments (a path, an address). Requests' own INFO lines are never held
    back."""

    def __init__(self, interval: float = 60.0) -> None:
        super().__init__()
        self.interval = interval
        self.lock = threading.Lock()
        # kind → (when the one let through was logged, how many were held back since)
        self.seen: dict[tuple, tuple[float, int]] = {}

    @staticmethod
    def kind(record: logging.LogRecord) -> tuple:
        if record.exc_info and record.exc_info[1] is not None:
            # The root cause: a dead server fails every cache or database call at the same line, whichever call it
            # was (get, set, a query) and however the libraries wrap it.
            error = record.exc_info[1]
            while (cause := error.__cause__ or error.__context__) is not None and cause is not error:
                error = cause
            frames = traceback.extract_tb(error.__traceback__)
            where = (frames[-1].filename, frames[-1].lineno) if frames else ()
            return (record.name, record.levelno, type(error).__qualname__, *where)
        return (record.name, record.levelno, str(record.msg))

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING:
            return True
        kind = self.kind(record)
        now = time.monotonic()
        with self.lock:
            logged_at, held_back = self.seen.get(kind, (None, 0))
            if logged_at is not None and now - logged_at < self.interval:
                self.seen[kind] = (logged_at, held_back + 1)
                return False
            self.seen[kind] = (now, 0)
        if held_back:
            record.repeated = held_back
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for log collectors."""

    # `repeated`: how many more of the same problem RepeatedProblemFilter held back before this one.
    FIELDS = ("method", "path", "status", "duration_ms", "repeated")

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
        }
        entry |= {name: getattr(record, name) for name in self.FIELDS if hasattr(record, name)}
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        # orjson: a fraction of json.dumps's time, and every request logs a line.
        return orjson.dumps(entry, default=str).decode()


def request_id_for(incoming: str) -> str:
    """The id a request is known by: the caller's own, where it cannot smuggle anything into the logs, else a new one.
    128 random bits without a system call (uuid4 reads os.urandom each time); `random` is reseeded in each forked
    worker. An id names a request, it guards nothing."""
    return incoming if INCOMING_ID.match(incoming) else f"{random.getrandbits(128):032x}"


def log_request(request_id: str, method: str, path: str, status: int, started: float) -> None:
    """The request's line in the log, however it was answered (curation/api/fastpath.py answers some before Django)."""
    logger.info(
        "request",
        extra={
            "request_id": request_id,
            "method": method,
            "path": path[:200],
            "status": status,
            "duration_ms": round((time.perf_counter() - started) * 1000, 2),
        },
    )


class RequestIdMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request_id_for(request.headers.get("X-Request-ID", ""))
        token = REQUEST_ID.set(request_id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = request_id
            log_request(request_id, request.method, request.path, response.status_code, started)
            return response
        finally:
            REQUEST_ID.reset(token)
