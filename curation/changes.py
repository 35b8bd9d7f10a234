"""The public change notes of content, read for many objects at once so that lists and the lookup stay flat."""

from collections import defaultdict
from collections.abc import Iterable

from django.db.models import Q

from .models import ChangeNote, ContentModel

ATTRIBUTE = "_public_changes"


def attach_change_notes(objects: Iterable[ContentModel]) -> None:
    """Reads the change notes of every object in one query, whatever their models, and keeps them on the objects
    for `public_changes`. The content type is matched by name through a join rather than by id, so no lookup of
    content types adds a query the first time a process runs it."""
    by_model: dict[type, dict[int, ContentModel]] = defaultdict(dict)
    for obj in objects:
        by_model[type(obj)][obj.pk] = obj
        setattr(obj, ATTRIBUTE, [])
    if not by_model:
        return
    condition = Q()
    for model, rows in by_model.items():
        condition |= Q(
            content_type__app_label=model._meta.app_label,
            content_type__model=model._meta.model_name,
            object_id__in=list(rows),
        )
    models = {(model._meta.app_label, model._meta.model_name): rows for model, rows in by_model.items()}
    notes = (
        ChangeNote.objects.filter(condition)
        .order_by("-changed_on", "-id")
        .values_list("content_type__app_label", "content_type__model", "object_id", "changed_on", "note")
    )
    for app_label, model_name, object_id, changed_on, note in notes:
        obj = models[(app_label, model_name)].get(object_id)
        if obj is not None:
            getattr(obj, ATTRIBUTE).append({"date": changed_on.isoformat(), "note": note})


def public_changes(obj: ContentModel) -> list[dict]:
    """The object's change notes, newest first: those attached in bulk, or read now for a single object."""
    if not hasattr(obj, ATTRIBUTE):
        attach_change_notes([obj])
    return getattr(obj, ATTRIBUTE)
