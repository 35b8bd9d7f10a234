"""Throttling of anonymous clients: a counter per client address and window in the shared cache.

django-ratelimit counts with the cache's atomic add and incr, so every worker of every server counts against the
same limit (DRF's throttle reads a history, appends and writes it back: workers racing each other let more through
than the rate). Windows are fixed, each address's offset by a hash of it, so that they do not all reset at once; a
client may send up to twice the rate across a window's edge. IPv6 clients are counted per /64, the block one
subscriber gets. The address is the connection's, or the one the nearest of DJANGO_NUM_PROXIES proxies saw
(`kb.login_limits.client_address`, set as RATELIMIT_IP_META_KEY).

With Redis, a request is counted in one round trip (INCR and EXPIRE NX pipelined) rather than django-ratelimit's two (an
add, then an incr by script): the same windows and keys. Anonymous public reads (the fast path's, and the answer memo's)
are counted in batches instead (`ANONYMOUS_READS`), a round trip per batch, with a stated overshoot. If the shared cache
fails, the count goes on in the process's own memory: the limit then holds per worker rather than for the whole service,
which is better than none and better than refusing everyone.
"""

import threading
import time

from django.conf import settings
from django.core.cache import cache
from django.core.signals import setting_changed
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django_ratelimit import ALL
from django_ratelimit.core import EXPIRATION_FUDGE, _get_ip, _get_window, _make_cache_key, _split_rate, get_usage
from redis.exceptions import RedisError

from .anonymous import anonymous_read
from .problems import json_problem_response


class ProcessCounter:
    """The same fixed windows as django-ratelimit's, counted in this process only."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.counts: dict[tuple[str, str, int], int] = {}

    def hit(self, scope: str, client: str, rate: str) -> tuple[int, int, int]:
        limit, period = _split_rate(rate)
        window = _get_window(client, period)
        with self.lock:
            now = int(time.time())
            # Windows that have ended are forgotten, so that the table holds only the current clients.
            self.counts = {key: count for key, count in self.counts.items() if key[2] > now}
            key = (scope, client, window)
            self.counts[key] = self.counts.get(key, 0) + 1
            return self.counts[key], limit, window - now


FALLBACK = ProcessCounter()


def seconds_to_wait(request: HttpRequest, *, scope: str, rate: str | None) -> int | None:
    """Counts this request against `rate` (e.g. "120/min") for its client address in `scope`: None while the client
    is within the rate, else how many seconds until its window ends."""
    if not rate:
        return None
    if hasattr(cache, "client"):
        usage = redis_usage(request, scope, rate)
    else:
        usage = get_usage(request, group=scope, key="ip", rate=rate, increment=True)
    if usage is None:
        # The shared cache did not answer (RATELIMIT_FAIL_OPEN for django-ratelimit's count).
        count, limit, time_left = FALLBACK.hit(scope, _get_ip(request), rate)
    else:
        count, limit, time_left = usage["count"], usage["limit"], usage["time_left"]
    return max(1, time_left) if count > limit else None


def redis_usage(request: HttpRequest, scope: str, rate: str) -> dict | None:
    """django-ratelimit's usage, counted in one round trip to Redis (django-redis); None if Redis did not answer."""
    limit, period = _split_rate(rate)
    client = _get_ip(request)
    window = _get_window(client, period)
    key = cache.make_key(_make_cache_key(scope, window, rate, client, ALL))
    try:
        pipeline = cache.client.get_client(write=True).pipeline(transaction=False)
        pipeline.incr(key)
        pipeline.expire(key, period + EXPIRATION_FUDGE, nx=True)
        count, _expiry_set = pipeline.execute()
    except (RedisError, OSError):
        return None
    return {"count": count, "limit": limit, "time_left": window - int(time.time())}


