"""The shared cache (Redis) may fail; the service must not fail with it.

django-redis skips failed cache calls (IGNORE_EXCEPTIONS: a read misses, a write is dropped) and logs them, so a dead
Redis costs a refused connection per call and answers come from the database. A Redis that hangs, or a host that
drops packets, would cost a timeout per call instead, several per request. So the connection below remembers the
failure: for `open_seconds` after a connection or a read fails, every call fails at once without touching the
network, and the first call after that tries again.
"""

import threading
import time

import redis


class Breaker:
    def __init__(self, open_seconds: float) -> None:
        self.open_seconds = open_seconds
        self.open_until = 0.0
        self.lock = threading.Lock()

    def is_open(self) -> bool:
        return time.monotonic() < self.open_until

    def trip(self) -> None:
        with self.lock:
            self.open_until = time.monotonic() + self.open_seconds


# One per process: every connection of the pool talks to the same server.
BREAKER = Breaker(open_seconds=5.0)


class FailFastConnection(redis.Connection):
    def connect(self) -> None:
        if BREAKER.is_open():
            raise redis.ConnectionError("Redis failed moments ago; not trying again yet.")
        try:
            super().connect()
        except (redis.ConnectionError, redis.TimeoutError):
            BREAKER.trip()
            raise

    def read_response(self, *args, **kwargs):
        try:
            return super().read_response(*args, **kwargs)
        except (redis.ConnectionError, redis.TimeoutError):
            BREAKER.trip()
            raise
