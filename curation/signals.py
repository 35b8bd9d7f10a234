"""Keeps the content revisions, the change feed and the parents' `updated_at` in step with every write, whoever
makes it. Each handler works out what the public sees of its write (`curation.events`) and says so once."""

from django.apps import apps
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils import timezone
from simple_history.signals import pre_create_historical_record

from . import registry
from .choices import Status
from .events import VISIBLE, Event, changed, state_of
from .history import record_history
from .models import ChangeAction, ChangeNote, ContentModel, linked_identifier
from .registry import EMBEDDED_IN, OWNER_FIELDS
from .revisions import touch

UNKNOWN = object()


def embedding(instance) -> list[Event]:
    """Moves `updated_at` of the content that shows `instance` (a procedure shows its channel); the public rows among
    it change for the public too, whatever the status of `instance`."""
    now = timezone.now()
    events = []
    for label, field in EMBEDDED_IN.get(instance._meta.label_lower, []):
        model = apps.get_model(label)
        shown_by = model._base_manager.filter(**{field: instance})
        for slug, status in shown_by.filter(status__in=VISIBLE).values_list("slug", "status"):
            action = ChangeAction.ARCHIVED if status == Status.ARCHIVED else ChangeAction.UPDATED
            events.append(Event(model, slug, action))
        shown_by.update(updated_at=now)
    return events


def saved_content(instance: ContentModel, created: bool) -> list[Event]:
    """What the public sees of a save: a row that becomes published is created, one that stops being published or
    archived is deleted (an unpublish, a return), a published one is updated, an archived one archived."""
    before_status, before_slug = (
        (None, instance.slug) if created else getattr(instance, "_public_as_loaded", (UNKNOWN, None))
    )
    instance._public_as_loaded = (instance.status, instance.slug)
    was_visible = before_status in VISIBLE or before_status is UNKNOWN
    events = []
    if before_slug not in (None, instance.slug) and was_visible:
        events.append(Event(type(instance), before_slug, ChangeAction.DELETED))
    now = state_of(instance)
    if now and now[0].action == ChangeAction.UPDATED and before_status not in (Status.PUBLISHED, UNKNOWN):
        now = [Event(type(instance), instance.slug, ChangeAction.CREATED)]
    elif not now and was_visible:
        # Unknown before (a row loaded without its status, a restore): saying "deleted" of what the public never
        # saw is harmless, missing it is not.
        now = [Event(type(instance), instance.slug, ChangeAction.DELETED)]
    return events + now


def deleted_content(instance: ContentModel) -> list[Event]:
    status = getattr(instance, "_public_as_loaded", (instance.status,))[0]
    if status in VISIBLE:
        return [Event(type(instance), instance.slug, ChangeAction.DELETED)]
    return []


def content_changed(sender, instance, **kwargs) -> None:
    created = kwargs.get("created")
    deleted = created is None
    events = []
    owner_field = OWNER_FIELDS.get(sender)
    if owner_field:
        # A step or a link row: what changes is its owner.
        owner = getattr(instance, owner_field, None)
        if owner is not None and owner.pk is not None:
            touch(owner)
            events += state_of(owner)
    elif isinstance(instance, ContentModel):
        events += deleted_content(instance) if deleted else saved_content(instance, created)
    elif deleted:
        events.append(Event(sender, str(getattr(instance, linked_identifier(sender))), ChangeAction.DELETED))
    else:
        events += state_of(instance)
        if created:
            events = [Event(sender, event.identifier, ChangeAction.CREATED) for event in events]
    if created is False:
        events += embedding(instance)
    changed(events)


def linked_from_the_other_side(instance, model, sender) -> list[Event]:
    """The public rows of `model` linked to `instance` through `sender` (source.password_rules → the rules)."""
    field = next(field for field in model._meta.many_to_many if field.remote_field.through is sender)
    rows = model._base_manager.filter(**{field.name: instance}, status__in=VISIBLE)
    return [event for row in rows.only("pk", "slug", "status") for event in state_of(row)]


def links_changed(sender, instance, action: str, reverse: bool, model, pk_set, **kwargs) -> None:
    if action == "pre_clear" and reverse and issubclass(model, ContentModel):
        # post_clear names no rows: remember which public ones lose their links.
        instance._cleared_links = linked_from_the_other_side(instance, model, sender)
        return
    if action not in {"post_add", "post_remove", "post_clear"}:
        return
    events = []
    if not reverse and isinstance(instance, ContentModel):
        touch(instance)
        events += state_of(instance)
        # Links set outside a save (the API, the loader, the shell) are history too; a save in progress
        # records them itself when it is done (the admin, the workflow).
        if not hasattr(instance, "skip_history_when_saving"):
            record_history(instance, reason="links changed")
    elif reverse and issubclass(model, ContentModel):
        if action == "post_clear":
            events += getattr(instance, "_cleared_links", [])
            instance._cleared_links = []
        elif pk_set:
            # Linked from the other side (source.procedures.add(...)): the rows that changed are the owners.
            owners = model._base_manager.filter(pk__in=pk_set)
            events += [event for row in owners.filter(status__in=VISIBLE) for event in state_of(row)]
            owners.update(updated_at=timezone.now())
    changed(events)


def snapshot_related(sender, instance, history_instance, **kwargs) -> None:
    if isinstance(instance, ContentModel):
        history_instance.related_snapshot = instance.history_related_snapshot()


def change_note_changed(sender, instance, **kwargs) -> None:
    owner = instance.content_object
    if owner is not None:
        touch(owner)
    # A note shows with its content: public when the content is.
    changed(state_of(owner))


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
