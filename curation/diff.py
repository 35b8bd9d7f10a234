"""What changed between two versions of one piece of content: fields, links, a procedure's steps and owned rows
named by a key (a card type's availability, by region), each text with its changed characters marked. One function
(`diff`) serves the pending-edit review and the History page in the admin and the write API's history, so that the
three never tell a publisher different things.

The answer is plain data (lists and dicts of strings), never HTML: the admin's templates mark the segments with
<ins> and <del> and escape the text like any other value, so staff text cannot bring markup into the page.
"""

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.utils.translation import gettext as _

from .models import ContentModel, content_field_names, linked_rows

# Chinese has no spaces between words, and cutting it into words needs a dictionary (jieba) whose guesses would
# still be marked character by character: a CJK character is one token. A run of Latin letters or digits is one
# token, so that 123456 → 654321 reads as one value replaced, not as "1[2→5]3…". Every other character
# (punctuation, brackets of a UI path, arrows) is a token of its own, and a run of white space is one.
TOKEN = re.compile(r"[A-Za-z0-9]+|\s+|.", re.DOTALL)

# Below this similarity two steps are a removal and an addition rather than one step rewritten.
SAME_STEP = 0.4


@dataclass(frozen=True)
class Version:
    """One state of a piece of content: its column values (by attname) and its links and owned rows."""

    values: dict[str, Any]
    snapshot: dict[str, list]


def version_of(obj: ContentModel) -> Version:
    values = {field.attname: getattr(obj, field.attname) for field in obj._meta.concrete_fields}
    return Version(values, obj.history_related_snapshot())


def version_of_record(record) -> Version:
    model = record.instance_type
    return Version(
        {field.attname: getattr(record, field.attname) for field in model._meta.concrete_fields},
        record.related_snapshot or {},
    )


def text_change(old: str | None, new: str | None) -> dict:
    """Both texts in full, and the segments that say which characters each side has that the other has not."""
    before, after = TOKEN.findall(old or ""), TOKEN.findall(new or "")
    segments: list[dict] = []

    def add(op: str, tokens: list[str]) -> None:
        if not tokens:
            return
        if segments and segments[-1]["op"] == op:
            segments[-1]["text"] += "".join(tokens)
        else:
            segments.append({"op": op, "text": "".join(tokens)})

    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            add("equal", before[i1:i2])
        else:
            add("delete", before[i1:i2])
            add("insert", after[j1:j2])
    return {"old": old, "new": new, "segments": without_chaff(segments)}


# difflib keeps any character the two texts share, so a rewritten phrase comes out as changes strewn with common
# characters ("，", "后", "的") that mean nothing; an unchanged stretch this short between two changes is read as
# part of one change.
CHAFF = 2


def without_chaff(segments: list[dict]) -> list[dict]:
    result: list[dict] = []
    deleted, inserted = "", ""

    def flush() -> None:
        nonlocal deleted, inserted
        result.extend({"op": op, "text": text} for op, text in (("delete", deleted), ("insert", inserted)) if text)
        deleted, inserted = "", ""

    for index, segment in enumerate(segments):
        between_changes = 0 < index < len(segments) - 1 and (deleted or inserted)
        if segment["op"] == "equal" and between_changes and len(segment["text"]) <= CHAFF:
            deleted += segment["text"]
            inserted += segment["text"]
        elif segment["op"] == "equal":
            flush()
            result.append(segment)
        elif segment["op"] == "delete":
            deleted += segment["text"]
        else:
            inserted += segment["text"]
    flush()
    return result


