"""Conditional GETs and whole-response caching for the public API and the embeddable widget, keyed by
the public revision.

Every answer of the public API is a function of the request (path, query, language, Accept where DRF negotiates,
Accept-Encoding) and of the published content, whose state the public revision names (curation/revisions.py; a draft
save does not move it). So:
- the ETag is derived from those inputs, without rendering the body, and If-None-Match is answered with 304
  before any view runs;
- Last-Modified is the moment content last changed (the first change of the transaction that changed it last),
  for If-Modified-Since;
- a rendered 200 is kept in the cache under the same key, and a repeat is served from there: no SQL at all.
A publish bumps the public revision, so every key changes at once and nothing stale can be served.

Each concern is one middleware, outermost first: what caches on the way may do (`CacheControlMiddleware`), the
throttle (kb.api.throttling), the staff answers' headers, the conditional GET, the response cache.

Answers are stored with each content coding the site answers in (kb.api.encoding), compressed once, when first
asked for: a warm answer costs no compression. Each coding is its own representation, with its own ETag.

Staff tools send a token (`Authorization`) to /api/v1/: they may read drafts, so their answers are never cached,
neither here nor by anyone on the way (`Cache-Control: private`, and every answer at /api/v1/ but a 429 varies on
Authorization, 304s and errors included), and a valid token is not throttled as an anonymous client. Writes are
never cached.
"""

import functools
import hashlib
import re
from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.urls import Resolver404, ResolverMatch, URLResolver, get_resolver
from django.utils import timezone
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.http import http_date, parse_http_date_safe
from django.utils.translation import get_language
from prometheus_client import Counter

from curation.revisions import RevisionMemo, current_revision, fetch_many, store_many
from kb.api.encoding import accepts_gzip, apply_coding, preferred_coding, with_coding
from kb.api.guards import IGNORED_PARAMETERS
from kb.api.throttling import EXPORT_PATH, STAFF_PREFIX, signed

CACHED_PREFIXES = ("/api/v1/", "/api/schema/", "/embed/v1/", "/oembed")
# Allow too (DRF's views say which methods they take): an answer from the cache is the rendered one, header by header.
STORED_HEADERS = (
    "Content-Type", "Content-Language", "Content-Disposition", "Content-Security-Policy", "Cache-Control", "Allow",
)  # fmt: skip
VARY = ("Accept-Language", "Accept-Encoding")
# Where DRF chooses what to answer in by Accept: the API and its schema. The widget, its loader and oEmbed answer in
# one type whatever is asked, so Accept is neither in their key nor in their Vary: browsers, which each write it their
# own way, share one answer there, in every cache on the way.
NEGOTIATED_PREFIX = "/api/"
NEGOTIATED_VARY = ("Accept", *VARY)
# Rendered answers a worker keeps in its own memory (a lookup is some 80 kB): the hot ones skip Redis.
LOCAL_ANSWERS = RevisionMemo(size=256)
# Renamed whenever what is stored changes shape: since codings are added when first asked for, an entry may lack one
# that a worker of the previous release expected to find.
RESPONSE_KEY_PREFIX = "kb:answer-with-allow:"


# Parameters that do not change the answer (guards.IGNORED_PARAMETERS everywhere; the widget's `embed_id`, which
# only its script reads), so that they cannot make each request a cache miss. An `embed_id` the widget refuses
# (embed/views.py validates it with EMBED_ID) stays in the key, so that its 400 is not answered from the cache.
WIDGET_PREFIX = "/embed/v1/"
EMBED_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}\Z")


def keyed_parameters(request: HttpRequest) -> list[tuple[str, list[str]]]:
    ignored = IGNORED_PARAMETERS
    if request.path.startswith(WIDGET_PREFIX):
        embed_ids = request.GET.getlist("embed_id")
        if len(embed_ids) == 1 and EMBED_ID.match(embed_ids[0]):
            ignored = ignored | {"embed_id"}
    return sorted((name, values) for name, values in request.GET.lists() if name not in ignored)


