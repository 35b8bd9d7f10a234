"""Read replicas: anonymous public reads go to a streaming replica, everything else to the primary.

What staff do (the admin, the write API, imports, the workflow) reads and writes the primary, so they always see
their own writes. A public read (a GET or HEAD of the API, its schema, the widget or oEmbed, with no token) is
answered from one replica, inside one REPEATABLE READ transaction there: the revision that keys the answer (its
response cache entry, ETag and Last-Modified) and every row of the answer come from the same snapshot. A replica
that lags thus serves its older revision consistently, under that revision's keys, until it has replayed the change;
answers never mix two revisions. A replica that does not answer is left alone for REPLICA_RETRY_SECONDS and the
read goes to the primary.

The cost: a public read on a replica asks that replica for the revision (one primary-key read) instead of the
shared cache. A caching proxy in front (deploy/) absorbs warm traffic before it reaches the app.
"""

import logging
import random
import sys
import time

from django.conf import settings
from django.db import DatabaseError, connections, transaction
from django.http import HttpRequest, HttpResponse

from .api.caching import PublicAnswer
from .models import ContentRevision
from .revisions import SINGLETON_ID, replica_read, revisions_of

logger = logging.getLogger(__name__)

# alias → monotonic time before which it is not tried again.
_resting: dict[str, float] = {}


class ReplicaRouter:
    def db_for_read(self, model, **hints) -> str | None:
        current = replica_read.get()
        return current[0] if current else None

    def db_for_write(self, model, **hints) -> str:
        return "default"

    def allow_relation(self, obj1, obj2, **hints) -> bool:
        return True

    def allow_migrate(self, db: str, app_label: str, **hints) -> bool:
        return db == "default"


def available_replicas() -> list[str]:
    now = time.monotonic()
    return [alias for alias in settings.DATABASE_REPLICAS if _resting.get(alias, 0) <= now]


class ReplicaMiddleware:
    """Answers a public read from a replica, in one snapshot, or from the primary when none answers."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            not settings.DATABASE_REPLICAS
            or not PublicAnswer.is_public_read(request)
            # Someone signed in to the admin reads the primary, so that what they just published shows at once.
            or settings.SESSION_COOKIE_NAME in request.COOKIES
        ):
            return self.get_response(request)
        replicas = available_replicas()
        random.shuffle(replicas)
        for alias in replicas:
            snapshot = transaction.atomic(using=alias)
            try:
                snapshot.__enter__()
            except DatabaseError:
                self.rest(alias)
                continue
            try:
                revisions = read_revisions(alias)
            except DatabaseError:
                snapshot.__exit__(*sys.exc_info())
                self.rest(alias)
                continue
            token = replica_read.set((alias, revisions))
            try:
                return self.get_response(request)
            finally:
                replica_read.reset(token)
                try:
                    # Read only: the commit ends the snapshot. A replica lost meanwhile has already answered.
                    snapshot.__exit__(None, None, None)
                except DatabaseError:
                    connections[alias].close()
        return self.get_response(request)

    @staticmethod
    def rest(alias: str) -> None:
        logger.warning("replica %s does not answer; reading the primary", alias)
        _resting[alias] = time.monotonic() + settings.REPLICA_RETRY_SECONDS
        connections[alias].close()


def read_revisions(alias: str) -> tuple:
    row = ContentRevision.objects.using(alias).filter(pk=SINGLETON_ID).first()
    if row is None:
        raise DatabaseError("the replica holds no content revision yet")
    return revisions_of(row)
