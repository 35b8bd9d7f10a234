"""The content revision: bumped on every change to curated content; everything cached is keyed by it.

The number lives in the database, so that every process agrees on it, and is mirrored in the cache, so that a
warm request needs no SQL at all. The mirror is dropped when a change commits: the next reader fetches the new
number. A change that is rolled back drops nothing, and no reader can see a number the database does not hold.
"""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import models, transaction
from django.db.models import F
from django.utils import timezone

from .models import ContentRevision

SINGLETON_ID = 1
CACHE_KEY = "kb:content-revision"


@dataclass(frozen=True)
class Revision:
    number: int
    changed_at: datetime.datetime


def current_revision() -> Revision:
    revision = cache.get(CACHE_KEY)
    if revision is None:
        row = ContentRevision.objects.filter(pk=SINGLETON_ID).first()
        if row is None:
            row, _ = ContentRevision.objects.get_or_create(pk=SINGLETON_ID, defaults={"changed_at": timezone.now()})
        revision = Revision(row.number, row.changed_at)
        cache.set(CACHE_KEY, revision, settings.CONTENT_REVISION_CACHE_SECONDS)
    return revision


def forget_revision() -> None:
    cache.delete(CACHE_KEY)


def bump_revision() -> None:
    now = timezone.now()
    updated = ContentRevision.objects.filter(pk=SINGLETON_ID).update(number=F("number") + 1, changed_at=now)
    if not updated:
        ContentRevision.objects.get_or_create(pk=SINGLETON_ID, defaults={"changed_at": now, "number": 1})
    transaction.on_commit(forget_revision)


def revision_key(*parts: object) -> str:
    """A cache key that goes stale by itself when content changes: it names the revision it was built for."""
    return ":".join(["kb", str(current_revision().number), *map(str, parts)])


def touch(instance: models.Model) -> None:
    """Moves `updated_at` of the object a step or a link belongs to, so that `updated_since` sees the change."""
    type(instance).objects.filter(pk=instance.pk).update(updated_at=timezone.now())
