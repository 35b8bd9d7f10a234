"""Readable summaries of content history, for the admin's history page and audit log and for refusing stale edits."""

import contextlib
import datetime
import re
from collections.abc import Callable, Iterator
from contextvars import ContextVar

from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

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
                "diff": record_diff(previous, record) or {"fields": [], "links": [], "steps": [], "rows": []},
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


def shown_time(moment: datetime.datetime | str) -> str:
    """A moment as the admin shows its other dates: in the active time zone, to the minute (an ISO string too)."""
    if isinstance(moment, str):
        moment = datetime.datetime.fromisoformat(moment)
        if timezone.is_naive(moment):
            # Stored reasons wrote the record's moment without its zone, which is UTC (USE_TZ).
            moment = moment.replace(tzinfo=datetime.UTC)
    return date_format(localtime(moment), "DATETIME_FORMAT")


# Stored reasons and audit details stay in English, as written when it happened (the write API returns them as they
# are); the admin reads them in the staff member's language, rows written before this table included. Each pattern
# is one sentence the code writes; its named parts are passed through the function beside it.
Sentence = tuple[re.Pattern, Callable[[], str], dict[str, Callable[[str], str]]]
REASONS: list[Sentence] = [
    (re.compile(r"submitted for review"), gettext_lazy("submitted for review"), {}),
    (re.compile(r"published"), gettext_lazy("published"), {}),
    (re.compile(r"edit published"), gettext_lazy("pending edit published"), {}),
    (re.compile(r"returned to draft"), gettext_lazy("returned to draft"), {}),
    (re.compile(r"edit of (?P<slug>.+) started"), gettext_lazy("edit of %(slug)s started"), {}),
    (re.compile(r"verified against its sources"), gettext_lazy("verified against its sources"), {}),
    (re.compile(r"archived"), gettext_lazy("archived"), {}),
    (re.compile(r"scheduled for (?P<when>\S+)"), gettext_lazy("scheduled for %(when)s"), {"when": shown_time}),
    (
        re.compile(r"reverted to the version of (?P<when>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)"),
        gettext_lazy("reverted to the version of %(when)s"),
        {"when": shown_time},
    ),
    (re.compile(r"imported from a file"), gettext_lazy("imported from a file"), {}),
    (re.compile(r"imported from (?P<file>.+)"), gettext_lazy("imported from %(file)s"), {}),
    (re.compile(r"loaded from (?P<file>.+)"), gettext_lazy("loaded from %(file)s"), {}),
    (re.compile(r"links changed"), gettext_lazy("links or steps changed"), {}),
    (re.compile(r"changed through the API"), gettext_lazy("changed through the API"), {}),
    (re.compile(r"created through the API"), gettext_lazy("created through the API"), {}),
    (re.compile(r"deleted through the API"), gettext_lazy("deleted through the API"), {}),
]


def translated(stored: str | None, sentences: list[Sentence]) -> str | None:
    """`stored` in the active language if it is one of `sentences`; None if it is none of them (free text)."""
    for pattern, message, parts in sentences:
        found = pattern.fullmatch(stored or "")
        if found is not None:
            values = {name: parts.get(name, str)(value) for name, value in found.groupdict().items()}
            return str(message) % values if values else str(message)
    return None


def shown_reason(stored: str | None) -> str:
    """Why a version was saved, as staff read it; text the code did not write (or none) is shown as it is."""
    return translated(stored, REASONS) or (stored or "")


ISO_MOMENT = r"\d{4}-\d\d-\d\dT\S+"
# The parts an audit detail is made of, joined by spaces (workflow.publish writes "scheduled without a second person").
AUDIT_DETAILS: list[Sentence] = [
    (re.compile(r"scheduled"), gettext_lazy("published as scheduled"), {}),
    (re.compile(r"without a second person"), gettext_lazy("without a second person"), {}),
    (re.compile(r"pending edit (?P<slug>\S+) merged"), gettext_lazy("pending edit %(slug)s merged"), {}),
    (re.compile(r"replaced by (?P<slug>\S+)"), gettext_lazy("replaced by %(slug)s"), {}),
    (re.compile(f"(?P<when>{ISO_MOMENT})"), gettext_lazy("to go live at %(when)s"), {"when": shown_time}),
    (
        re.compile(f"to version (?P<version>\\d+) of (?P<when>{ISO_MOMENT})"),
        gettext_lazy("to version %(version)s of %(when)s"),
        {"when": shown_time},
    ),
    (
        re.compile(
            r"(?P<file>.+) \(\w+\): (?P<new>\d+) created, (?P<update>\d+) updated \((?P<pending>\d+) of them pending "
            r"edits of published content\), (?P<skip>\d+) unchanged"
        ),
        gettext_lazy(
            "%(file)s: %(new)s created, %(update)s updated (%(pending)s of them pending edits of published content), "
            "%(skip)s unchanged"
        ),
        {},
    ),
]


def shown_detail(stored: str) -> str:
    """An audit entry's detail as staff read it: each part the workflow wrote, translated; free text (why content
    was returned to draft) as it is."""
    whole = translated(stored, AUDIT_DETAILS)
    if whole is not None or not stored:
        return whole or ""
    parts, rest = [], stored
    while rest:
        for pattern, _message, _parts in AUDIT_DETAILS:
            found = pattern.match(rest)
            if found is not None and rest[found.end() :][:1] in ("", " "):
                parts.append(translated(found.group(), AUDIT_DETAILS))
                rest = rest[found.end() :].lstrip(" ")
                break
        else:
            return stored
    return _("; ").join(parts)
