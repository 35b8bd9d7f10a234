"""The fast path: an anonymous public read skips the middleware that do nothing for it.

A GET or HEAD of the public API, its schema, the widget or oEmbed without a token and without Django's session or
CSRF cookie reads no session, no user, no messages and no CSRF token, writes no history and cannot sign in; its answer
is the same for every asker (curation/api/caching.py). Yet the full chain runs all twenty middleware for it, a 304
and a cached answer included. This middleware, right inside the metrics, sends such a request down a second chain
built from the same MIDDLEWARE, in the same order, less those that do nothing for it (SKIPPED): every header the
answer carries is added by the same code as on the full path (tests/test_fast_path.py compares them header by
header). The metrics' own view, template and exception hooks run on both paths, so nothing is counted differently.

It also lets the request trust the worker's copy of the public revision for PUBLIC_REVISION_MEMO_SECONDS
(curation/revisions.py), and be counted by the anonymous throttle in batches (kb/api/throttling.py). PUBLIC_FAST_PATH
(on by default) turns it off, and the answer memo below with it.

`AnswerMemo` sits before Django itself (kb/wsgi.py): a worker that has given an anonymous public answer gives the
same bytes again, with a request id of its own, to a request that names it exactly (see `AnswerMemo.key`), while the
public revision stays the one it was made under, without building a request, running any middleware or view.
"""

import datetime
import io
import logging
import threading
import time
from collections import OrderedDict
from types import SimpleNamespace

from django.conf import settings
from django.core.handlers.base import BaseHandler
from django.core.handlers.exception import convert_exception_to_response
from django.core.handlers.wsgi import WSGIRequest
from django.http import HttpRequest, HttpResponse
from django.http.request import HttpHeaders
from django.utils import timezone, translation
from django.utils.http import http_date
from django.utils.module_loading import import_string
from django_prometheus.middleware import Metrics

from curation import registry
from curation.api.caching import ANSWER_REVISION, CACHED_PREFIXES, PUBLIC_ANSWERS, PublicAnswer
from curation.revisions import current_revision
from kb.api.anonymous import anonymous_read
from kb.api.encoding import with_coding
from kb.api.guards import IGNORED_PARAMETERS, MAX_QUERY_STRING
from kb.api.throttling import ANONYMOUS_READS, EXPORT_PATH, REFUSED
from kb.observability import log_request, request_id_for

logger = logging.getLogger(__name__)

# What these do is needed only by staff and the signed-in: the admin's session, sign-in and its lock-out, messages,
# the CSRF token of forms, the history's user; and static files, which live under another prefix.
SKIPPED = frozenset(
    {
        "whitenoise.middleware.WhiteNoiseMiddleware",
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.middleware.csrf.CsrfViewMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        "django.contrib.messages.middleware.MessageMiddleware",
        "simple_history.middleware.HistoryRequestMiddleware",
        "axes.middleware.AxesMiddleware",
    }
)
HOOKS = ("process_view", "process_template_response", "process_exception")


def is_anonymous_public_read(request: HttpRequest) -> bool:
    """A public read (curation/api/caching.py) by someone not signed in: the fast path's and the replicas' question.

    The fast path asks before the session is read, and must not read it (that is what it spares): there, only the
    absence of a token and of Django's session and CSRF cookies vouches for it. Middleware inside
    AuthenticationMiddleware (the replicas' router) ask the session itself, through `request.user`: a stale or
    made-up session cookie is anonymous, and the request still takes the full path, whose SessionMiddleware then
    deletes that cookie."""
    if not PublicAnswer.is_public_read(request) or "HTTP_AUTHORIZATION" in request.META:
        return False
    user = getattr(request, "user", None)
    if user is not None:
        return not user.is_authenticated
    cookies = request.COOKIES
    return settings.SESSION_COOKIE_NAME not in cookies and settings.CSRF_COOKIE_NAME not in cookies