# The media types the site answers in, and the ranges that reach them: everything else in Accept changes nothing.
# DRF picks a renderer by the specificity of the ranges, not by their order or quality values, so the set of these
# (and JSON's indent, which DRF clamps to 0-8) is all of Accept that can change an answer.
ANSWERED_MEDIA_RANGES = {
    "application/json", "application/vnd.oai.openapi", "application/vnd.oai.openapi+json", "application/yaml",
    "text/html", "*/*", "application/*", "text/*",
}  # fmt: skip


def accept_key(request: HttpRequest) -> str:
    """Accept reduced to what can change the answer, so that a client cannot make each request a cache miss by
    writing it differently each time."""
    header = request.headers.get("Accept", "").strip()
    if not header:
        return ""
    ranges: set[str] = set()
    for item in header.split(","):
        media_range, *parameters = (part.strip() for part in item.split(";"))
        media_range = media_range.lower()
        if media_range not in ANSWERED_MEDIA_RANGES:
            continue
        for parameter in parameters:
            name, _equals, value = parameter.partition("=")
            if name.strip().lower() == "indent" and value.strip().isascii() and value.strip().isdigit():
                media_range += f";indent={min(int(value.strip()), 8)}"
        ranges.add(media_range)
    # Nothing the site answers in: a 406, never stored, under one key whatever was asked.
    return ",".join(sorted(ranges)) or "unanswerable"


def response_key(request: HttpRequest, revision: str) -> str:
    query = urlencode(keyed_parameters(request), doseq=True)
    raw = "\n".join(
        [
            revision,
            # Answers name themselves with absolute links (next, previous, successor, the loader's origin).
            request.scheme,
            request.get_host(),
            request.path,
            query,
            get_language() or "",
            accept_key(request) if request.path.startswith(NEGOTIATED_PREFIX) else "",
            # Answers stored encoded differ by encoding, and so do their ETags.
            ("gzip" if accepts_gzip(request) else "identity") if request.path == EXPORT_PATH else "",
            # Without `on`, the lookup answers for today: yesterday's answer is not today's.
            timezone.localdate().isoformat(),
        ]
    )
    return hashlib.blake2b(raw.encode(), digest_size=16).hexdigest()


def names_answer(request: HttpRequest, etag: str) -> bool:
    """If-None-Match names this very answer. Only a 200 carries its ETag, so a client can name one only after the
    request was answered with a 200: the 304 needs no view."""
    offered = {tag.strip().removeprefix("W/") for tag in request.headers.get("If-None-Match", "").split(",")}
    return etag in offered


def not_modified(request: HttpRequest, etag: str, last_modified: int) -> bool:
    if_none_match = request.headers.get("If-None-Match")
    if if_none_match is not None:
        offered = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
        return etag in offered or "*" in offered
    since = parse_http_date_safe(request.headers.get("If-Modified-Since", ""))
    return since is not None and last_modified <= since


@dataclass(frozen=True)
class PublicAnswer:
    """What names the answer to an anonymous GET: its cache key, and the validators derived from it."""

    key: str
    revision: str
    last_modified: int
    # The content coding the answer is sent in ("" where the view chooses its own, as the export does).
    coding: str = ""

    @property
    def etag(self) -> str:
        suffix = "" if self.coding in ("", "identity") else f"-{self.coding}"
        return f'"{self.key}{suffix}"'

    @staticmethod
    def is_public_read(request: HttpRequest) -> bool:
        """A read whose answer is the same for every anonymous asker."""
        return request.method in ("GET", "HEAD") and request.path.startswith(CACHED_PREFIXES) and not signed(request)

    @classmethod
    def of(cls, request: HttpRequest) -> "PublicAnswer | None":
        if not cls.is_public_read(request):
            return None
        revision = current_revision()
        # An answer for "today" changes at midnight even when no content does.
        today = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
        last_modified = int(max(revision.changed_at, today).timestamp())
        coding = "" if request.path == EXPORT_PATH else preferred_coding(request)
        return cls(response_key(request, revision.token), revision.token, last_modified, coding)

    def set_validators(self, response: HttpResponse, request: HttpRequest) -> None:
        response["ETag"] = self.etag
        response["Last-Modified"] = http_date(self.last_modified)
        patch_vary_headers(response, NEGOTIATED_VARY if request.path.startswith(NEGOTIATED_PREFIX) else VARY)


