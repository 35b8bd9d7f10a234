"""Completes the first historical record of content the loader created before it recorded one whole version.

Until then `load_content` saved an object (a "created" record holding no links and no steps), then set its links
(one "links changed" record per relation), then wrote a procedure's steps, which no record held. Every one of those
records was written in the load's single transaction, so nobody ever saw the partial states: the first version
anyone saw is the object with all its links and steps. Each such record is given that complete snapshot, so that a
revert to the first version brings it back (a published procedure cannot be left without steps).

What the snapshot holds, by the best evidence history has:
- links: the last record of the load's burst (it set them all);
- steps: the earliest record that holds any (the procedure's own, or the first record of a pending edit of it,
  which copied the original's steps); failing that, the procedure's steps as they stand, since only a record could
  have changed them since.

Used by data migrations, with the historical models of the migration state (`apps`), never the live ones. The
core knows no content app: a migration names the rows its models own (`owned`: model name → key of the snapshot →
how to read them as they stand, from `apps` and the owner's primary key).
"""

from collections.abc import Callable

LINKS_CHANGED = "links changed"

Owned = dict[str, Callable[..., list]]


def completer(app_label: str, model_names: list[str], owned: dict[str, Owned] | None = None) -> Callable:
    def complete(apps, schema_editor) -> None:
        for name in model_names:
            complete_model(apps, app_label, name, (owned or {}).get(name, {}))

    return complete


def complete_model(apps, app_label: str, model_name: str, owned: Owned | None = None) -> None:
    model = apps.get_model(app_label, model_name)
    history = apps.get_model(app_label, f"Historical{model_name}")
    owned = owned or {}
    by_object: dict[int, list] = {}
    for record in history.objects.order_by("history_date", "history_id"):
        by_object.setdefault(record.id, []).append(record)
    for pk, records in by_object.items():
        first = records[0]
        burst = [first]
        for record in records[1:]:
            if record.version != first.version or record.history_change_reason != LINKS_CHANGED:
                break
            burst.append(record)
        keys = [field.name for field in model._meta.many_to_many] + list(owned)
        held = [record.related_snapshot or {} for record in burst]
        if len(burst) == 1 and all(key in held[0] for key in keys):
            # Written in one record (the admin, the API, an import, the workflow): already whole.
            continue
        later = records[len(burst) :]
        snapshot = {}
        for key in keys:
            value = next((kept[key] for kept in reversed(held) if key in kept), None)
            if key in owned and not value:
                value = earliest_owned(history, pk, key, later) or owned[key](apps, pk)
            if value is None:
                value = next((r.related_snapshot[key] for r in later if key in (r.related_snapshot or {})), None)
            if value is None:
                value = current(apps, model, pk, key)
            snapshot[key] = value
        for record in burst:
            history.objects.filter(pk=record.pk).update(related_snapshot=snapshot)


def earliest_owned(history, pk: int, key: str, later: list) -> list | None:
    own = [(r.history_date, r.related_snapshot[key]) for r in later if (r.related_snapshot or {}).get(key)]
    copies = [
        (r.history_date, r.related_snapshot[key])
        for r in history.objects.filter(draft_of_id=pk, history_type="+")
        if (r.related_snapshot or {}).get(key)
    ]
    found = sorted(own + copies, key=lambda pair: pair[0])
    return found[0][1] if found else None


def current(apps, model, pk: int, key: str) -> list:
    """The object's links of relation `key` as they stand, by public identifier, sorted as a snapshot holds them."""
    obj = model._base_manager.filter(pk=pk).first()
    if obj is None:
        return []
    field = model._meta.get_field(key)
    identifier = "code" if field.related_model._meta.label == "regions.Region" else "slug"
    return sorted(str(value) for value in getattr(obj, key).values_list(identifier, flat=True))
