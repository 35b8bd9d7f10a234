"""The content revisions: what cached answers are keyed by, and when they move.

Two numbers in one database row. The *public revision* moves only with changes the public can see (a published or
archived row, what it owns or links, a publish, an archive, an unpublish, the deletion of a visible row; see
`curation.signals`): every answer to the public (the response cache, rendered rows, the lookup's fragments, the
export, ETags and Last-Modified) is keyed by it, so that a draft save leaves every phone's copy valid. The *content
revision* moves with every change, drafts included, for whatever reads drafts.

The numbers live in the database, so that every process agrees on them, and are mirrored in the cache, so that a
warm request needs no SQL at all. The mirror is dropped when a change commits: the next reader fetches the new
numbers. A change that is rolled back drops nothing, and no reader can see a number the database does not hold.
A change the public sees also tells the caches in front of the app to drop their public answers (kb/purge.py).
"""

import contextlib
import contextvars
import datetime
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator, Mapping
from dataclasses import dataclass
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.signals import request_finished, request_started
from django.db import models, transaction
from django.db.models import F
from django.utils import timezone

from kb.api.anonymous import anonymous_read
from kb.purge import purge_public_answers

from . import registry
from .models import ContentRevision

logger = logging.getLogger(__name__)

SINGLETON_ID = 1
# Holds (public, content) Revisions; renamed when it held one, so that no process reads the other shape.
CACHE_KEY = "kb:content-revisions"


@dataclass(frozen=True)
class Revision:
    number: int
    changed_at: datetime.datetime

    @property
    def token(self) -> str:
        """Names this state of the content in cache keys. The time is part of it: a change that was rolled back
        leaves its number to the next change, but never its moment, so two states never share a token."""
        return f"{self.number}.{int(self.changed_at.timestamp() * 1_000_000)}"


def revisions_of(row: ContentRevision) -> tuple[Revision, Revision]:
    return Revision(row.public_number, row.public_changed_at or row.changed_at), Revision(row.number, row.changed_at)


# (alias, (public, content) revisions read in its snapshot) of the request being answered from a replica
# (curation/replicas.py).
replica_read: contextvars.ContextVar[tuple[str, tuple] | None] = contextvars.ContextVar("replica_read", default=None)


def read_alias() -> str:
    """The database the current request reads: a replica's alias while it answers from one, else "default"."""
    current = replica_read.get()
    return current[0] if current else "default"


def replica_revisions() -> tuple | None:
    """The revisions of the snapshot the current request reads, when it reads a replica."""
    current = replica_read.get()
    return current[1] if current else None


def _both() -> tuple[Revision, Revision]:
    # A public read answered from a replica is keyed by that replica's snapshot, never by the primary's newer one.
    revisions = replica_revisions() or cache.get(CACHE_KEY)
    if revisions is None:
        row = ContentRevision.objects.filter(pk=SINGLETON_ID).first()
        if row is None:
            now = timezone.now()
            row, _ = ContentRevision.objects.get_or_create(
                pk=SINGLETON_ID, defaults={"changed_at": now, "public_changed_at": now}
            )
        revisions = revisions_of(row)
        # add, not set: a change that committed meanwhile has stored its newer revision, which must win.
        cache.add(CACHE_KEY, revisions, settings.CONTENT_REVISION_CACHE_SECONDS)
    return revisions


# (monotonic deadline, public revision): the worker's own copy, trusted for PUBLIC_REVISION_MEMO_SECONDS by anonymous
# public reads (curation/api/fastpath.py sets `anonymous_read`, kb/api/anonymous.py, while it answers one).
_public_memo: tuple[float, Revision] | None = None


def current_revision() -> Revision:
    """The public revision: names the state of what the public sees, and keys every public answer.

    For anonymous public reads, each worker trusts the copy it read for PUBLIC_REVISION_MEMO_SECONDS, so that a
    warm public answer costs no round trip to the shared cache: another worker's publish reaches them that much
    later (the committing worker sees its own at once), and the caches in front are told again once that has passed
    (kb/purge.py). Staff and the signed-in, who must see their own changes, always read the shared copy."""
    global _public_memo
    replica = replica_revisions()
    if replica:
        return replica[0]
    if not anonymous_read.get():
        return _both()[0]
    now = time.monotonic()
    memo = _public_memo
    if memo is not None and now < memo[0]:
        return memo[1]
    revision = _both()[0]
    if settings.PUBLIC_REVISION_MEMO_SECONDS:
        _public_memo = (now + settings.PUBLIC_REVISION_MEMO_SECONDS, revision)
    return revision