class PublicChain(BaseHandler):
    """The inner middleware less SKIPPED, ending in Django's own view dispatch (`BaseHandler._get_response`: URL
    resolution, view hooks, the view, template responses, exception hooks), as `BaseHandler.load_middleware` builds
    the full chain; `outer` lends its hooks alone (the metrics' per-view counts)."""

    def __init__(self, outer: list[str], inner: list[str]) -> None:
        super().__init__()
        self._view_middleware, self._template_response_middleware, self._exception_middleware = [], [], []
        handler = convert_exception_to_response(self._get_response)
        for path in reversed(inner):
            instance = import_string(path)(handler)
            self.add_hooks(instance)
            handler = convert_exception_to_response(instance)
        for path in reversed(outer):
            self.add_hooks(import_string(path)(handler))
        self._middleware_chain = handler

    def add_hooks(self, instance) -> None:
        if hasattr(instance, "process_view"):
            self._view_middleware.insert(0, instance.process_view)
        if hasattr(instance, "process_template_response"):
            self._template_response_middleware.append(instance.process_template_response)
        if hasattr(instance, "process_exception"):
            self._exception_middleware.append(instance.process_exception)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self._middleware_chain(request)


class PublicFastPathMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response
        names = list(settings.MIDDLEWARE)
        here = names.index(f"{__name__}.{type(self).__name__}")
        self.public = PublicChain(names[:here], [name for name in names[here + 1 :] if name not in SKIPPED])

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if settings.PUBLIC_FAST_PATH and is_anonymous_public_read(request):
            token = anonymous_read.set(True)
            try:
                return self.public(request)
            finally:
                anonymous_read.reset(token)
        return self.get_response(request)


# Everything of a request an anonymous public answer can depend on, besides the content (the public revision) and
# the day: the address as Django builds it (scheme, proxies' headers, host), the query as sent, and every header the
# answers vary on (Vary: Accept, Accept-Language, Accept-Encoding, Origin) or are conditional on. A request carrying
# anything that could make its answer personal (a token, any cookie, a body) is never answered from the memo.
KEYED = (
    "REQUEST_METHOD", "wsgi.url_scheme", "HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_HOST", "HTTP_HOST",
    "SERVER_NAME", "SERVER_PORT", "SCRIPT_NAME", "PATH_INFO", "QUERY_STRING", "HTTP_ACCEPT", "HTTP_ACCEPT_LANGUAGE",
    "HTTP_ACCEPT_ENCODING", "HTTP_ORIGIN", "HTTP_IF_NONE_MATCH", "HTTP_IF_MODIFIED_SINCE",
)  # fmt: skip
# What the template of an assembled answer is kept under: all of the key but the query and the conditional headers.
TEMPLATE_KEYED = [
    index
    for index, name in enumerate(KEYED)
    if name not in ("QUERY_STRING", "HTTP_IF_NONE_MATCH", "HTTP_IF_MODIFIED_SINCE")
]
VARIES_ON = frozenset({"accept", "accept-language", "accept-encoding", "origin", "authorization"})
PERSONAL = ("HTTP_AUTHORIZATION", "HTTP_COOKIE", "CONTENT_LENGTH", "HTTP_TRANSFER_ENCODING")


def ignored_parameters(environ: dict) -> bool:
    """Whether the query carries a parameter that changes no answer (`_`, a widget's `embed_id`): each new value would
    take a place in the memo for an answer it already holds, so such requests are answered by Django's own cache."""
    names = {part.partition("=")[0] for part in environ.get("QUERY_STRING", "").split("&")}
    return bool(names & (IGNORED_PARAMETERS | {"embed_id"}))


class Measures:
    """What a memoised answer writes when given again: the path as Django's request names it in the log, and
    django-prometheus' counts as its middleware make them for an answer no view gave (a 304, a cached one)."""

    __slots__ = ("counters", "path", "request_sizes", "response_sizes", "timers")

    def __init__(self, environ: dict, status: str, served: str) -> None:
        # The transport as the metrics name it (scheme and the proxy's header are both in the memo's key).
        request = WSGIRequest(environ)
        self.path = request.path
        transport = "https" if request.is_secure() else "http"
        metrics, code, view = Metrics.get_instance(), status.split(" ", 1)[0], "<unnamed view>"
        method = environ["REQUEST_METHOD"]
        self.counters = [
            metrics.requests_total,
            metrics.responses_total,
            metrics.requests_by_method.labels(method=method),
            metrics.requests_by_transport.labels(transport=transport),
            metrics.responses_by_status.labels(status=code),
            metrics.responses_by_status_view_method.labels(status=code, view=view, method=method),
            metrics.responses_by_charset.labels(charset="utf-8"),
            PUBLIC_ANSWERS.labels(served),
        ]
        self.timers = [metrics.requests_latency_before, metrics.requests_latency_by_view_method.labels(view, method)]
        self.request_sizes, self.response_sizes = metrics.requests_body_bytes, metrics.responses_body_bytes


