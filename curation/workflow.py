"""The review workflow: draft → in review → published → archived, and every move between them.

The admin, the write API and the scheduler all go through these functions, so the rules hold whoever acts:
editors write drafts and submit them; only publishers (the `curation.publish_content` permission) make content
public, archive it, schedule it or revert it. Published content is never edited in place: `start_edit` makes a
draft copy, and publishing the copy writes its content onto the original, which keeps its slug and address.
"""

import datetime
import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import registry
from .choices import AuditAction, Status
from .history import one_history_record
from .models import AuditEntry, ChangeNote, ContentModel, content_field_names
from .revisions import prepared_once

PUBLISH_PERMISSION = "curation.publish_content"

User = AbstractBaseUser | AnonymousUser | None


class WorkflowError(ValidationError):
    """A move the workflow does not allow, for this content or this user."""


class NotAllowed(WorkflowError):
    """The user's role does not allow the move."""


def can_publish(user: User) -> bool:
    return user is not None and user.is_active and user.has_perm(PUBLISH_PERMISSION)


def can_edit(obj: ContentModel, user: User) -> bool:
    """Drafts are open to every editor; content in review only to publishers (what they approve cannot change
    behind their back); published and archived content to nobody (start an edit instead)."""
    if obj.pk is None or obj.status == Status.DRAFT:
        return True
    return obj.status == Status.IN_REVIEW and can_publish(user)


def _require_publisher(user: User) -> None:
    if not can_publish(user):
        raise NotAllowed(_("Only publishers may do this."), code="forbidden")


def _require_status(obj: ContentModel, allowed: Iterable[str], action: str) -> None:
    if obj.status not in allowed:
        raise WorkflowError(
            _("%(action)s is not possible for content that is %(status)s.")
            % {"action": action, "status": obj.get_status_display()},
            code="invalid_transition",
        )


@dataclass(frozen=True)
class Move:
    """One move of the workflow, as the admin (buttons, bulk actions) and the write API (actions, permissions) read it.

    `sources` are the statuses the move starts from (none: any); `publisher_only` asks for the publisher's
    permission; `admin_params` are the fields of the admin's POST passed on as keyword arguments."""

    name: str
    label: Promise
    doing: Promise
    sources: tuple[str, ...]
    publisher_only: bool
    function: Callable[..., ContentModel]
    in_admin: bool
    admin_params: tuple[str, ...]
    api_action: str

    def __call__(self, obj: ContentModel, user: User, *args, **kwargs) -> ContentModel:
        return self.function(obj, user, *args, **kwargs)

    def starts_from(self, status: str) -> bool:
        return not self.sources or status in self.sources


# Every move, in the order the admin offers them: name → Move. Filled by @transition below.
MOVES: dict[str, Move] = {}


def transition(
    name: str,
    *,
    label: Promise,
    doing: Promise,
    sources: Iterable[str] = (),
    publisher_only: bool = False,
    in_admin: bool = True,
    admin_params: tuple[str, ...] = (),
    api_action: str | None = None,
    scheduler_may: bool = False,
):
    """Declares a workflow function a move (in the spirit of django-fsm's @transition): its guards (who may, from
    which status) run before it, in one transaction, and the admin and the API offer it from the same entry.

    `scheduler_may`: the scheduler may make this publisher's move with no user and `scheduled=True`; a publisher
    approved it when scheduling it. A user is always checked."""
    sources = tuple(sources)

    def declare(function):
        @functools.wraps(function)
        @transaction.atomic
        def guarded(obj: ContentModel, user: User, *args, **kwargs) -> ContentModel:
            by_scheduler = scheduler_may and user is None and kwargs.get("scheduled") is True
            if publisher_only and not by_scheduler:
                _require_publisher(user)
            if sources:
                _require_status(obj, sources, doing)
            return function(obj, user, *args, **kwargs)

        MOVES[name] = Move(
            name, label, doing, sources, publisher_only, guarded, in_admin, admin_params, api_action or name
        )
        return guarded

    return declare


def audit(action: str, obj: models.Model | None, user: User, detail: str = "") -> AuditEntry:
    return AuditEntry.objects.create(
        action=action,
        user=user if user is not None and user.is_authenticated else None,
        content_type=ContentType.objects.get_for_model(obj) if obj is not None else None,
        object_id=obj.pk if obj is not None else None,
        object_repr=str(obj)[:200] if obj is not None else "",
        detail=detail,
    )


def _save(obj: ContentModel, user: User, reason: str) -> None:
    obj._history_user = user if user is not None and user.is_authenticated else None
    obj._change_reason = reason
    obj.full_clean()
    obj.save()