def content_revision() -> Revision:
    """The revision of all content, drafts and pending edits included: for what staff read."""
    return _both()[1]


def forget_revision() -> None:
    """After a commit: store the committed revisions, so that no reader can put back one it read before."""
    global _public_memo
    _public_memo = None
    cache.delete(CACHE_KEY)
    row = ContentRevision.objects.filter(pk=SINGLETON_ID).first()
    if row is not None:
        cache.set(CACHE_KEY, revisions_of(row), settings.CONTENT_REVISION_CACHE_SECONDS)


class ForgetOnCommit:
    """The commit hook of one transaction's bumps. Until it has run, later bumps in the same transaction have nothing
    to add: the content revision has moved, and the public one too once `public` is set. It also remembers the
    change events written so far, so that one object changed many times in a transaction is one event."""

    ran = False

    def __init__(self) -> None:
        self.public = False
        # (content type id, identifier) → the last action recorded for that row in this transaction, the
        # savepoints open when it was, and its row (curation.events).
        self.events: dict[tuple[int, str], tuple[str, tuple[str, ...], models.Model]] = {}

    def __call__(self) -> None:
        self.ran = True
        forget_revision()
        if self.public:
            # The caches in front (CACHE_PURGE_URLS) keep public answers by address, not by revision.
            purge_public_answers()
            if getattr(_batch, "open", False):
                _batch.pending = True
            else:
                prepare_for_the_public()


def prepare_for_the_public() -> None:
    """Runs what apps prepare once a public change has committed (`registry.after_public_commit`). Never raises."""
    for prepare in registry.AFTER_PUBLIC_COMMIT:
        try:
            prepare()
        except Exception:
            # The change has committed: what failed here is built by the first answers that need it.
            logger.exception("preparing for the public after a commit failed")


# Within a request (and a `prepared_once` block), public commits are prepared for once, at its end: an admin action
# that publishes a hundred rows commits a hundred times, and a request's answer is sent before its end.
_batch = threading.local()


@contextlib.contextmanager
def prepared_once() -> Iterator[None]:
    """Public commits inside are prepared for once, when the block ends (a command's many commits, a restore)."""
    if getattr(_batch, "open", False):
        yield
        return
    _open_batch()
    try:
        yield
    finally:
        _close_batch()


def _open_batch(**_signal) -> None:
    _batch.open, _batch.pending = True, False


def _close_batch(**_signal) -> None:
    pending = getattr(_batch, "pending", False)
    _batch.open = _batch.pending = False
    if pending:
        prepare_for_the_public()


# request_finished is sent when the server closes the response, once it has been sent: whoever published is not kept
# waiting for what their commits prepare.
request_started.connect(_open_batch, dispatch_uid="curation-prepare-batch-start")
request_finished.connect(_close_batch, dispatch_uid="curation-prepare-batch-end")


def pending_bump() -> ForgetOnCommit | None:
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        return None
    # A rolled-back savepoint drops the hooks registered inside it, and so the bump they stood for is redone.
    for _ids, hook, _robust in connection.run_on_commit:
        if isinstance(hook, ForgetOnCommit) and not hook.ran:
            return hook
    return None


def bump_revision(*, public: bool) -> ForgetOnCommit:
    """Says that content changed, and with `public` that the public can see the change. Once per transaction and
    revision: its other changes commit under the same numbers. Returns the transaction's hook, which the change feed
    writes its events through."""
    hook = pending_bump()
    if hook is not None and (hook.public or not public):
        return hook
    now = timezone.now()
    fields: dict = {}
    if hook is None:
        fields |= {"number": F("number") + 1, "changed_at": now}
    if public:
        fields |= {"public_number": F("public_number") + 1, "public_changed_at": now}
    updated = ContentRevision.objects.filter(pk=SINGLETON_ID).update(**fields)
    if not updated:
        ContentRevision.objects.get_or_create(
            pk=SINGLETON_ID,
            defaults={"changed_at": now, "number": 1, "public_changed_at": now, "public_number": int(public)},
        )
    if hook is None:
        hook = ForgetOnCommit()
        hook.public = public
        # Outside a transaction the hook runs at once, so it must know by now what it is for.
        transaction.on_commit(hook)
    hook.public = hook.public or public
    return hook


def revision_key(*parts: object) -> str:
    """A cache key that goes stale by itself when content changes: it names the revision it was built for."""
    return ":".join(["kb", current_revision().token, *map(str, parts)])


def touch(instance: models.Model) -> None:
    """Moves `updated_at` of the object a step or a link belongs to, so that `updated_since` sees the change."""
    type(instance).objects.filter(pk=instance.pk).update(updated_at=timezone.now())