# What Measures reads of a request: its path as Django's request makes it, and its scheme (with the proxy's header
# that SECURE_PROXY_SSL_HEADER names).
MEASURED = ("REQUEST_METHOD", "PATH_INFO", "SCRIPT_NAME", "SCRIPT_URL", "REDIRECT_URL", "wsgi.url_scheme")


class Memoised:
    """One answer as Django gave it, and what it is valid for."""

    __slots__ = ("body", "environ", "headers", "measures", "request_id_at", "revision", "status", "until")

    def __init__(self, environ: dict, day: datetime.date, status: str, headers: list[tuple[str, str]], body: bytes):
        self.revision = environ[ANSWER_REVISION]
        # Answers for "today" (the lookup's default `on`, Last-Modified) hold until the midnight after the day the
        # request began on: one that ran across midnight is never given again.
        tomorrow = day + datetime.timedelta(days=1)
        midnight = datetime.datetime.combine(tomorrow, datetime.time(), tzinfo=timezone.get_current_timezone())
        self.until = midnight.timestamp()
        self.status, self.body = status, body
        self.request_id_at = next(i for i, (name, _value) in enumerate(headers) if name == "X-Request-ID")
        self.headers = headers
        # Its measures are made when it is first given again: most answers to requests that differ each time (a
        # lookup for another day, another page size) never are. Only what they read is kept (not the headers: a
        # client's padding would weigh on the memo beyond MAX_BYTES, which counts bodies).
        names = (*MEASURED, *(settings.SECURE_PROXY_SSL_HEADER or ())[:1])
        self.environ = {name: environ[name] for name in names if name in environ}
        self.environ["wsgi.input"] = io.BytesIO()
        # By how it is served: given again ("memo"), or as the template of assembled answers ("assembled").
        self.measures: dict[str, Measures] = {}

    def measured(self, served: str = "memo") -> Measures:
        measures = self.measures.get(served)
        if measures is None:
            # Two threads giving it at once may both make them: the same values either way.
            measures = self.measures[served] = Measures(self.environ, self.status, served)
        return measures


