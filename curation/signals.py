"""Keeps the content revision and the parents' `updated_at` in step with every write, whoever makes it."""

from django.apps import apps
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils import timezone
from simple_history.signals import pre_create_historical_record

from . import registry
from .history import record_history
from .models import ChangeNote, ContentModel
from .registry import EMBEDDED_IN, OWNER_FIELDS
from .revisions import bump_revision, touch


def touch_embedding(instance) -> None:
    now = timezone.now()
    for label, field in EMBEDDED_IN.get(instance._meta.label_lower, []):
        apps.get_model(label).objects.filter(**{field: instance}).update(updated_at=now)


def content_changed(sender, instance, **kwargs) -> None:
    bump_revision()
    owner_field = OWNER_FIELDS.get(sender)
    if owner_field:
        owner = getattr(instance, owner_field, None)
        if owner is not None and owner.pk is not None:
            touch(owner)
    if kwargs.get("created") is False:
        touch_embedding(instance)


def links_changed(sender, instance, action: str, reverse: bool, model, pk_set, **kwargs) -> None:
    if action in {"post_add", "post_remove", "post_clear"}:
        bump_revision()
        if not reverse and isinstance(instance, ContentModel):
            touch(instance)
            # Links set outside a save (the API, the loader, the shell) are history too; a save in progress
            # records them itself when it is done (the admin, the workflow).
            if not hasattr(instance, "skip_history_when_saving"):
                record_history(instance, reason="links changed")
        elif reverse and pk_set and issubclass(model, ContentModel):
            # Linked from the other side (source.procedures.add(...)): the rows that changed are the owners.
            model.objects.filter(pk__in=pk_set).update(updated_at=timezone.now())


def snapshot_related(sender, instance, history_instance, **kwargs) -> None:
    if isinstance(instance, ContentModel):
        history_instance.related_snapshot = instance.history_related_snapshot()


def change_note_changed(sender, instance, **kwargs) -> None:
    bump_revision()
    owner = instance.content_object
    if owner is not None:
        touch(owner)


def connect_model(model) -> None:
    post_save.connect(content_changed, sender=model, dispatch_uid=f"revision-save-{model._meta.label}")
    post_delete.connect(content_changed, sender=model, dispatch_uid=f"revision-delete-{model._meta.label}")


def connect() -> None:
    """Content models and their link tables; other apps add their own rows with `curation.registry`."""
    pre_create_historical_record.connect(snapshot_related, dispatch_uid="history-related-snapshot")
    post_save.connect(change_note_changed, sender=ChangeNote, dispatch_uid="revision-save-changenote")
    post_delete.connect(change_note_changed, sender=ChangeNote, dispatch_uid="revision-delete-changenote")
    for model in apps.get_models():
        if issubclass(model, ContentModel):
            connect_model(model)
            for field in model._meta.many_to_many:
                through = field.remote_field.through
                OWNER_FIELDS[through] = field.m2m_field_name()
                connect_model(through)
                m2m_changed.connect(links_changed, sender=through, dispatch_uid=f"revision-m2m-{through._meta.label}")
    # What apps registered before the core was ready, and from now on what they register.
    for model in registry.TRACKED:
        connect_model(model)
    registry.on_track = connect_model