def public_cache_control() -> dict[str, int | bool]:
    return {
        "public": True,
        "max_age": settings.API_CACHE_MAX_AGE,
        "stale_while_revalidate": settings.API_CACHE_STALE_WHILE_REVALIDATE,
        "stale_if_error": settings.API_CACHE_STALE_IF_ERROR,
    }


class CacheControlMiddleware:
    """Says what phones, browsers and shared caches on the way may do with each answer of the API, its schema, the
    widget and oEmbed, where the answer does not say so itself.

    Anonymous reads are public for API_CACHE_MAX_AGE seconds, then may be served stale while revalidating, or while
    the site fails, for the stale-* settings; their 304s say the same, as a revalidated cache takes the 304's headers.
    A 404 or 410 of a read is public too: it changes only with the content. Answers to a token are private
    (StaffAnswersMiddleware); writes, other refusals, 429s and 5xx are stored by no one.
    """

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not request.path.startswith(CACHED_PREFIXES):
            return response
        status = response.status_code
        if status == 429 or status >= 500:
            # Whatever else was said: a refusal now is no answer for later.
            response.headers.pop("Cache-Control", None)
            patch_cache_control(response, no_store=True)
        elif response.has_header("Cache-Control"):
            pass
        elif request.method in ("GET", "HEAD") and not signed(request) and status in (200, 304, 404, 410):
            patch_cache_control(response, **public_cache_control())
        else:
            patch_cache_control(response, no_store=True)
        return response


class StaffAnswersMiddleware:
    """Where a token changes the answer, every answer varies on it; a token's reads are private (they may show
    drafts) and writes are stored by no one."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path.startswith(STAFF_PREFIX):
            patch_vary_headers(response, ("Authorization",))
            if request.method not in ("GET", "HEAD"):
                patch_cache_control(response, private=True, no_store=True)
            elif signed(request):
                patch_cache_control(response, private=True)
        return response


# How public answers were served: a 304 before anything was read, from the response cache, or rendered. The ratio of
# the first two to all is the app's own cache hit ratio (a proxy in front keeps its own).
ANSWER_REVISION = "kb.answer_revision"
PUBLIC_ANSWERS = Counter("kb_public_answers", "Public API and widget answers, by how they were served.", ["served"])


class ConditionalGetMiddleware:
    """Names each public answer (`PublicAnswer`, kept on the request for the response cache) and answers an
    If-None-Match naming it with a 304 before anything is rendered or read; `*` and If-Modified-Since, which name no
    answer, once the view (or the response cache) has answered 200."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        answer = request.public_answer = PublicAnswer.of(request)
        if answer is None:
            return self.get_response(request)
        # The revision this answer is of, for the answer memo before Django (curation/api/fastpath.py).
        request.META[ANSWER_REVISION] = answer.revision
        if names_answer(request, answer.etag):
            PUBLIC_ANSWERS.labels("not_modified").inc()
            response = HttpResponseNotModified()
        else:
            response = self.get_response(request)
            if response.status_code != 200:
                return response
            # `*` and a date match whatever answer there is, so only once the view has answered 200: a malformed
            # request stays a 400, an unknown address a 404.
            if not_modified(request, answer.etag, answer.last_modified):
                # Dropped, not closed: close() sends request_finished, whose handler closes the database connection
                # in the middle of the request (and a test's transaction with it). A streamed body's file is
                # released when the dropped response is collected.
                response = HttpResponseNotModified()
        answer.set_validators(response, request)
        return response


