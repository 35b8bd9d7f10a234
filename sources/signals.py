"""Keeps the content revision and the parents' `updated_at` in step with every write, whoever makes it."""

from django.apps import apps
from django.db.models.signals import m2m_changed, post_delete, post_save

from .models import ContentModel
from .revisions import bump_revision, touch

# Rows that belong to a content object, by the name of the field pointing at it: steps, and the link rows of
# many-to-many relations (which the admin's inlines save one by one, without an m2m_changed signal).
OWNER_FIELDS: dict[type, str] = {}


def content_changed(sender, instance, **kwargs) -> None:
    bump_revision()
    owner_field = OWNER_FIELDS.get(sender)
    if owner_field:
        owner = getattr(instance, owner_field, None)
        if owner is not None and owner.pk is not None:
            touch(owner)


def links_changed(sender, instance, action: str, **kwargs) -> None:
    if action in {"post_add", "post_remove", "post_clear"}:
        bump_revision()
        if isinstance(instance, ContentModel):
            touch(instance)


def connect() -> None:
    step = apps.get_model("procedures", "Step")
    OWNER_FIELDS[step] = "procedure"
    tracked = [apps.get_model("regions", "Region"), step]
    for model in apps.get_models():
        if issubclass(model, ContentModel):
            tracked.append(model)
            for field in model._meta.many_to_many:
                through = field.remote_field.through
                OWNER_FIELDS[through] = field.m2m_field_name()
                tracked.append(through)
                m2m_changed.connect(links_changed, sender=through, dispatch_uid=f"revision-m2m-{through._meta.label}")
    for model in tracked:
        post_save.connect(content_changed, sender=model, dispatch_uid=f"revision-save-{model._meta.label}")
        post_delete.connect(content_changed, sender=model, dispatch_uid=f"revision-delete-{model._meta.label}")
