"""Rules that need a curator: expired ones, and the provinces and prefectures that no rule answers for."""

import datetime

from django.db.models import QuerySet
from django.utils import timezone

from regions.choices import Level
from regions.models import Region

from .models import DefaultPasswordRule


def expired_rules(today: datetime.date | None = None) -> QuerySet:
    """Published rules whose last valid day has passed: they no longer answer anything and should be archived."""
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