def diff(model: type[ContentModel], old: Version | None, new: Version, *, with_status: bool = False) -> dict:
    """How `new` differs from `old`: `fields` (label, both values, segments), `links` (kept, added and removed,
    by name), `steps` (added, removed, moved and changed, in order) and `rows`, the owned rows named by a column of
    their own (`ContentModel.keyed_rows`: added, removed and changed). `with_status`: the status is compared too
    (history); a pending edit is always a draft, so its review leaves it out."""
    old = old or Version({}, {})
    names = content_field_names(model) + (["status"] if with_status else [])
    fields = []
    for field in model._meta.concrete_fields:
        if field.attname not in names:
            continue
        before, after = old.values.get(field.attname), new.values.get(field.attname)
        if before == after:
            continue
        change = text_change(shown(field, before), shown(field, after))
        if not is_text(field):
            change["segments"] = whole(change)
        fields.append({"field": field.name, "label": str(field.verbose_name), **change})
    links = []
    for field in model._meta.many_to_many:
        before, after = set(old.snapshot.get(field.name, [])), set(new.snapshot.get(field.name, []))
        if before == after:
            continue
        named = names_of(field.related_model, before | after)
        links.append(
            {
                "field": field.name,
                "label": str(field.verbose_name),
                "kept": [named[key] for key in sorted(before & after)],
                "removed": [named[key] for key in sorted(before - after)],
                "added": [named[key] for key in sorted(after - before)],
            }
        )
    steps = []
    if "steps" in old.snapshot or "steps" in new.snapshot:
        # The model of the channels a step may name (a step done elsewhere than its procedure's own channel).
        channels = model._meta.get_field("steps").related_model._meta.get_field("channel").related_model
        steps = step_changes(old.snapshot.get("steps", []), new.snapshot.get("steps", []), channels)
    rows = []
    for name, key in model.keyed_rows.items():
        if name in old.snapshot or name in new.snapshot:
            rows += keyed_row_changes(model, name, key, old.snapshot.get(name, []), new.snapshot.get(name, []))
    return {"fields": fields, "links": links, "steps": steps, "rows": rows}


def is_text(field: models.Field) -> bool:
    return isinstance(field, models.CharField | models.TextField) and not field.choices


def shown(field: models.Field, value: Any) -> str:
    """A value as staff read it: a choice's label, a linked row's name, yes or no; empty text as empty."""
    if value is None or value == "":
        return ""
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if field.is_relation:
        row = field.related_model._base_manager.filter(pk=value).first()
        return str(row) if row is not None else f"#{value}"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    return str(value)


def names_of(model: type[models.Model], identifiers: Iterable[str]) -> dict[str, dict]:
    """Linked rows by their identifier, as {"id", "name"}; a row deleted since is named by its identifier."""
    identifiers = set(identifiers)
    found = linked_rows(model, identifiers)
    return {key: {"id": key, "name": str(found[key]) if key in found else key} for key in identifiers}


def step_changes(old: list[dict], new: list[dict], channel_model: type[models.Model] | None = None) -> list[dict]:
    """The steps that were added, removed, moved or changed, by position. Steps have no identity of their own (a
    save renumbers them), so they are matched by content (instruction, UI path and the channel a step names): the
    longest run of identical steps in order is what stayed; an identical step elsewhere moved; a similar one was
    changed; what is left was removed or added. Steps that only shifted because one was added or removed above them
    are not listed. A step's channel is named by `channel_model`'s rows."""

    def key(step: dict) -> tuple[str, str, str]:
        return step["instruction"], step.get("ui_path", ""), step.get("channel", "")

    before, after = [key(step) for step in old], [key(step) for step in new]
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    free_old = set(range(len(before)))
    free_new = set(range(len(after)))
    for block in matcher.get_matching_blocks():
        free_old -= set(range(block.a, block.a + block.size))
        free_new -= set(range(block.b, block.b + block.size))
    pairs: list[tuple[str, int, int]] = []
    for j in sorted(free_new):
        i = next((i for i in sorted(free_old) if before[i] == after[j]), None)
        if i is not None:
            pairs.append(("moved", i, j))
            free_old.discard(i)
            free_new.discard(j)
    candidates = sorted(
        ((similarity(before[i], after[j]), -abs(i - j), i, j) for i in free_old for j in free_new), reverse=True
    )
    for ratio, _distance, i, j in candidates:
        if ratio >= SAME_STEP and i in free_old and j in free_new:
            pairs.append(("changed", i, j))
            free_old.discard(i)
            free_new.discard(j)
    named = {step["channel"] for step in [*old, *new] if step.get("channel")}
    channels = names_of(channel_model, named) if named and channel_model is not None else {}
    entries = [step_entry(change, old[i], new[j], channels) for change, i, j in pairs]
    entries += [step_entry("removed", old[i], None, channels) for i in free_old]
    entries += [step_entry("added", None, new[j], channels) for j in free_new]
    # In the order of the new list; a removed step where it stood, before what now takes its place.
    return sorted(
        entries,
        key=lambda entry: (
            entry["new_position"] if entry["new_position"] is not None else entry["old_position"],
            entry["new_position"] is not None,
        ),
    )