Id = TypeVar("Id", bound=Hashable)
Value = TypeVar("Value")


class RevisionMemo:
    """A process-local cache in front of the shared one, for values whose keys name the content revision.

    Such a value can never go stale, so a worker may keep it in its own memory and skip the round trip to Redis
    and the unpickling. The memo empties itself when the revision moves on, and holds at most `size` entries.
    """

    instances: "list[RevisionMemo]" = []

    def __init__(self, size: int) -> None:
        self.size = size
        self.revision = ""
        self.values: dict[str, object] = {}
        RevisionMemo.instances.append(self)

    @classmethod
    def clear_all(cls) -> None:
        for memo in cls.instances:
            memo.clear()

    def clear(self) -> None:
        self.values.clear()

    def get(self, key: str, revision: str):
        if revision != self.revision:
            self.values.clear()
            self.revision = revision
        return self.values.get(key)

    def set(self, key: str, value: object, revision: str) -> None:
        if revision != self.revision:
            self.values.clear()
            self.revision = revision
        if len(self.values) >= self.size:
            self.values.clear()
        self.values[key] = value


class SizedRevisionMemo(RevisionMemo):
    """A RevisionMemo bounded by the bytes of what it holds rather than by a count, which gives up the least recently
    used entries first (a RevisionMemo empties itself when full): for values of very different sizes, some of which
    are asked for far more often than others. Threads of a worker share it."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(size=0)
        self.max_bytes = max_bytes
        self.values: OrderedDict[Hashable, tuple[object, int]] = OrderedDict()
        self.bytes = 0
        self.lock = threading.Lock()

    def clear(self) -> None:
        with self.lock:
            self.values.clear()
            self.bytes = 0

    def get(self, key: Hashable, revision: str):
        with self.lock:
            if revision != self.revision:
                return None
            entry = self.values.get(key)
            if entry is None:
                return None
            self.values.move_to_end(key)
            return entry[0]

    def set(self, key: Hashable, value: object, revision: str, size: int = 0) -> None:
        with self.lock:
            if revision != self.revision:
                self.values.clear()
                self.bytes = 0
                self.revision = revision
            replaced = self.values.pop(key, None)
            self.bytes += size - (replaced[1] if replaced is not None else 0)
            self.values[key] = (value, size)
            while self.bytes > self.max_bytes and self.values:
                _key, (_value, evicted) = self.values.popitem(last=False)
                self.bytes -= evicted


def fetch_many(memo: RevisionMemo, keys: Mapping[Id, str], revision: str) -> dict[Id, object]:
    """The values stored under `keys` (id → cache key): from the worker's memo, else in one round trip from the
    shared cache (and then kept in the memo). Ids whose values are in neither are left out."""
    values = {}
    for ident, key in keys.items():
        value = memo.get(key, revision)
        if value is not None:
            values[ident] = value
    if len(values) < len(keys):
        shared = cache.get_many([key for ident, key in keys.items() if ident not in values])
        for ident, key in keys.items():
            if key in shared:
                values[ident] = shared[key]
                memo.set(key, shared[key], revision)
    return values


def store_many(memo: RevisionMemo, values: Mapping[str, object], revision: str, timeout=DEFAULT_TIMEOUT) -> None:
    """Keeps `values` (cache key → value) in the shared cache and in the worker's memo."""
    if values:
        cache.set_many(dict(values), timeout)
    for key, value in values.items():
        memo.set(key, value, revision)


def get_one(memo: RevisionMemo, key: str, build: Callable[[], Value]) -> Value:
    """The value stored under `key` (which names the revision), as `get_many` finds or builds it."""
    return get_many(memo, {key: key}, lambda _missing: {key: build()})[key]


def get_many(
    memo: RevisionMemo,
    keys: Mapping[Id, str],
    build: Callable[[list[Id]], Mapping[Id, Value]],
    *,
    revision: str | None = None,
) -> dict[Id, Value]:
    """The values for `keys` (id → cache key): the worker's memo first, then the shared cache, and `build(missing
    ids)` for the rest, which are then stored in both. Keys must name the content revision (`revision_key`), so a
    value found is never stale. Ids that `build` leaves out are left out of the answer."""
    revision = revision or current_revision().token
    values = fetch_many(memo, keys, revision)
    missing = [ident for ident in keys if ident not in values]
    if missing:
        built = build(missing)
        store_many(memo, {keys[ident]: value for ident, value in built.items()}, revision)
        values |= built
    return values
