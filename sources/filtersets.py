"""Filters for sources."""

import django_filters

from curation.filtersets import ContentFilterSet

from .models import Source


class SourceFilterSet(ContentFilterSet):
    ordering = django_filters.OrderingFilter(fields=["title", "published_on", "updated_at", "slug"])

    class Meta:
        model = Source
        fields = []
