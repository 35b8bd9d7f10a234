"""How current the published content is: what has not been checked against its sources lately. Read by the
admin's freshness dashboard (kb/freshness.py) and its "needs review" filter; what has expired and where rules are
missing is the passwords app's (passwords/freshness.py)."""

import datetime

from django.conf import settings
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from .models import named

# Rows listed per section of the dashboard; the section says how many there are in all.
DASHBOARD_LIMIT = 200


def review_cutoff(now: datetime.datetime | None = None) -> datetime.datetime:
    return (now or timezone.now()) - datetime.timedelta(days=settings.CONTENT_REVIEW_AFTER_DAYS)


def needs_review() -> Q:
    """Never verified, or not for longer than the review period."""
    return Q(verified_at__isnull=True) | Q(verified_at__lt=review_cutoff())


def stale(model) -> QuerySet:
    """Published rows of `model` that need review, the longest unchecked first."""
    queryset = named(model.objects.published().filter(needs_review()).select_related("verified_by"))
    return queryset.order_by(F("verified_at").asc(nulls_first=True), "pk")
