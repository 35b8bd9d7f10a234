"""Readable summaries of content history, for the admin's history page and for refusing stale edits."""

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar

from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import gettext as _

from .diff import diff, version_of, version_of_record
from .models import ContentModel

_paused: ContextVar[bool] = ContextVar("history_paused", default=False)


@contextlib.contextmanager
def history_paused() -> Iterator[None]:
    """No record_history() inside: for restoring a backup, which brings its own history."""
    token = _paused.set(True)
    try:
        yield
    finally:
        _paused.reset(token)


def record_history(instance: ContentModel, *, user=None, reason: str = "", created: bool = False) -> None:
    """Adds a historical record of `instance` as it stands, links and owned rows included, without saving it."""
    if _paused.get():
        return
    type(instance).history.bulk_history_create(
        [instance],
        update=not created,
        default_user=user,
        default_change_reason=reason,
        custom_historical_attrs={"related_snapshot": instance.history_related_snapshot()},
    )


def record_created_in_bulk(instances: list[ContentModel], snapshots: list[dict[str, list]]) -> None:
    """The "created" records of objects inserted together (an import), in one insert. Each carries its own user
    (`_history_user`), reason (`_change_reason`) and snapshot of links, which `bulk_history_create` cannot give
    each record (it takes one set of extra columns for all)."""
    if _paused.get() or not instances:
        return
    history = type(instances[0]).history.model
    now = timezone.now()
    records = []
    for instance, snapshot in zip(instances, snapshots, strict=True):
        record = history(
            history_date=now,
            history_user=getattr(instance, "_history_user", None),
            history_change_reason=getattr(instance, "_change_reason", ""),
            history_type="+",
            related_snapshot=snapshot,
            **{field.attname: getattr(instance, field.attname) for field in history.tracked_fields},
        )
        records.append(record)
    history.objects.bulk_create(records)


@contextlib.contextmanager
def one_history_record(instance: ContentModel, *, user=None, reason: str = "") -> Iterator[None]:
    """What is written inside (the object, then its links and owned rows) becomes one historical record, taken at
    the end so that it holds all of it; nothing is recorded if the block fails."""
    created = instance._state.adding
    with instance.history_deferred():
        yield
    record_history(instance, user=user, reason=reason, created=created)


# Columns every save moves: they say nothing about what changed.
UNCOMPARED = ["version", "updated_at", "created_at"]
RECORD_TYPES = {"+": "created", "~": "changed", "-": "deleted"}


def changed_fields(record, previous) -> list[str]:
    if previous is None:
        return []
    names = set(record.diff_against(previous, excluded_fields=UNCOMPARED).changed_fields)
    new, old = record.related_snapshot or {}, previous.related_snapshot or {}
    names |= {key for key in new.keys() | old.keys() if new.get(key) != old.get(key)}
    return sorted(names)


def username(user) -> str | None:
    return user.get_username() if user is not None else None


def history_entries(obj: ContentModel) -> list[dict]:
    """Every recorded version of `obj`, newest first, each with the fields it changed."""
    records = list(obj.history.select_related("history_user").order_by("history_date", "history_id"))
    entries, previous = [], None
    for record in records:
        entries.append(
            {
                "history_id": record.history_id,
                "version": record.version,
                "date": record.history_date,
                "user": username(record.history_user),
                "type": RECORD_TYPES.get(record.history_type, "changed"),
                "status": record.status,
                "reason": record.history_change_reason,
                "changed_fields": changed_fields(record, previous),
                # The first version changed nothing, as its empty changed_fields say.
                "diff": record_diff(previous, record) or {"fields": [], "links": [], "steps": []},
            }
        )
        previous = record
    return entries[::-1]


def changes_since(obj: ContentModel, version: int | None) -> list[dict]:
    """The saves of `obj` after `version`, oldest first: what a client editing that version has not seen."""
    if version is None:
        return []
    history = obj.history.select_related("history_user").order_by("history_date", "history_id")
    previous = history.filter(version__lte=version).last()
    changes = []
    for record in history.filter(version__gt=version):
        changes.append(
            {
                "version": record.version,
                "changed_at": record.history_date,
                "changed_by": username(record.history_user),
                "fields": changed_fields(record, previous),
            }
        )
        previous = record
    return changes


def stale_summary(obj: ContentModel, version: int) -> tuple[str, str, str]:
    """Who changed `obj` after `version`, when last, and which fields (by their labels), for a refused save."""
    changes = changes_since(obj, version)
    if not changes:
        return "", "", ""
    names = dict.fromkeys(name for change in changes for name in change["fields"])
    labels = [str(LABELS[name]()) if name in LABELS else field_label(obj, name) for name in names]
    people = sorted({change["changed_by"] for change in changes if change["changed_by"]})
    when = date_format(localtime(changes[-1]["changed_at"]), "DATETIME_FORMAT")
    return ", ".join(people), when, ", ".join(labels)


def field_label(obj: ContentModel, name: str) -> str:
    field = obj._meta.get_field(name)
    # Rows the object owns (a card type's availability) are a reverse relation: named by what they are.
    return str(getattr(field, "verbose_name", None) or field.related_model._meta.verbose_name_plural)


LABELS = {
    "sources": lambda: _("sources"),
    "card_types": lambda: _("card types"),
    "regions": lambda: _("regions"),
    "procedures": lambda: _("procedures"),
    "steps": lambda: _("steps"),
}


def pending_changes(copy: ContentModel) -> dict:
    """What publishing a pending edit would change on its original (see `curation.diff.diff`)."""
    return diff(type(copy), version_of(copy.draft_of), version_of(copy))


def previous_record(record):
    """The version before historical `record`, in the order history_entries reads them."""
    earlier = Q(history_date__lt=record.history_date) | Q(history_date=record.history_date, history_id__lt=record.pk)
    siblings = type(record).objects.filter(id=record.id)
    return siblings.filter(earlier).order_by("history_date", "history_id").last()


def record_diff(previous, record) -> dict | None:
    """What historical `record` changed against the one before it; None for the first, which changed nothing."""
    if previous is None:
        return None
    return diff(record.instance_type, version_of_record(previous), version_of_record(record), with_status=True)