class BatchedCounts:
    """The anonymous throttle for public reads by someone not signed in (curation/api/fastpath.py: its answer memo
    before Django, and its chain through Django, whose ThrottleMiddleware asks here): counted in this worker and added
    to the shared count in batches, one round trip per batch of an address's requests (or per SECONDS) rather than one
    each.

    An address seen for the first time in a window is counted at once, which tells the worker the shared count. After
    that a request is admitted here only while that count plus what the worker has not yet added stays within the
    limit; once it would not, the worker adds what it holds and the request is counted exactly (`seconds_to_wait`,
    one round trip, as on the full path), which refuses it once the shared count is over. While a batch is on its way
    to the shared count, a worker admits at most one more (the rest are counted exactly, one each), so it admits at
    most two batches past what it knows of the others, and an exact count, which sees only what has reached the shared
    count, at most one batch per worker past the limit: with W workers serving one address, the limit can be
    overshot by 3 × W batches in a window. A batch is a sixteenth of the limit, at most BATCH (a limit under 32 is
    added one request at a time). If the shared cache fails, nothing is admitted here for a second (the exact count's
    own fallback, in the process's memory, counts meanwhile)."""

    BATCH = 16
    SECONDS = 0.5

    def __init__(self) -> None:
        self.lock = threading.Lock()
        # cache key → [shared count last seen, requests not yet added, window end, period, requests being added]
        self.entries: dict[str, list[int]] = {}
        self.flushed_at = time.monotonic()
        self.failed_until = 0.0
        self.pruned_at = 0
        # (scope, rate, connection's and proxies' addresses) → (window end, django-ratelimit's key)
        self.keys: dict[tuple, tuple[int, str]] = {}
        setting_changed.connect(self.forget_keys, weak=False)

    def forget_keys(self, **_signal) -> None:
        # An address is read as the settings say (the number of proxies): a test that changes them reads it anew.
        self.keys = {}

    def key_of(self, request, scope: str, rate: str, period: int) -> tuple[str, int]:
        """django-ratelimit's cache key for the request's client address and current window, worked out once per
        address and window: its arithmetic on the address (ipaddress, a checksum, a hash) costs as much as the rest
        of the throttle. The address is read from the connection and X-Forwarded-For alone (kb/login_limits.py)."""
        meta = request.META
        asker = (scope, rate, meta.get("REMOTE_ADDR"), meta.get("HTTP_X_FORWARDED_FOR"))
        known = self.keys.get(asker)
        # django-ratelimit's window of a moment is the first window end at or after it.
        if known is not None and int(time.time()) <= known[0]:
            return known[1], known[0]
        client = _get_ip(request)
        window = _get_window(client, period)
        key = _make_cache_key(scope, window, rate, client, ALL)
        if len(self.keys) >= 10_000:
            self.keys = {}
        self.keys[asker] = (window, key)
        return key, window

    def admit(self, request, scope: str, rate: str | None) -> bool:
        """Whether this request may be answered without counting it in the shared cache now (it is counted later)."""
        if not rate:
            return True
        now = time.monotonic()
        if now < self.failed_until:
            return False
        limit, period = _split_rate(rate)
        key, window = self.key_of(request, scope, rate, period)
        with self.lock:
            entry = self.entries.get(key)
            first = entry is None
            if first:
                entry = self.entries[key] = [0, 0, window, period, 0]
            # What is on its way to the shared count counts too, until the count that includes it comes back.
            batch = self.batch(limit)
            # At most two batches past what it knows: one on its way, one held (or two on their way, none held).
            admitted = entry[0] + entry[4] + entry[1] < limit and entry[4] + entry[1] < 2 * batch
            if admitted:
                entry[1] += 1
            due = first or not admitted or entry[1] >= batch or now - self.flushed_at >= self.SECONDS
        if due:
            self.flush()
        return admitted and now >= self.failed_until

    def wait(self, request, scope: str, rate: str | None) -> int | None:
        """None while the client is within `rate`, else the seconds until its window ends: admitted in a batch, or,
        where no batch admits it at that moment (one on its way to the shared count already, or the limit near),
        counted at once in the shared count, as `seconds_to_wait` counts."""
        if self.admit(request, scope, rate):
            return None
        return seconds_to_wait(request, scope=scope, rate=rate)

    @classmethod
    def batch(cls, limit: int) -> int:
        return max(1, min(cls.BATCH, limit // 16))

    def flush(self) -> None:
        """Adds what this worker holds to the shared counts, and learns them."""
        with self.lock:
            now = int(time.time())
            if now != self.pruned_at:
                # Windows that have ended are forgotten, once a second rather than on every flush.
                self.entries = {key: entry for key, entry in self.entries.items() if entry[2] > now or entry[4]}
                self.pruned_at = now
            pending = [(key, entry[1], entry[3]) for key, entry in self.entries.items() if entry[1]]
            for key, count, _period in pending:
                self.entries[key][1] = 0
                self.entries[key][4] += count
            self.flushed_at = time.monotonic()
        if not pending:
            return
        try:
            counts = self.add(pending)
        except Exception:
            # Redis or another shared cache failing: what was held is lost to the shared count (it was answered),
            # and for a second every request is counted one by one, by the process's own fallback count.
            self.failed_until = time.monotonic() + 1.0
            counts = [None] * len(pending)
        with self.lock:
            for (key, count, _period), shared in zip(pending, counts, strict=True):
                entry = self.entries.get(key)
                if entry is not None:
                    entry[4] -= count
                    if shared is not None:
                        # Replies to flushes made at once by two threads may come back in any order.
                        entry[0] = max(entry[0], shared)

    @staticmethod
    def add(pending: list[tuple[str, int, int]]) -> list[int]:
        """Adds each (key, count, period) to the shared count; the counts after. Same keys as django-ratelimit's."""
        if hasattr(cache, "client"):
            pipeline = cache.client.get_client(write=True).pipeline(transaction=False)
            for key, count, period in pending:
                pipeline.incrby(cache.make_key(key), count)
                pipeline.expire(cache.make_key(key), period + EXPIRATION_FUDGE, nx=True)
            return pipeline.execute()[::2]
        # Another cache (local memory in development and tests): django-ratelimit's add, then incr.
        counts = []
        for key, count, period in pending:
            cache.add(key, 0, period + EXPIRATION_FUDGE)
            counts.append(cache.incr(key, count))
        return counts


# One per process, for the answer memo and the middleware alike: the overshoot it states is per worker.
ANONYMOUS_READS = BatchedCounts()
# Set in the WSGI environ by the answer memo when the throttle refused a request (seconds to wait), which it then
# leaves to Django for its 429: ThrottleMiddleware answers so without counting it again.
REFUSED = "kb.throttle_refused_for"

THROTTLED_PREFIXES = ("/api/", "/embed/", "/oembed")
# Throttled more strictly than the rest: each answer is the whole dataset.
EXPORT_PATH = "/api/v1/export/"
# Where a token changes the answer (the resources staff read and write), and may spare its bearer the throttle.
STAFF_PREFIX = "/api/v1/"


def signed(request: HttpRequest) -> bool:
    """A request with a token to an address where a token changes the answer."""
    return "HTTP_AUTHORIZATION" in request.META and request.path.startswith(STAFF_PREFIX)


def staff_token_user(request: HttpRequest):
    """The active staff user whose token the request carries, or None. DRF authenticates again in the view; this
    only decides whether the caller is spared the anonymous throttle, so a made-up token, or the token of someone who
    is not (or no longer) staff, is throttled like no token."""
    from rest_framework.authtoken.models import Token

    scheme, _space, key = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    if scheme.lower() != "token" or not key.strip():
        return None
    token = Token.objects.select_related("user").filter(key=key.strip()).first()
    if token is None or not (token.user.is_active and token.user.is_staff):
        return None
    return token.user


class ThrottleMiddleware:
    """Anonymous clients of the API, the widget and oEmbed within their rates, before any cached answer is served;
    the export within its own, stricter one, counted exactly. Staff with a valid token are spared. The fast path's
    anonymous public reads are counted in batches (`ANONYMOUS_READS`), the rest one round trip each."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(THROTTLED_PREFIXES) and not self.spared(request):
            rate = settings.API_ANON_THROTTLE_RATE
            if REFUSED in request.META:
                wait = request.META[REFUSED]
            elif anonymous_read.get() and request.path != EXPORT_PATH:
                wait = ANONYMOUS_READS.wait(request, "anonymous", rate)
            else:
                wait = seconds_to_wait(request, scope="anonymous", rate=rate)
            if wait is None and request.path == EXPORT_PATH:
                wait = seconds_to_wait(request, scope="export", rate=settings.API_EXPORT_THROTTLE_RATE)
            if wait is not None:
                response = json_problem_response(
                    request,
                    429,
                    _("Request was throttled. Expected available in %(wait)d seconds.") % {"wait": wait},
                    "throttled",
                )
                response["Retry-After"] = str(wait)
                return response
        return self.get_response(request)

    @staticmethod
    def spared(request: HttpRequest) -> bool:
        return signed(request) and bool(settings.API_ANON_THROTTLE_RATE) and staff_token_user(request) is not None
