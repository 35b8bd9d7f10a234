"""The curation core: the fields and rules every piece of curated content shares, and the rows that follow its
changes (the content revision, public change notes, the audit log)."""

import contextlib
from collections.abc import Iterable, Iterator
from typing import ClassVar

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey, GenericRelation
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.validators import ProhibitNullCharactersValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from kb.constraints import one_of
from kb.slugs import LowerCaseSlugField, pinyin_slug, unique_slug

from .choices import AuditAction, Status


class StaleEdit(ValidationError):
    """Raised when a save is based on a version of the row that someone else has since replaced."""

    def __init__(self, instance: "ContentModel", expected_version: int):
        self.instance = instance
        self.expected_version = expected_version
        super().__init__(
            _("Someone else saved this %(model)s after you opened it; reload it and make your change again."),
            code="stale",
            params={"model": instance._meta.verbose_name},
        )


class ContentQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status=Status.PUBLISHED)


def named(queryset: models.QuerySet) -> models.QuerySet:
    """`queryset` with what its rows' names read (a rule names its region and card type), so that listing them by name
    adds no queries."""
    shown = [field.name for field in queryset.model._meta.fields if field.name in ("region", "card_type")]
    return queryset.select_related(*shown) if shown else queryset


class SlugManager(models.Manager.from_queryset(ContentQuerySet)):
    """Content is addressed by its slug, so fixtures and exports survive a move between databases."""

    def get_by_natural_key(self, slug: str):
        return self.get(slug=slug)


def linked_identifier(model: type[models.Model]) -> str:
    return "code" if model._meta.label == "regions.Region" else "slug"


def linkable(model: type[models.Model]) -> models.QuerySet:
    """What content may link to: every row of any status but a pending edit, which is a working copy of its original,
    not content of its own."""
    queryset = model._base_manager.all()
    if any(field.name == "draft_of" for field in model._meta.concrete_fields):
        queryset = queryset.filter(draft_of__isnull=True)
    return queryset


def linked_rows(model: type[models.Model], identifiers: Iterable[str]) -> dict[str, models.Model]:
    """The rows content may link to, by their public identifier (a region's code, any other row's slug), as
    identifier → row; an identifier no such row has is not a key. The content loader, imports, the staff API and
    revert all resolve links this way; a backup resolves natural keys instead, since it restores pending edits too."""
    key = linked_identifier(model)
    found = linkable(model).filter(**{f"{key}__in": {str(identifier) for identifier in identifiers}})
    return {str(getattr(row, key)): row for row in found}


class HistorySnapshot(models.Model):
    """Extra columns of every historical record: what the record's own fields cannot hold."""

    related_snapshot = models.JSONField(
        _("related rows"),
        null=True,
        blank=True,
        help_text=_("Rows that belong to the object (a procedure's steps), as they stood at that moment."),
    )

    class Meta:
        abstract = True


class RefusesNulCharacters(models.Model):
    """Forms refuse NUL characters but models do not, and PostgreSQL cannot store them: an import or an API write
    carrying one would fail in the database instead of being refused by validation."""

    class Meta:
        abstract = True

    def clean_fields(self, exclude=None) -> None:
        errors: dict = {}
        try:
            super().clean_fields(exclude)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        for field in self._meta.concrete_fields:
            value = getattr(self, field.attname)
            if (exclude and field.name in exclude) or field.name in errors or not isinstance(value, str):
                continue
            if "\x00" in value:
                errors[field.name] = [
                    ValidationError(ProhibitNullCharactersValidator.message, code="null_characters_not_allowed")
                ]
        if errors:
            raise ValidationError(errors)


# Fields that belong to the object's life in the workflow, not to what it says: never copied from a pending edit
# onto its original, nor restored by a revert.
WORKFLOW_FIELDS = frozenset(
    {
        "id",
        "slug",
        "status",
        "draft_of",
        "replaced_by",
        "publish_at",
        "version",
        "created_at",
        "updated_at",
        "verified_at",
        "verified_by",
    }
)


def content_field_names(model: "type[ContentModel]") -> list[str]:
    return [field.attname for field in model._meta.concrete_fields if field.name not in WORKFLOW_FIELDS]


