"""Enumerations shared by every kind of curated content."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Status(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_REVIEW = "in_review", _("In review")
    PUBLISHED = "published", _("Published")
    ARCHIVED = "archived", _("Archived")


class Standing(models.TextChoices):
    """How strongly a claim is backed: the nationwide hearsay must never pass for an official rule."""

    OFFICIAL = "official", _("Official statement")
    WIDELY_REPORTED = "widely_reported", _("Widely reported")
    UNVERIFIED = "unverified", _("Unverified")


class AuditAction(models.TextChoices):
    SUBMIT = "submit", _("Submitted for review")
    RETURN = "return", _("Returned to draft")
    SCHEDULE = "schedule", _("Scheduled")
    PUBLISH = "publish", _("Published")
    ARCHIVE = "archive", _("Archived")
    REVERT = "revert", _("Reverted")
    IMPORT = "import", _("Imported")