def similarity(a: tuple[str, ...], b: tuple[str, ...]) -> float:
    return difflib.SequenceMatcher(None, "\n".join(a), "\n".join(b), autojunk=False).ratio()


def step_entry(change: str, old: dict | None, new: dict | None, channels: dict[str, dict]) -> dict:
    def channel(step: dict | None) -> str | None:
        """The name of the channel the step names; empty for its procedure's own, None where there is no step."""
        if step is None:
            return None
        slug = step.get("channel", "")
        return channels[slug]["name"] if slug in channels else slug

    channel_change = text_change(channel(old), channel(new))
    # A channel is replaced whole: marking the characters two names share would say nothing.
    channel_change["segments"] = whole(channel_change)
    return {
        "change": change,
        "old_position": old["position"] if old else None,
        "new_position": new["position"] if new else None,
        "instruction": text_change(old["instruction"] if old else None, new["instruction"] if new else None),
        "ui_path": text_change(old.get("ui_path", "") if old else None, new.get("ui_path", "") if new else None),
        "channel": channel_change,
    }


def keyed_row_changes(model: type[ContentModel], name: str, key: str, old: list[dict], new: list[dict]) -> list[dict]:
    """The owned rows `name` that were added, removed or changed, matched by their column `key` (a card type's
    availability by region), in the order of that key. Each lists its other columns with both values (a linked row
    by its name, a date whole, text with its changed characters marked); unchanged rows are left out."""
    owned = model._meta.get_field(name).related_model
    before = {str(row[key]): row for row in old}
    after = {str(row[key]): row for row in new}
    columns = list(dict.fromkeys(column for row in [*old, *new] for column in row if column != key))
    # Every linked row the two versions name, read once per kind (a region, a source).
    names: dict[str, dict[str, dict]] = {}
    for column in [key, *columns]:
        field = owned._meta.get_field(column)
        if field.is_relation:
            names[column] = names_of(field.related_model, {str(row[column]) for row in [*old, *new] if row.get(column)})
    changes = []
    for identifier in sorted(before.keys() | after.keys()):
        was, now = before.get(identifier), after.get(identifier)
        if was == now:
            continue
        values = []
        for column in columns:
            old_value = row_value(names, column, was)
            new_value = row_value(names, column, now)
            if not old_value and not new_value:
                continue
            field = owned._meta.get_field(column)
            change = text_change(old_value if was else None, new_value if now else None)
            if not is_text(field) and change["old"] != change["new"]:
                change["segments"] = whole(change)
            values.append({"field": column, "label": str(field.verbose_name), **change})
        changes.append(
            {
                "field": name,
                "label": str(owned._meta.verbose_name),
                "change": "added" if was is None else "removed" if now is None else "changed",
                "key": names[key][identifier] if key in names else {"id": identifier, "name": identifier},
                "values": values,
            }
        )
    return changes


def row_value(names: dict[str, dict[str, dict]], column: str, row: dict | None) -> str:
    """A column of a snapshotted row as staff read it: a linked row by its name, anything else as text."""
    value = (row or {}).get(column)
    if value is None or value == "":
        return ""
    if column in names:
        return names[column][str(value)]["name"]
    return str(value)


def whole(change: dict) -> list[dict]:
    """A value replaced whole: a choice, a date or a linked row, where marking characters would say nothing."""
    return [
        segment
        for segment in ({"op": "delete", "text": change["old"]}, {"op": "insert", "text": change["new"]})
        if segment["text"]
    ]


def is_empty(change: dict) -> bool:
    return not (change["fields"] or change["links"] or change["steps"] or change["rows"])
