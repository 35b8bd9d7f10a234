"""Filters for sources."""

import django_filters

from curation.filtersets import ContentFilterSet
from kb.api.filters import StrictBooleanFilter

from .models import Source


class SourceFilterSet(ContentFilterSet):
    official = StrictBooleanFilter()
    ordering = django_filters.OrderingFilter(fields=["title", "published_on", "updated_at", "slug"])

    class Meta:
        model = Source
        fields = []