class ContentModel(RefusesNulCharacters, models.Model):
    """Publication status, review workflow, freshness and edit version shared by all curated content.

    Published content is never edited in place: an edit is a draft copy (`draft_of` names the original) that
    replaces the original's content when it is published, so the public only ever sees reviewed content.
    """

    slug = LowerCaseSlugField(
        _("slug"),
        max_length=80,
        unique=True,
        help_text=_("Stable identifier used in URLs, imports and fixtures: lower-case letters, digits and hyphens."),
    )
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=Status.choices,
        default=Status.DRAFT,
        db_index=True,
    )
    replaced_by = models.ForeignKey(
        "self",
        # The successor going away must not take its archived predecessor with it.
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("replaced by"),
        help_text=_("For archived content: what took its place. Apps that cached the old one are sent there."),
    )
    draft_of = models.ForeignKey(
        "self",
        # The copy is worthless without its original.
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("draft of"),
        help_text=_("For a pending edit of published content: the published original it will replace."),
    )
    publish_at = models.DateTimeField(
        _("publish at"),
        null=True,
        blank=True,
        db_index=True,
        help_text=_("Set by a publisher on content in review: it goes live at this moment without anyone at hand."),
    )
    verified_at = models.DateTimeField(
        _("last verified"),
        null=True,
        blank=True,
        help_text=_("When someone last checked it against its sources."),
    )
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("verified by"),
    )
    version = models.PositiveIntegerField(
        _("version"),
        default=1,
        help_text=_("Moves on with every save; a save based on an older version is refused instead of overwriting."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True, db_index=True)
    change_notes = GenericRelation("curation.ChangeNote")
    # Every save of every content model is recorded with who made it; links (sources, card types, regions) and
    # owned rows (steps) are snapshotted with each record in `related_snapshot`, so a revert brings them back too.
    history = HistoricalRecords(inherit=True, bases=[HistorySnapshot])
    # Owned rows that are named by one of their own columns (a card type's availability: one statement per region),
    # as snapshot key → that column: the version diff matches old and new rows by it (curation.diff). Rows without
    # such a name (a procedure's steps) are matched by content instead.
    keyed_rows: ClassVar[dict[str, str]] = {}

    objects = SlugManager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding and self.pk is not None:
            # Optimistic concurrency: claim the next version only if nobody else has claimed it since this
            # instance was read. The conditional UPDATE is atomic in the database: two racing saves cannot both win.
            expected = self.version
            claimed = type(self)._base_manager.filter(pk=self.pk, version=expected).update(version=expected + 1)
            if not claimed:
                if type(self)._base_manager.filter(pk=self.pk).exists():
                    raise StaleEdit(self, expected)
            else:
                self.version = expected + 1
                update_fields = kwargs.get("update_fields")
                if update_fields is not None:
                    kwargs["update_fields"] = {*update_fields, "version"}
        if kwargs.get("update_fields") is not None:
            # auto_now writes only the fields named: every save must move `updated_at`, which `updated_since` and
            # the lookup's fragments (lookup/selectors.py) read.
            kwargs["update_fields"] = {*kwargs["update_fields"], "updated_at"}
        super().save(*args, **kwargs)

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        # What the public saw of the row before a save of this instance: a publish, an edit and an unpublish are
        # told apart by it (curation.signals). Absent when the row was read without them.
        loaded = instance.__dict__
        if "status" in loaded and "slug" in loaded:
            instance._public_as_loaded = (loaded["status"], loaded["slug"])
        return instance

    def natural_key(self) -> tuple[str]:
        return (self.slug,)

    def clean(self) -> None:
        super().clean()
        if self.draft_of_id is not None:
            if self.draft_of_id == self.pk:
                raise ValidationError({"draft_of": _("Content cannot be a draft of itself.")})
            if self.status in (Status.PUBLISHED, Status.ARCHIVED):
                raise ValidationError(
                    {"status": _("A pending edit is published by merging it into its original, never on its own.")}
                )
            if self.draft_of.draft_of_id is not None:
                raise ValidationError({"draft_of": _("A pending edit must name the published original.")})
        if self.publish_at is not None and self.status not in (Status.IN_REVIEW,):
            raise ValidationError({"publish_at": _("Only content in review can be scheduled for publishing.")})

    def history_related_snapshot(self) -> dict[str, list]:
        """What the historical record's own columns cannot hold: the object's links to other rows, by their public
        identifiers (slug, or code for regions), and the rows it owns (a procedure's steps, see Procedure)."""
        return {
            field.name: sorted(
                str(key)
                for key in getattr(self, field.name).values_list(linked_identifier(field.related_model), flat=True)
            )
            for field in self._meta.many_to_many
        }

    def restore_related_snapshot(self, snapshot: dict[str, list]) -> None:
        """Makes the object's links (and owned rows, see Procedure) what `snapshot` says. The caller records the
        result in history once: by saving the object afterwards, or with `curation.history.one_history_record`."""
        with self.history_deferred():
            self._restore_related(snapshot)

    @contextlib.contextmanager
    def history_deferred(self) -> Iterator[None]:
        """Saves and link changes inside write no historical record: the caller writes one when all is in place."""
        if hasattr(self, "skip_history_when_saving"):
            yield
            return
        self.skip_history_when_saving = True
        try:
            yield
        finally:
            del self.skip_history_when_saving

    def _restore_related(self, snapshot: dict[str, list]) -> None:
        for field in self._meta.many_to_many:
            if field.name not in snapshot:
                continue
            wanted = {str(value) for value in snapshot[field.name]}
            found = linked_rows(field.related_model, wanted)
            if missing := wanted - found.keys():
                raise ValidationError(
                    {field.name: _("These no longer exist: %(missing)s.") % {"missing": ", ".join(sorted(missing))}}
                )
            getattr(self, field.name).set(found.values())

    def slug_words(self) -> list[str]:
        """What a proposed slug says, in order (Chinese is written in pinyin); each content model names its own."""
        return [str(self)]

    def propose_slug(self) -> str:
        """A free slug from `slug_words`, with a number after it if another row of the model has it already."""
        max_length = self._meta.get_field("slug").max_length
        base = pinyin_slug(*self.slug_words(), max_length=max_length - len("-99")) or self._meta.model_name
        taken = type(self)._base_manager.filter(slug__startswith=base).values_list("slug", flat=True)
        return unique_slug(base, set(taken), max_length=max_length)

    @property
    def is_pending_edit(self) -> bool:
        return self.draft_of_id is not None


def content_constraints(name: str) -> list[models.BaseConstraint]:
    """What every concrete content model adds to its own constraints: at most one pending edit per original."""
    return [
        models.UniqueConstraint(
            fields=["draft_of"],
            condition=models.Q(draft_of__isnull=False),
            name=f"{name}_one_pending_edit",
            violation_error_message=_("This content already has a pending edit; continue that one."),
        ),
    ]


class ContentRevision(models.Model):
    """A single row of two numbers: `number` moves on with every change to content (drafts included), the public
    one only with changes the public can see, so that what is cached for the public survives a draft save.

    Kept in the database rather than a cache so that every server process sees the same revision. Its row lock,
    taken by the first bump of a transaction, also puts the change feed's events in commit order (ChangeEvent).
    """

    number = models.PositiveBigIntegerField(_("revision"), default=0)
    changed_at = models.DateTimeField(_("changed at"))
    public_number = models.PositiveBigIntegerField(_("public revision"), default=0)
    public_changed_at = models.DateTimeField(_("public content changed at"), null=True)
    events_pruned_through = models.PositiveBigIntegerField(
        _("change events pruned through"),
        default=0,
        help_text=_("The newest change event removed by retention: an older cursor cannot be continued."),
    )

    class Meta:
        # Made in the sources app before the curation core had its own; the table kept its name.
        db_table = "sources_contentrevision"
        verbose_name = _("content revision")
        verbose_name_plural = _("content revisions")
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="contentrevision_singleton")]
        # One permission for the whole workflow: who may make content public (publish, archive, revert, schedule).
        permissions = [("publish_content", _("Can publish, archive, schedule and revert content"))]

    def __str__(self) -> str:
        return f"#{self.number} ({self.changed_at:%Y-%m-%d %H:%M:%S})"