def cites_sources(model: type[ContentModel]) -> bool:
    """Whether the model's rows cite sources (the `sources` link every fact's evidence is in)."""
    return any(field.name == "sources" for field in model._meta.many_to_many)


def _check_cites_a_source(obj: ContentModel) -> None:
    if cites_sources(type(obj)) and not obj.sources.exists():
        raise WorkflowError(_("Cite at least one source before publishing: every fact needs its evidence."))


def _check_has_steps(obj: ContentModel) -> None:
    steps = getattr(obj, "steps", None)
    if steps is not None and not steps.exists():
        raise WorkflowError(_("A procedure needs at least one step before it is published."))


def _publishing_checks() -> list[Callable[[ContentModel], None]]:
    """What content must meet to be submitted, published or reverted while public, in the order it is checked."""
    return [lambda obj: obj.full_clean(), _check_cites_a_source, _check_has_steps, *registry.PUBLISHING_CHECKS]


def _check_publishable(obj: ContentModel) -> None:
    for check in _publishing_checks():
        check(obj)


def publishing_problems(obj: ContentModel) -> list[str]:
    """Every reason `obj` could not be published as it stands, sources' status included; empty when it could.
    `manage.py check_content` asks it of public content, which later changes (to a source, say) may have broken."""
    problems = []
    for check in [*_publishing_checks(), _check_sources_published]:
        try:
            check(obj)
        except ValidationError as error:
            problems += error.messages
    return problems


def last_editor(obj: ContentModel):
    """Who saved `obj` last (its latest historical record's user), or None if nobody signed in did."""
    record = obj.history.order_by("-history_date", "-history_id").first()
    return record.history_user if record is not None else None


# `four_eyes_refusal` was not told who saved the content last: it looks it up.
UNKNOWN = object()


def four_eyes_refusal(obj: ContentModel, user: User, editor_id: int | object | None = UNKNOWN) -> str:
    """Why four eyes keeps `user` from publishing or scheduling `obj` now ("" if it does not): the admin disables its
    buttons with this reason and the review queue marks the row, before anyone clicks. `editor_id` is the last
    editor's pk where the caller already read it (the queue reads it for many rows in one query)."""
    if not settings.FOUR_EYES:
        return ""
    if obj.status == Status.DRAFT:
        return _("Submit this for review first: someone other than its last editor publishes it.")
    if editor_id is UNKNOWN:
        editor = last_editor(obj)
        editor_id = editor.pk if editor is not None else None
    if editor_id is not None and user is not None and editor_id == user.pk:
        return _("You saved this last: another publisher must review and publish it.")
    return ""


def _check_four_eyes(obj: ContentModel, user: User) -> str:
    """Content goes public only after someone other than its last editor looked at it: submitted for review, then
    published (or scheduled) by another person. FOUR_EYES=False (small teams) lifts both; the audit says so."""
    if settings.FOUR_EYES:
        refusal = four_eyes_refusal(obj, user)
        if refusal:
            raise WorkflowError(refusal, code="four_eyes")
        return ""
    editor = last_editor(obj)
    same_person = editor is not None and user is not None and editor.pk == user.pk
    return "without a second person" if same_person or obj.status == Status.DRAFT else ""


def _check_unchanged_since_scheduled(obj: ContentModel) -> str:
    """The scheduler publishes what the scheduling publisher approved, nothing saved since (by anyone, through any
    path: admin, API, import, revert). The save that set `publish_at` is the latest historical record when nothing
    came after it: its predecessor had another `publish_at`, and it holds the row's current version."""
    if not settings.FOUR_EYES:
        return ""
    latest, *before = obj.history.order_by("-history_date", "-history_id")[:2]
    set_the_schedule = latest.publish_at == obj.publish_at and (not before or before[0].publish_at != obj.publish_at)
    if not (set_the_schedule and latest.version == obj.version):
        raise WorkflowError(
            _("It changed after it was scheduled: a publisher other than its last editor schedules it again."),
            code="changed_after_schedule",
        )
    return ""


def _check_sources_published(obj: ContentModel) -> None:
    """The public never sees a fact without its source: every source it cites is published first."""
    if not cites_sources(type(obj)):
        return
    unpublished = sorted(str(source) for source in obj.sources.exclude(status=Status.PUBLISHED))
    if unpublished:
        raise WorkflowError(
            _("Publish the sources it cites first: %(sources)s.") % {"sources": "; ".join(unpublished)},
            code="unpublished_source",
        )


