"""Read replicas: anonymous public reads go to a streaming replica, everything else to the primary.

What staff do (the admin, the write API, imports, the workflow) reads and writes the primary, so they always see
their own writes: a request from someone signed in (a session that resolves to a user, not merely a session cookie)
or with a token reads the primary. A public read (a GET or HEAD of the API, its schema, the widget or oEmbed) by
anyone else is answered from one replica, inside one REPEATABLE READ transaction there: the revision that keys the
answer (its response cache entry, ETag and Last-Modified) and every row of the answer come from the same snapshot, so
answers never mix two revisions.

A replica behind the public revision this worker knows (curation/revisions.py: its memo or the shared cache) does
not answer: the read goes to another replica, or to the primary. Answering from it would be consistent, but the
caches in front (kb/purge.py) are told of a publish twice, the second time once every worker knows the new revision,
and an older answer stored after that would be served there for the whole max-age. Marking such answers uncacheable
instead would send every request for them to the app for as long as the replica lags; the primary's answer is new
and cacheable, so the primary takes only the cache's misses. Until a worker knows of a publish (its memo's
PUBLIC_REVISION_MEMO_SECONDS, or CONTENT_REVISION_CACHE_SECONDS with a cache of its own), a replica that has not
replayed it answers from its older revision, consistently, under that revision's keys; the second ban drops what the
caches kept meanwhile.

A replica that does not answer is left alone for REPLICA_RETRY_SECONDS and the read goes to the primary.

The cost: a public read on a replica asks that replica for the revision (one primary-key read) on top of the worker's
copy. A caching proxy in front (deploy/) absorbs warm traffic before it reaches the app.
"""

import datetime
import logging
import random
import sys
import time

from django.conf import settings
from django.db import DatabaseError, connections, transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from .api.fastpath import is_anonymous_public_read
from .models import ContentRevision
from .revisions import SINGLETON_ID, Revision, current_revision, replica_read, revisions_of

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
    """Answers a public read from a replica, in one snapshot, or from the primary when none answers or every one is
    behind the public revision this worker knows."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # After AuthenticationMiddleware on the full path: the session decides, so a stale or made-up session cookie
        # reads a replica, and only someone signed in reads the primary (and sees what they just published).
        if not settings.DATABASE_REPLICAS or not is_anonymous_public_read(request):
            return self.get_response(request)
        replicas = available_replicas()
        random.shuffle(replicas)
        known = self.known_revision() if replicas else None
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
            if known is not None and revisions[0].number < known.number:
                self.end(alias, snapshot)
                self.behind(alias, revisions[0], known)
                continue
            token = replica_read.set((alias, revisions))
            try:
                return self.get_response(request)
            finally:
                replica_read.reset(token)
                self.end(alias, snapshot)
        return self.get_response(request)

    @staticmethod
    def known_revision() -> Revision | None:
        """The public revision as this worker knows it, read before any replica's snapshot is taken (replica_read
        unset): from its memo or the shared cache, else from the primary. None when the primary does not answer:
        then a replica's answer, consistent in itself, is the best there is."""
        try:
            return current_revision()
        except DatabaseError:
            return None

    @staticmethod
    def end(alias: str, snapshot: transaction.Atomic) -> None:
        try:
            # Read only: the commit ends the snapshot. A replica lost meanwhile has already answered.
            snapshot.__exit__(None, None, None)
        except DatabaseError:
            connections[alias].close()

    @staticmethod
    def rest(alias: str) -> None:
        logger.warning("replica %s does not answer; reading the primary", alias)
        _resting[alias] = time.monotonic() + settings.REPLICA_RETRY_SECONDS
        connections[alias].close()

    @staticmethod
    def behind(alias: str, replica: Revision, primary: Revision) -> None:
        # Every replica is behind for a moment after each publish, which is no news; one that has not replayed a
        # change made REPLICA_RETRY_SECONDS ago is (logged once a minute per worker, kb.observability).
        if timezone.now() - primary.changed_at > datetime.timedelta(seconds=settings.REPLICA_RETRY_SECONDS):
            logger.warning(
                "replica %s is behind the primary (public revision %s, the primary's %s); reading the primary",
                alias,
                replica.number,
                primary.number,
            )


def read_revisions(alias: str) -> tuple:
    row = ContentRevision.objects.using(alias).filter(pk=SINGLETON_ID).first()
    if row is None:
        raise DatabaseError("the replica holds no content revision yet")
    return revisions_of(row)
