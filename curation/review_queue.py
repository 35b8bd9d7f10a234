"""What waits for a publisher, across every content model: content in review, pending edits still being prepared and
scheduled publications. Counted on the admin index and listed on the review queue (/admin/review-queue/), each in a
fixed number of queries whatever the number of rows."""

import datetime
from dataclasses import dataclass

from django.contrib import admin
from django.contrib.auth import get_permission_codename
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Count, OuterRef, Q, Subquery
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import workflow
from .choices import AuditAction, Status
from .models import AuditEntry, ContentModel, named


class Waiting(models.TextChoices):
    """The queue's three parts; each row is in exactly one."""

    IN_REVIEW = "in_review", gettext_lazy("In review")
    PENDING_EDIT = "pending_edit", gettext_lazy("Pending edits")
    SCHEDULED = "scheduled", gettext_lazy("Scheduled")


WAITING = {
    Waiting.IN_REVIEW: Q(status=Status.IN_REVIEW, publish_at__isnull=True),
    # Edits of published content still in draft: a publisher sees them coming before they are submitted.
    Waiting.PENDING_EDIT: Q(status=Status.DRAFT, draft_of__isnull=False),
    Waiting.SCHEDULED: Q(status=Status.IN_REVIEW, publish_at__isnull=False),
}


def may_see_queue(user) -> bool:
    """The queue is a publisher's worklist: what they approve or refuse."""
    return workflow.can_publish(user)


def queued_models(user) -> list[type[ContentModel]]:
    """The content models whose rows `user` may read in the admin."""
    return [
        model
        for model in workflow.content_models()
        if user.has_perm(f"{model._meta.app_label}.{get_permission_codename('view', model._meta)}")
        or user.has_perm(f"{model._meta.app_label}.{get_permission_codename('change', model._meta)}")
    ]


def waiting_counts(user) -> dict[str, int]:
    """How many rows wait in each part of the queue: one query per content model."""
    counts = dict.fromkeys(Waiting.values, 0)
    for model in queued_models(user):
        found = model._base_manager.aggregate(**{part: Count("pk", filter=q) for part, q in WAITING.items()})
        for part, count in found.items():
            counts[part] += count
    return counts


@dataclass
class Row:
    obj: ContentModel
    part: Waiting
    kind: str
    url: str
    regions: list[str]
    submitted_by: str | None
    submitted_at: datetime.datetime | None
    saved_by: str | None
    saved_at: datetime.datetime | None
    # Why the signed-in publisher cannot publish it now (four eyes), or "".
    refusal: str

    @property
    def waiting_since(self) -> datetime.datetime:
        return self.submitted_at or self.saved_at or self.obj.updated_at

    @property
    def needs_another_publisher(self) -> bool:
        return bool(self.refusal) and self.obj.status != Status.DRAFT


def _region_names(obj: ContentModel) -> list[str]:
    if hasattr(obj, "region"):
        return [obj.region.name]
    if hasattr(obj, "regions"):
        # Prefetched; a FAQ about no region concerns every region.
        return [region.name for region in obj.regions.all()] or [_("every region")]
    return []


def waiting_rows(user, part: str | None = None) -> list[Row]:
    """The rows waiting in `part` (every part if None), the longest waiting first: one query per content model (and
    one for the regions of FAQs, which name several)."""
    parts = [Waiting(part)] if part else list(Waiting)
    rows = []
    for model in queued_models(user):
        latest = model.history.model.objects.filter(id=OuterRef("pk")).order_by("-history_date", "-history_id")
        submissions = AuditEntry.objects.filter(
            action=AuditAction.SUBMIT,
            content_type=ContentType.objects.get_for_model(model),
            object_id=OuterRef("pk"),
        ).order_by("-at", "-pk")
        queryset = named(model._base_manager.filter(Q.create([WAITING[p] for p in parts], connector=Q.OR)))
        if any(field.name == "regions" for field in model._meta.many_to_many):
            queryset = queryset.prefetch_related("regions")
        queryset = queryset.annotate(
            saved_by_id=Subquery(latest.values("history_user_id")[:1]),
            saved_by=Subquery(latest.values("history_user__username")[:1]),
            saved_at=Subquery(latest.values("history_date")[:1]),
            submitted_by=Subquery(submissions.values("user__username")[:1]),
            submitted_at=Subquery(submissions.values("at")[:1]),
        )
        change = f"admin:{model._meta.app_label}_{model._meta.model_name}_change"
        for obj in queryset:
            in_review = obj.status == Status.IN_REVIEW
            rows.append(
                Row(
                    obj=obj,
                    part=next(p for p in parts if _matches(obj, p)),
                    kind=model._meta.verbose_name,
                    url=reverse(change, args=[obj.pk]),
                    regions=_region_names(obj),
                    # A draft's earlier submission was returned: it is not submitted now.
                    submitted_by=obj.submitted_by if in_review else None,
                    submitted_at=obj.submitted_at if in_review else None,
                    saved_by=obj.saved_by,
                    saved_at=obj.saved_at,
                    refusal=workflow.four_eyes_refusal(obj, user, obj.saved_by_id),
                )
            )
    return sorted(rows, key=lambda row: row.waiting_since)


def parts_with_counts(user) -> list[tuple[str, str, int]]:
    """Each part of the queue as (value, label, how many rows wait in it)."""
    counts = waiting_counts(user)
    return [(value, label, counts[value]) for value, label in Waiting.choices]


def _matches(obj: ContentModel, part: Waiting) -> bool:
    if part == Waiting.PENDING_EDIT:
        return obj.status == Status.DRAFT
    return obj.status == Status.IN_REVIEW and (obj.publish_at is not None) == (part == Waiting.SCHEDULED)


def review_queue(request):
    """The review queue page; publishers only (wrapped by admin_view in kb/urls.py)."""
    if not may_see_queue(request.user):
        raise PermissionDenied
    part = request.GET.get("part") or None
    if part not in (None, *Waiting.values):
        part = None
    parts = parts_with_counts(request.user)
    context = {
        **admin.site.each_context(request),
        "title": _("Review queue"),
        "rows": waiting_rows(request.user, part),
        "part": part,
        "parts": parts,
        "total": sum(count for _value, _label, count in parts),
    }
    return TemplateResponse(request, "admin/curation/review_queue.html", context)