def _check_not_cited(obj: ContentModel) -> None:
    """A source published content still cites stays public, so that no published fact loses its evidence."""
    citing = []
    for model in content_models():
        if cites_sources(model) and model._meta.get_field("sources").related_model is type(obj):
            citing += [str(row) for row in model._base_manager.filter(status=Status.PUBLISHED, sources=obj)]
    if citing:
        raise WorkflowError(
            _("Published content still cites this source: %(citing)s. Change or archive that first.")
            % {"citing": "; ".join(sorted(citing)[:5]) + ("; …" if len(citing) > 5 else "")},
            code="cited",
        )


@transition(
    "submit",
    label=gettext_lazy("Submit for review"),
    doing=gettext_lazy("Submitting for review"),
    sources=[Status.DRAFT],
)
def submit(obj: ContentModel, user: User) -> ContentModel:
    _check_publishable(obj)
    obj.status = Status.IN_REVIEW
    _save(obj, user, "submitted for review")
    audit(AuditAction.SUBMIT, obj, user)
    return obj


@transition(
    "publish",
    label=gettext_lazy("Publish"),
    doing=gettext_lazy("Publishing"),
    sources=[Status.DRAFT, Status.IN_REVIEW],
    publisher_only=True,
    admin_params=("note",),
    scheduler_may=True,
)
def publish(obj: ContentModel, user: User, note: str = "", *, scheduled: bool = False) -> ContentModel:
    """Makes `obj` public; a pending edit is written onto its original, which is returned. `note` becomes a public
    change note. The scheduler passes `scheduled=True` and no user: a publisher approved it when scheduling."""
    _check_publishable(obj)
    _check_sources_published(obj)
    four_eyes = _check_unchanged_since_scheduled(obj) if scheduled else _check_four_eyes(obj, user)
    detail = " ".join(filter(None, ["scheduled" if scheduled else "", four_eyes]))
    if obj.draft_of_id is not None:
        target = _merge_into_original(obj, user)
        detail = " ".join(filter(None, [detail, f"pending edit {obj.slug} merged"]))
    else:
        obj.status = Status.PUBLISHED
        obj.publish_at = None
        _save(obj, user, "published")
        target = obj
    if note.strip():
        ChangeNote.objects.create(
            content_object=target,
            note=note.strip(),
            written_by=user if user is not None and user.is_authenticated else None,
        )
    audit(AuditAction.PUBLISH, target, user, detail)
    return target


def _merge_into_original(copy: ContentModel, user: User) -> ContentModel:
    original = type(copy)._base_manager.select_for_update().get(pk=copy.draft_of_id)
    _require_status(original, [Status.PUBLISHED], _("Publishing an edit"))
    for name in content_field_names(type(copy)):
        setattr(original, name, getattr(copy, name))
    if copy.verified_at and (original.verified_at is None or copy.verified_at > original.verified_at):
        original.verified_at, original.verified_by_id = copy.verified_at, copy.verified_by_id
    snapshot = copy.history_related_snapshot()
    # The copy's deletion record names who published it.
    copy._history_user = user if user is not None and user.is_authenticated else None
    copy.delete()
    original.restore_related_snapshot(snapshot)
    _save(original, user, "edit published")
    return original


@transition(
    "return",
    label=gettext_lazy("Return to draft"),
    doing=gettext_lazy("Returning to draft"),
    sources=[Status.IN_REVIEW],
    api_action="return_to_draft",
)
def return_to_draft(obj: ContentModel, user: User, reason: str = "") -> ContentModel:
    obj.status = Status.DRAFT
    obj.publish_at = None
    _save(obj, user, "returned to draft")
    audit(AuditAction.RETURN, obj, user, reason)
    return obj


@transition(
    "start_edit",
    label=gettext_lazy("Start an edit"),
    doing=gettext_lazy("Starting an edit"),
    sources=[Status.PUBLISHED],
)
def start_edit(obj: ContentModel, user: User) -> ContentModel:
    """The pending edit of published `obj`: an existing one, or a new draft copy of it with its links and steps."""
    existing = pending_edit(obj)
    if existing is not None:
        return existing
    copy = type(obj)(
        **{name: getattr(obj, name) for name in content_field_names(type(obj))},
        slug=pending_slug(obj.slug),
        status=Status.DRAFT,
        draft_of=obj,
    )
    # One historical record, holding the links and steps the copy was given.
    with one_history_record(copy):
        _save(copy, user, f"edit of {obj.slug} started")
        copy.restore_related_snapshot(obj.history_related_snapshot())
    return copy


def pending_edit(obj: ContentModel) -> ContentModel | None:
    """The pending edit someone started of published `obj`, if there is one (there is at most one)."""
    return type(obj)._base_manager.filter(draft_of=obj).first()


def pending_slug(slug: str) -> str:
    suffix = "-edit"
    return slug[: 80 - len(suffix)] + suffix