class AnswerMemo:
    """WSGI middleware, before Django: answers again what this worker answered before (see the module's docstring).

    What it keeps is what Django gave: a 200 or a 304 to an anonymous public GET or HEAD that any shared cache may
    store (`Cache-Control: public`, no cookie set, varying on nothing the key leaves out), with the revision it is of.
    A request names it only with the very same keyed values; the public revision is checked on every answer (the
    worker's copy, PUBLIC_REVISION_MEMO_SECONDS old at most, as on the fast path) and the day too. The anonymous
    throttle still counts every answer, as the fast path counts (`BatchedCounts`: in batches, with a stated overshoot);
    a request it refuses goes the full way for its 429, marked so that Django's throttle does not count it again.
    Request logs and metrics are written as for any answer.

    A GET of a path for which an app registered an assembler (`curation.registry.assembled_before_django`: the
    lookup) that the memo does not hold is answered here too, when the assembler takes its query: with the body it
    assembles, fitted into the headers Django gave another query of that path under the same request headers (its
    template, of the same revision and day). What an answer's query changes in them is worked out as Django works it
    out: the ETag and Last-Modified (`PublicAnswer`), the content coding (`with_coding`), the length and the request
    id. A coding other than the template's, a query the assembler does not take, a conditional request: Django
    answers."""

    SIZE = 512
    MAX_BODY = 1 << 20
    MAX_BYTES = 32 << 20
    TEMPLATES = 256

    def __init__(self, application) -> None:
        self.application = application
        self.lock = threading.Lock()
        self.answers: OrderedDict[tuple, Memoised] = OrderedDict()
        self.bytes = 0
        self.templates: dict[tuple, Memoised] = {}

    @staticmethod
    def key(environ: dict) -> tuple | None:
        if not settings.PUBLIC_FAST_PATH or environ["REQUEST_METHOD"] not in ("GET", "HEAD"):
            return None
        path = environ.get("PATH_INFO", "")
        if not path.startswith(CACHED_PREFIXES) or path == EXPORT_PATH:
            return None
        if any(environ.get(name) for name in PERSONAL):
            return None
        return tuple(environ.get(name) for name in KEYED)

    def __call__(self, environ: dict, start_response):
        key = self.key(environ)
        if key is None:
            return self.application(environ, start_response)
        started = time.perf_counter()
        try:
            answer = self.answers.get(key)
            if answer is not None:
                if self.valid(answer) and self.admitted(environ):
                    return self.answer(key, answer, environ, start_response, started)
            else:
                answer = self.assembled(key, environ)
                if answer is not None and self.admitted(environ):
                    self.keep(key, answer)
                    return self.answer(key, answer, environ, start_response, started, served="assembled")
        except Exception:
            # Whatever fails here (the primary away when the revision is read, an address the throttle cannot read)
            # is Django's to answer, with its error handling, replica fallback, logs and metrics.
            logger.warning("answer memo passed a request on to Django", exc_info=True)
        day = timezone.localdate()
        given: list = []

        def keep_status(status, headers, exc_info=None):
            given[:] = [status, headers]
            return start_response(status, headers, exc_info)

        body = self.application(environ, keep_status)
        revision = environ.get(ANSWER_REVISION)
        if revision is None or not given or not self.storable(*given):
            return body
        try:
            content = b"".join(body)
        finally:
            if hasattr(body, "close"):
                body.close()
        if len(content) <= self.MAX_BODY and not ignored_parameters(environ):
            try:
                memoised = Memoised(environ, day, given[0], list(given[1]), content)
                self.keep(key, memoised)
                if self.assembler(environ) is not None and memoised.status.startswith("200 "):
                    self.keep_template(key, memoised)
            except Exception:
                logger.warning("answer memo could not keep an answer", exc_info=True)
        return [content]

    @staticmethod
    def assembler(environ: dict):
        """The assembler registered for this request's path, for a GET that names no answer it holds already.

        None where public reads are answered from read replicas (curation/replicas.py): an assembler reads what the
        worker holds, and builds what it lacks from the primary, outside the replica's snapshot and its fallbacks."""
        if (
            environ["REQUEST_METHOD"] != "GET"
            or environ.get("HTTP_IF_NONE_MATCH")
            or environ.get("HTTP_IF_MODIFIED_SINCE")
            or settings.DATABASE_REPLICAS
        ):
            return None
        return registry.ASSEMBLED_BEFORE_DJANGO.get(environ.get("PATH_INFO", ""))

    @staticmethod
    def template_key(key: tuple) -> tuple:
        # From the memo's key, read before Django saw the request (its handler fills in SCRIPT_NAME).
        return tuple(key[index] for index in TEMPLATE_KEYED)

    def keep_template(self, key: tuple, answer: Memoised) -> None:
        with self.lock:
            if len(self.templates) >= self.TEMPLATES:
                self.templates = {}
            self.templates[self.template_key(key)] = answer

    def assembled(self, key: tuple, environ: dict) -> Memoised | None:
        """The answer Django would give this request, from its path's assembler and a template (see the class)."""
        assemble = self.assembler(environ)
        # The guard's refusal of an over-long query comes before any view's reading of it (kb/api/guards.py).
        if assemble is None or len(environ.get("QUERY_STRING", "")) > MAX_QUERY_STRING:
            return None
        template = self.templates.get(self.template_key(key))
        if template is None or not self.valid(template):
            return None
        day = timezone.localdate()
        headers = dict(template.headers)
        request = WSGIRequest(environ)
        token = anonymous_read.set(True)
        try:
            # The language Django chose for the same Accept-Language, as the answer's key and fragments name it.
            with translation.override(headers.get("Content-Language")):
                public = PublicAnswer.of(request)
                if public is None or public.revision != template.revision:
                    return None
                body = assemble(request)
                if body is None:
                    return None
                variants = with_coding({"identity": body}, public.coding) or {"identity": body}
        finally:
            anonymous_read.reset(token)
        coding = public.coding if public.coding in variants else "identity"
        if coding != headers.get("Content-Encoding", "identity"):
            return None
        body = variants[coding]
        given = {
            "ETag": public.etag,
            "Last-Modified": http_date(public.last_modified),
            "Content-Length": str(len(body)),
        }
        fitted = [(name, given.get(name, value)) for name, value in template.headers]
        answer = Memoised(environ | {ANSWER_REVISION: public.revision}, day, template.status, fitted, body)
        # Its measures as an assembled answer are the template's: the same status, path and transport.
        answer.measures = {"assembled": template.measured("assembled")}
        return answer

    @staticmethod
    def valid(answer: Memoised) -> bool:
        if time.time() >= answer.until:
            return False
        token = anonymous_read.set(True)
        try:
            return current_revision().token == answer.revision
        finally:
            anonymous_read.reset(token)

    @staticmethod
    def admitted(environ: dict) -> bool:
        """Whether the anonymous throttle lets the request through (`BatchedCounts.wait`, as the fast path's
        ThrottleMiddleware asks). Only a request it refuses goes the full way, for its 429."""
        # The throttle's client address is read from the headers as Django's request would (kb/login_limits.py).
        asker = SimpleNamespace(META=environ, headers=HttpHeaders(environ), method=environ["REQUEST_METHOD"])
        # Not Django's whole path where no batch admits it: a worker slowed down would send ever more that way.
        wait = ANONYMOUS_READS.wait(asker, "anonymous", settings.API_ANON_THROTTLE_RATE)
        if wait is not None:
            environ[REFUSED] = wait
        return wait is None

    @staticmethod
    def storable(status: str, headers: list[tuple[str, str]]) -> bool:
        if not status.startswith(("200 ", "304 ")):
            return False
        names = {name.lower(): value for name, value in headers}
        cache_control = {part.strip().split("=")[0] for part in names.get("cache-control", "").lower().split(",")}
        varies = {part.strip().lower() for part in names.get("vary", "").split(",") if part.strip()}
        return (
            "public" in cache_control
            and not cache_control & {"private", "no-store", "no-cache"}
            and "set-cookie" not in names
            and "x-request-id" in names
            and varies <= VARIES_ON
        )

    def keep(self, key: tuple, answer: Memoised) -> None:
        with self.lock:
            replaced = self.answers.pop(key, None)
            self.bytes += len(answer.body) - (len(replaced.body) if replaced is not None else 0)
            self.answers[key] = answer
            while len(self.answers) > self.SIZE or self.bytes > self.MAX_BYTES:
                _key, evicted = self.answers.popitem(last=False)
                self.bytes -= len(evicted.body)

    def answer(
        self, key: tuple, answer: Memoised, environ: dict, start_response, started: float, served: str = "memo"
    ) -> list[bytes]:
        with self.lock:
            # The least recently given goes first when the memo is full.
            if key in self.answers:
                self.answers.move_to_end(key)
        request_id = request_id_for(environ.get("HTTP_X_REQUEST_ID", ""))
        headers = answer.headers.copy()
        headers[answer.request_id_at] = ("X-Request-ID", request_id)
        # Before the answer starts: if they cannot be made, Django answers instead.
        measures = answer.measured(served)
        start_response(answer.status, headers)
        for counter in measures.counters:
            counter.inc()
        if environ.get("HTTP_X_REQUESTED_WITH") == "XMLHttpRequest":
            Metrics.get_instance().requests_ajax.inc()
        elapsed = time.perf_counter() - started
        for timer in measures.timers:
            timer.observe(elapsed)
        measures.request_sizes.observe(0)
        measures.response_sizes.observe(len(answer.body))
        log_request(request_id, environ["REQUEST_METHOD"], measures.path, int(answer.status[:3]), started)
        return [answer.body]