def built_in_worker(request: HttpRequest) -> bool:
    """Whether the view that answers `request` builds its answer from what each worker holds in memory, without the
    database: the view says so (`built_in_worker(request, match)`; the lookup, from its cached fragments, and a
    region search, from the regions' index). Such an answer costs another worker a millisecond or two of CPU and no
    query (more where a phone's coding must be compressed again), so it is kept in the worker alone: no round trip to
    Redis to look for it, none to store it (an answer that is asked once, as most cold ones are, paid both)."""
    path, resolver = request.path_info, get_resolver(getattr(request, "urlconf", None))
    try:
        # Slugs match paths of any length: only short ones are remembered, so that made-up paths cannot fill memory.
        match = resolved(path, resolver) if len(path) <= REMEMBERED_PATH_LENGTH else resolver.resolve(path)
    except Resolver404:
        return False
    says = getattr(getattr(match.func, "cls", None), "built_in_worker", None)
    return says is not None and says(request, match)


REMEMBERED_PATH_LENGTH = 128


@functools.lru_cache(maxsize=1024)
def resolved(path: str, resolver: URLResolver) -> ResolverMatch:
    # Keyed by the resolver too, which Django builds anew when the URL configuration changes (a test's override).
    # A path that resolves to nothing raises, and so is not remembered.
    return resolver.resolve(path)


class ResponseCacheMiddleware:
    """Serves a public answer rendered before under the same name, and keeps each new 200 for the next asker: in the
    shared cache and the worker's memory, or in the worker's alone where the view builds it there (`built_in_worker`).
    """

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        answer: PublicAnswer | None = getattr(request, "public_answer", None)
        if answer is None:
            return self.get_response(request)
        key = f"{RESPONSE_KEY_PREFIX}{answer.key}"
        stored = LOCAL_ANSWERS.get(key, answer.revision)
        # Whether the answer is shared is asked only where it matters: an answer the worker does not hold (to look for
        # it in Redis), or one it stores (a new coding added included).
        shared = None
        if stored is None:
            shared = not built_in_worker(request)
            if shared:
                stored = fetch_many(LOCAL_ANSWERS, {key: key}, answer.revision).get(key)
        if stored is not None:
            PUBLIC_ANSWERS.labels("cache").inc()
            variants, headers, frameable = stored
            added = with_coding(variants, answer.coding)
            if added is not None:
                # The first request for this coding compresses it; later ones find it stored.
                variants = added
                self.keep(request, key, (variants, headers, frameable), answer, shared)
            response = HttpResponse()
            for name, value in headers.items():
                response[name] = value
            # The widget pages may be framed by any portal; the flag travels with the cached page.
            response.xframe_options_exempt = frameable
            return self.encoded(response, variants, answer)
        PUBLIC_ANSWERS.labels("rendered").inc()
        response = self.get_response(request)
        if response.status_code != 200 or response.streaming:
            return response
        headers = {name: response[name] for name in STORED_HEADERS if response.has_header(name)}
        variants = {"identity": response.content}
        variants = with_coding(variants, answer.coding) or variants
        stored = (variants, headers, getattr(response, "xframe_options_exempt", False))
        self.keep(request, key, stored, answer, shared)
        return self.encoded(response, variants, answer)

    @staticmethod
    def keep(request: HttpRequest, key: str, stored: tuple, answer: PublicAnswer, shared: bool | None) -> None:
        if shared is None:
            shared = not built_in_worker(request)
        if shared:
            store_many(LOCAL_ANSWERS, {key: stored}, answer.revision, settings.API_RESPONSE_CACHE_SECONDS)
        else:
            LOCAL_ANSWERS.set(key, stored, answer.revision)

    @staticmethod
    def encoded(response: HttpResponse, variants: dict[str, bytes], answer: PublicAnswer) -> HttpResponse:
        coding = answer.coding if answer.coding in variants else "identity"
        return apply_coding(response, variants[coding], coding)