@transition(
    "verify",
    label=gettext_lazy("Mark as verified against sources"),
    doing=gettext_lazy("Verifying"),
    sources=[Status.DRAFT, Status.IN_REVIEW, Status.PUBLISHED],
)
def mark_verified(obj: ContentModel, user: User) -> ContentModel:
    """Records that `obj` was checked against its sources today, by `user`. It changes what the public reads (the
    date of the last check), not the content, so it is allowed on published content."""
    obj.verified_at = timezone.now()
    obj.verified_by = user if user is not None and user.is_authenticated else None
    obj._history_user = obj.verified_by
    obj._change_reason = "verified against its sources"
    obj.save(update_fields=["verified_at", "verified_by", "updated_at"])
    return obj


@transition(
    "archive",
    label=gettext_lazy("Archive"),
    doing=gettext_lazy("Archiving"),
    sources=[Status.PUBLISHED],
    publisher_only=True,
)
def archive(obj: ContentModel, user: User, replaced_by: ContentModel | None = None) -> ContentModel:
    _check_not_cited(obj)
    obj.status = Status.ARCHIVED
    if replaced_by is not None:
        obj.replaced_by = replaced_by
    _save(obj, user, "archived")
    audit(AuditAction.ARCHIVE, obj, user, f"replaced by {replaced_by.slug}" if replaced_by is not None else "")
    return obj


@transition(
    "schedule",
    label=gettext_lazy("Schedule"),
    doing=gettext_lazy("Scheduling"),
    sources=[Status.IN_REVIEW],
    publisher_only=True,
    in_admin=False,
)
def schedule(obj: ContentModel, user: User, when: datetime.datetime) -> ContentModel:
    if when <= timezone.now():
        raise WorkflowError({"publish_at": _("Choose a moment in the future, or publish now.")})
    _check_publishable(obj)
    four_eyes = _check_four_eyes(obj, user)
    obj.publish_at = when
    _save(obj, user, f"scheduled for {when.isoformat()}")
    audit(AuditAction.SCHEDULE, obj, user, " ".join(filter(None, [when.isoformat(), four_eyes])))
    return obj


@transition(
    "revert", label=gettext_lazy("Revert"), doing=gettext_lazy("Reverting"), publisher_only=True, in_admin=False
)
def revert(obj: ContentModel, user: User, *, record) -> ContentModel:
    """Restores what `obj` said in historical `record` (fields, links and steps); its status stays as it is."""
    if record.instance.pk != obj.pk or record.instance_type is not type(obj):
        raise WorkflowError(_("That version belongs to other content."))
    obj = type(obj)._base_manager.select_for_update().get(pk=obj.pk)
    for name in content_field_names(type(obj)):
        setattr(obj, name, getattr(record, name))
    obj.full_clean()
    if record.related_snapshot is not None:
        obj.restore_related_snapshot(record.related_snapshot)
    if obj.status in (Status.PUBLISHED, Status.IN_REVIEW):
        # Reverting must not put public content into a state that could not have been published.
        _check_publishable(obj)
    _save(obj, user, f"reverted to the version of {record.history_date:%Y-%m-%d %H:%M:%S}")
    audit(AuditAction.REVERT, obj, user, f"to version {record.version} of {record.history_date.isoformat()}")
    return obj


def publish_due(
    now: datetime.datetime | None = None,
) -> tuple[list[ContentModel], list[tuple[ContentModel, ValidationError]]]:
    """Publishes everything in review whose scheduled moment has come; returns what went live and what was refused."""
    now = now or timezone.now()
    published, refused = [], []
    with prepared_once():
        for model in content_models():
            due = model._base_manager.filter(status=Status.IN_REVIEW, publish_at__lte=now).order_by("publish_at")
            for obj in due:
                try:
                    published.append(publish(obj, None, scheduled=True))
                except ValidationError as error:
                    # One invalid row must not hold back the rest; it stays in review for a publisher to look at.
                    refused.append((obj, error))
                    if getattr(error, "code", None) == "changed_after_schedule":
                        _cancel_schedule(obj)
    return published, refused


def _cancel_schedule(obj: ContentModel) -> None:
    """Takes the publication time off content that changed after it was scheduled, so that the next run does not
    refuse it again and the review queue shows it waiting for a publisher."""
    with transaction.atomic():
        obj = type(obj)._base_manager.select_for_update().get(pk=obj.pk)
        obj.publish_at = None
        _save(obj, None, "schedule cancelled: changed after it was scheduled")
        audit(AuditAction.SCHEDULE, obj, None, "cancelled: changed after it was scheduled")


def content_models() -> list[type[ContentModel]]:
    from django.apps import apps

    return [model for model in apps.get_models() if issubclass(model, ContentModel)]
