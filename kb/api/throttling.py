"""Throttling of anonymous clients: a counter per client address and window in the shared cache.

django-ratelimit counts with the cache's atomic add and incr, so every worker of every server counts against the
same limit (DRF's throttle reads a history, appends and writes it back: workers racing each other let more through
than the rate). Windows are fixed, each address's offset by a hash of it, so that they do not all reset at once; a
client may send up to twice the rate across a window's edge. IPv6 clients are counted per /64, the block one
subscriber gets. The address is the connection's, or the one the nearest of DJANGO_NUM_PROXIES proxies saw
(`kb.login_limits.client_address`, set as RATELIMIT_IP_META_KEY).

If the shared cache fails, the count goes on in the process's own memory: the limit then holds per worker rather
than for the whole service, which is better than none and better than refusing everyone.
"""

import threading
import time

from django.http import HttpRequest
from django_ratelimit.core import _get_ip, _get_window, _split_rate, get_usage


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
    usage = get_usage(request, group=scope, key="ip", rate=rate, increment=True)
    if usage is None:
        # RATELIMIT_FAIL_OPEN: the shared cache did not answer.
        count, limit, time_left = FALLBACK.hit(scope, _get_ip(request), rate)
    else:
        count, limit, time_left = usage["count"], usage["limit"], usage["time_left"]
    return max(1, time_left) if count > limit else None
