"""Readable summaries of content history, for the admin's history page and for refusing stale edits."""

from dataclasses import dataclass

from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import gettext as _

from .models import ContentModel


def record_history(instance: ContentModel, *, user=None, reason: str = "") -> None:
    """Adds a historical record of `instance` as it stands, links and owned rows included, without saving it."""
    type(instance).history.bulk_history_create(
        [instance],
        update=True,
        default_user=user,
        default_change_reason=reason,
        custom_historical_attrs={"related_snapshot": instance.history_related_snapshot()},
    )


# Moved by every save, so never news to a reader.
BOOKKEEPING_FIELDS = {"version", "updated_at"}


@dataclass(frozen=True)
class ChangeSummary:
    fields: str
    users: str
    when: str


def changes_since(obj: ContentModel, version: int) -> ChangeSummary:
    """What others changed in `obj` after the version an editor started from: field names, who, and when last."""
    records = list(obj.history.filter(id=obj.pk).select_related("history_user").order_by("-history_date"))
    newer = [record for record in records if record.version > version]
    base = next((record for record in records if record.version <= version), None)
    if not newer:
        return ChangeSummary(fields="", users="", when="")
    latest = newer[0]
    names: list[str] = []
    if base is not None:
        delta = latest.diff_against(base)
        names = [
            str(obj._meta.get_field(change.field).verbose_name)
            for change in delta.changes
            if change.field not in BOOKKEEPING_FIELDS
        ]
        names += related_changes(base.related_snapshot, latest.related_snapshot, names_only=True)
    users = sorted({str(record.history_user) for record in newer if record.history_user is not None})
    return ChangeSummary(
        fields=", ".join(dict.fromkeys(names)),
        users=", ".join(users),
        when=date_format(localtime(latest.history_date), "DATETIME_FORMAT"),
    )


LABELS = {
    "sources": lambda: _("sources"),
    "card_types": lambda: _("card types"),
    "regions": lambda: _("regions"),
    "procedures": lambda: _("procedures"),
    "steps": lambda: _("steps"),
}


def related_changes(older: dict | None, newer: dict | None, *, names_only: bool = False) -> list[str]:
    """How the links and owned rows differ between two snapshots, one line per kind of relation."""
    older, newer = older or {}, newer or {}
    lines = []
    for key in sorted(set(older) | set(newer)):
        before, after = older.get(key, []), newer.get(key, [])
        if before == after:
            continue
        label = LABELS[key]() if key in LABELS else key
        if names_only:
            lines.append(label)
        elif key == "steps":
            lines.append(f"{label}: {_describe_steps(before)} → {_describe_steps(after)}")
        else:
            added = sorted(set(after) - set(before))
            removed = sorted(set(before) - set(after))
            parts = [f"+{value}" for value in added] + [f"−{value}" for value in removed]
            lines.append(f"{label}: {' '.join(parts)}")
    return lines


def _describe_steps(steps: list[dict]) -> str:
    return " / ".join(f"{step['position']}. {step['instruction'][:30]}" for step in steps) or "—"


def pending_changes(copy: ContentModel) -> list[tuple[str, str, str]]:
    """What publishing a pending edit would change on its original: (what, published, pending) per difference."""
    from .workflow import content_field_names

    original = copy.draft_of
    rows = []
    for attname in content_field_names(type(copy)):
        field = next(f for f in type(copy)._meta.concrete_fields if f.attname == attname)
        before, after = _shown(original, field), _shown(copy, field)
        if before != after:
            rows.append((str(field.verbose_name), before, after))
    for line in related_changes(original.history_related_snapshot(), copy.history_related_snapshot()):
        label, _sep, change = line.partition(": ")
        rows.append((label, "", change))
    return rows


def _shown(obj: ContentModel, field) -> str:
    value = getattr(obj, field.name)
    if field.choices:
        return str(getattr(obj, f"get_{field.name}_display")())
    if value is None or value == "":
        return "—"
    return str(value)
