"""Filters for regions: level, parent, the sub-tree below a region, and search by name, pinyin or code."""

import django_filters
from django.db.models import QuerySet

from kb.api.filters import RegionFilter, UpdatedSinceFilter, within

from .choices import Level
from .models import NATIONAL_CODE, Region


class RegionFilterSet(django_filters.FilterSet):
    level = django_filters.ChoiceFilter(choices=Level.choices)
    parent = RegionFilter(field_name="parent", label="Only the direct children of this region (six-digit code).")
    region_within = RegionFilter(
        method="filter_region_within", label="This region and every region below it (six-digit code)."
    )
    search = django_filters.CharFilter(
        method="filter_search",
        max_length=50,
        label="Chinese name (张家口), full pinyin (zhangjiakou), pinyin initials (zjk) or code prefix (1307).",
    )
    updated_since = UpdatedSinceFilter(field_name="updated_at", lookup_expr="gte")
    ordering = django_filters.OrderingFilter(fields=["code", "pinyin", "level", "updated_at"])

    class Meta:
        model = Region
        fields = []

    def filter_region_within(self, queryset: QuerySet, name: str, value: Region | None) -> QuerySet:
        if not value or value.code == NATIONAL_CODE:
            return queryset
        return queryset.filter(within(value, field="pk"))

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.search(value)
