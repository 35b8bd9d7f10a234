"""What changes what the public sees: the one predicate behind the public revision and the change feed.

Every write to content reaches `changed(events)` (from `curation.signals`, and from the services that write in bulk):
`events` are the changes the public can see, as the change feed will list them. A write with none (a draft, a pending
edit) moves only the content revision; a write with some moves the public revision and records them as ChangeEvent
rows in the same transaction. So the feed holds an event exactly when public answers change, and the reverse.
"""

import contextlib
import contextvars
import datetime
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.utils import timezone

from .choices import Status
from .models import ChangeAction, ChangeEvent, ContentModel, ContentRevision, linked_identifier
from .revisions import SINGLETON_ID, bump_revision

VISIBLE = (Status.PUBLISHED, Status.ARCHIVED)


@dataclass(frozen=True)
class Event:
    model: type[models.Model]
    identifier: str
    action: str


def state_of(obj: models.Model | None) -> list[Event]:
    """What the public sees of `obj` as it stands now: a published row as updated, an archived one as archived, a
    draft (or a pending edit) as nothing. Rows that are not content (regions) are always public."""
    if obj is None or obj.pk is None:
        return []
    if not isinstance(obj, ContentModel):
        return [Event(type(obj), str(getattr(obj, linked_identifier(type(obj)))), ChangeAction.UPDATED)]
    if obj.status == Status.PUBLISHED:
        return [Event(type(obj), obj.slug, ChangeAction.UPDATED)]
    if obj.status == Status.ARCHIVED:
        return [Event(type(obj), obj.slug, ChangeAction.ARCHIVED)]
    return []


# An event that says nothing the transaction's earlier event on the same row has not said (the feed shows the row
# as it stands when read): a publish saves the row, its links and its change note, and is one `created`.
REDUNDANT_AFTER = {
    ChangeAction.CREATED: {ChangeAction.UPDATED},
    ChangeAction.UPDATED: {ChangeAction.UPDATED},
    ChangeAction.ARCHIVED: {ChangeAction.UPDATED, ChangeAction.ARCHIVED},
    ChangeAction.DELETED: {ChangeAction.UPDATED, ChangeAction.ARCHIVED, ChangeAction.DELETED},
}


# An earlier event of the transaction that a later one makes pointless: a deleted procedure's steps go first, and
# say "updated" of a row that is gone by the commit.
SUPERSEDED_BY = {
    ChangeAction.DELETED: {ChangeAction.UPDATED, ChangeAction.ARCHIVED},
    ChangeAction.ARCHIVED: {ChangeAction.UPDATED},
}


_paused = contextvars.ContextVar("feed_paused", default=False)


@contextlib.contextmanager
def feed_paused() -> Iterator[None]:
    """Public changes inside move the public revision but record no event: for restoring a backup, which brings the
    feed's own events (under their own ids, which new ones would collide with)."""
    token = _paused.set(True)
    try:
        yield
    finally:
        _paused.reset(token)


def changed(events: Iterable[Event]) -> None:
    """Says that content changed; `events` are what the public sees of the change (none for a draft)."""
    events = list(events)
    if not events or _paused.get():
        bump_revision(public=bool(events))
        return
    if transaction.get_connection().in_atomic_block:
        _record(events)
    else:
        # The bump's row lock is what orders the events' ids by commit: both must be in one transaction.
        with transaction.atomic():
            _record(events)


def _record(events: list[Event]) -> None:
    hook = bump_revision(public=True)
    # An event written inside a savepoint that was rolled back since is no longer there to make a later one
    # redundant; one written in a savepoint released since may be, but writing it again is harmless.
    savepoints = tuple(transaction.get_connection().savepoint_ids)
    rows: list[ChangeEvent] = []
    superseded: list[int] = []
    for event in events:
        content_type = ContentType.objects.get_for_model(event.model)
        key = (content_type.pk, event.identifier)
        last = hook.events.get(key)
        if last is not None and savepoints[: len(last[1])] == last[1]:
            action, _written_in, row = last
            if event.action in REDUNDANT_AFTER[action]:
                continue
            if action in SUPERSEDED_BY.get(event.action, ()):
                if row.pk is None:
                    rows.remove(row)
                else:
                    superseded.append(row.pk)
        row = ChangeEvent(content_type=content_type, identifier=event.identifier, action=event.action)
        hook.events[key] = (event.action, savepoints, row)
        rows.append(row)
    if superseded:
        ChangeEvent.objects.filter(pk__in=superseded).delete()
    ChangeEvent.objects.bulk_create(rows)


def latest_cursor() -> int:
    """The cursor after the last event (0 before any): a copy of the content as it stands now goes on from there."""
    last = ChangeEvent.objects.aggregate(last=models.Max("id"))["last"] or 0
    return max(last, pruned_through())


def pruned_through() -> int:
    return ContentRevision.objects.filter(pk=SINGLETON_ID).values_list("events_pruned_through", flat=True).first() or 0


def restored(*, using: str = "default") -> None:
    """After a backup is loaded: what came before its oldest event is gone. A cursor older than that, or newer than
    its newest (changes the backup does not hold), answers 410, and the app exports again."""
    first = ChangeEvent.objects.using(using).aggregate(first=models.Min("id"))["first"]
    ContentRevision.objects.using(using).get_or_create(pk=SINGLETON_ID, defaults={"changed_at": timezone.now()})
    ContentRevision.objects.using(using).filter(pk=SINGLETON_ID).update(
        events_pruned_through=first - 1 if first is not None else 0
    )


def prune(now: datetime.datetime | None = None) -> int:
    """Removes the events older than CHANGE_FEED_RETENTION_DAYS; returns how many. A cursor before the newest removed
    one cannot be continued from then on (the feed answers 410: export again)."""
    cutoff = (now or timezone.now()) - datetime.timedelta(days=settings.CHANGE_FEED_RETENTION_DAYS)
    with transaction.atomic():
        through = ChangeEvent.objects.filter(at__lt=cutoff).aggregate(last=models.Max("id"))["last"]
        if through is None:
            return 0
        ContentRevision.objects.filter(pk=SINGLETON_ID, events_pruned_through__lt=through).update(
            events_pruned_through=through
        )
        deleted, _ = ChangeEvent.objects.filter(id__lte=through).delete()
    return deleted
