"""How current the published content is: what has not been checked against its sources lately, what has expired,
and which provinces and prefectures have no initial-password rule of their own. Read by the admin's dashboard and
its "needs review" filter."""

import datetime

from django.conf import settings
from django.db.models import F, Q, QuerySet
from django.utils import timezone

# Rows listed per section of the dashboard; the section says how many there are in all.
DASHBOARD_LIMIT = 200


def review_cutoff(now: datetime.datetime | None = None) -> datetime.datetime:
    return (now or timezone.now()) - datetime.timedelta(days=settings.CONTENT_REVIEW_AFTER_DAYS)


def needs_review() -> Q:
    """Never verified, or not for longer than the review period."""
    return Q(verified_at__isnull=True) | Q(verified_at__lt=review_cutoff())


def stale(model) -> QuerySet:
    """Published rows of `model` that need review, the longest unchecked first."""
    queryset = model.objects.published().filter(needs_review()).select_related("verified_by")
    # What the rows' names read (a rule names its region and card type), so that listing them adds no queries.
    shown = [field.name for field in model._meta.fields if field.name in ("region", "card_type")]
    if shown:
        queryset = queryset.select_related(*shown)
    return queryset.order_by(F("verified_at").asc(nulls_first=True), "pk")


def expired_rules(today: datetime.date | None = None) -> QuerySet:
    """Published rules whose last valid day has passed: they no longer answer anything and should be archived."""
    from passwords.models import DefaultPasswordRule

    today = today or timezone.localdate()
    return (
        DefaultPasswordRule.objects.published()
        .expired_by(today)
        .select_related("region", "card_type")
        .order_by("valid_until", "pk")
    )


def regions_without_rules(today: datetime.date | None = None) -> list:
    """Provinces and prefectures where no published rule valid today is stated on the region or on an ancestor
    below the national root (the root only holds nationwide hearsay, which answers nothing). Two queries."""
    from passwords.models import DefaultPasswordRule
    from regions.choices import Level
    from regions.models import Region

    today = today or timezone.localdate()
    covered = set(DefaultPasswordRule.objects.published().valid_on(today).values_list("region_id", flat=True))
    regions = list(
        Region.objects.filter(level__in=[Level.PROVINCE, Level.PREFECTURE]).select_related("parent").order_by("code")
    )
    parents = {region.pk: region.parent_id for region in regions}

    def answered(region_id) -> bool:
        # Up through prefectures and provinces only: the national root is not in `parents`, so it never counts.
        while region_id in parents:
            if region_id in covered:
                return True
            region_id = parents[region_id]
        return False

    return [region for region in regions if not answered(region.pk)]
