"""The freshness dashboard: what in the published content needs a curator's attention. It reads several apps, so it
lives with the URL configuration that wires them together."""

from django.conf import settings
from django.contrib import admin
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from curation.freshness import DASHBOARD_LIMIT, stale
from passwords.freshness import expired_rules, regions_without_rules
from passwords.models import DefaultPasswordRule
from procedures.models import Channel, Procedure

STALE_MODELS = (DefaultPasswordRule, Procedure, Channel)


def change_url(obj) -> str:
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])


def section(queryset) -> dict:
    """A capped list and the full count: two queries, whatever the number of rows."""
    rows = [(obj, change_url(obj)) for obj in queryset[:DASHBOARD_LIMIT]]
    return {"rows": rows, "count": queryset.count()}


def by_province(gaps: list, add_rule: str) -> list[dict]:
    """Gaps grouped under their province, one row each: at most one row per province, whatever the count."""
    provinces: dict[int, dict] = {}
    for region in gaps:
        link = (region, f"{add_rule}?region={region.pk}")
        if region.level == "province":
            provinces.setdefault(region.pk, {"province": region, "prefectures": []})["own"] = link
        else:
            provinces.setdefault(region.parent_id, {"province": region.parent, "prefectures": []})[
                "prefectures"
            ].append(link)
    return list(provinces.values())


def freshness(request):
    """Staff only (wrapped by admin_view in kb/urls.py): editors and publishers alike."""
    today = timezone.localdate()
    gaps = regions_without_rules(today)
    add_rule = reverse("admin:passwords_defaultpasswordrule_add")
    context = {
        **admin.site.each_context(request),
        "title": _("Freshness"),
        "review_after_days": settings.CONTENT_REVIEW_AFTER_DAYS,
        "stale": [(model._meta.verbose_name_plural, section(stale(model))) for model in STALE_MODELS],
        "expired": section(expired_rules(today)),
        "gaps": {"rows": by_province(gaps, add_rule), "count": len(gaps)},
        "limit": DASHBOARD_LIMIT,
        "today": today,
    }
    return TemplateResponse(request, "admin/freshness.html", context)
