"""The content revision: bumped on every change to curated content, read to answer conditional requests."""

from django.db import models
from django.db.models import F
from django.utils import timezone

from .models import ContentRevision

SINGLETON_ID = 1


def current_revision() -> ContentRevision:
    revision = ContentRevision.objects.filter(pk=SINGLETON_ID).first()
    if revision is None:
        revision, _ = ContentRevision.objects.get_or_create(pk=SINGLETON_ID, defaults={"changed_at": timezone.now()})
    return revision


def bump_revision() -> None:
    now = timezone.now()
    updated = ContentRevision.objects.filter(pk=SINGLETON_ID).update(number=F("number") + 1, changed_at=now)
    if not updated:
        ContentRevision.objects.get_or_create(pk=SINGLETON_ID, defaults={"changed_at": now, "number": 1})


def touch(instance: models.Model) -> None:
    """Moves `updated_at` of the object a step or a link belongs to, so that `updated_since` sees the change."""
    type(instance).objects.filter(pk=instance.pk).update(updated_at=timezone.now())