class ChangeNote(models.Model):
    """A short public note a publisher writes about a significant change, shown with the content in the API."""

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, verbose_name=_("content type"))
    object_id = models.PositiveBigIntegerField(_("object id"))
    content_object = GenericForeignKey("content_type", "object_id")
    changed_on = models.DateField(
        _("changed on"), default=timezone.localdate, help_text=_("The day the change took effect for the public.")
    )
    note = models.CharField(
        _("note"),
        max_length=280,
        help_text=_("A sentence or two for the public, e.g. “from 2022-03-02 张家口 no longer accepts 123456”."),
    )
    written_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("written by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        # Made in the sources app before the curation core had its own; the table kept its name.
        db_table = "sources_changenote"
        ordering = ["-changed_on", "-id"]
        verbose_name = _("change note")
        verbose_name_plural = _("change notes")
        indexes = [models.Index(fields=["content_type", "object_id"])]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(note=""), name="changenote_not_blank", violation_error_message=_("Write the note.")
            )
        ]

    def __str__(self) -> str:
        return f"{self.changed_on}: {self.note}"


class AuditEntry(models.Model):
    """Who published, archived, reverted or imported what, and when: the trail a reviewer of the content reads."""

    action = models.CharField(_("action"), max_length=16, choices=AuditAction.choices, db_index=True)
    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("user"),
        help_text=_("Empty when the scheduler did it."),
    )
    content_type = models.ForeignKey(
        ContentType, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("content type")
    )
    object_id = models.PositiveBigIntegerField(_("object id"), null=True, blank=True)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    detail = models.TextField(_("detail"), blank=True)

    class Meta:
        # Made in the sources app before the curation core had its own; the table kept its name.
        db_table = "sources_auditentry"
        ordering = ["-at", "-id"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        constraints = [one_of("action", AuditAction, name="auditentry_action_valid", message=_("Unknown action."))]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.get_action_display()} {self.object_repr}"


class ChangeAction(models.TextChoices):
    CREATED = "created", _("Created")
    UPDATED = "updated", _("Updated")
    ARCHIVED = "archived", _("Archived")
    DELETED = "deleted", _("Deleted")


class ChangeEvent(models.Model):
    """One change the public can see, for apps that keep an offline copy: written in the transaction of the change,
    where the public revision moves. The id is the feed's cursor; events are written only after the transaction
    holds the revision row's lock, so ids grow in commit order and a reader never skips one committed later."""

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, verbose_name=_("content type"))
    # The public identifier (a slug, a region's code): deleted rows have no id left to look up.
    identifier = models.CharField(_("identifier"), max_length=80)
    action = models.CharField(_("action"), max_length=8, choices=ChangeAction.choices)
    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("change event")
        verbose_name_plural = _("change events")
        constraints = [one_of("action", ChangeAction, name="changeevent_action_valid", message=_("Unknown action."))]

    def __str__(self) -> str:
        return f"#{self.pk} {self.action} {self.identifier}"
