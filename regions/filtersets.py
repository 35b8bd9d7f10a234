"""Filters for regions (level, parent, the sub-tree below a region, search by name, pinyin or code), and the region
filters of every resource scoped by region."""

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field

from curation.filtersets import ContentFilterSet
from kb.api.filters import UpdatedSinceFilter

from .choices import Level
from .models import NATIONAL_CODE, Region, code_validator


class RegionCodeField(forms.ModelChoiceField):
    """A six-digit division code: malformed and unknown codes are refused with different messages."""

    default_error_messages = {"invalid_choice": _("No region has this code.")}

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("queryset", Region.objects.all())
        kwargs.setdefault("to_field_name", "code")
        super().__init__(**kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        code_validator(value)
        try:
            return super().to_python(value)
        except forms.ValidationError as error:
            # Well formed, but no region has it: the filter backend answers 404 (see FilterBackend).
            raise forms.ValidationError(self.error_messages["invalid_choice"], code="unknown_region") from error


@extend_schema_field({"type": "string", "pattern": "^[0-9]{6}$", "example": "420100"})
class RegionFilter(django_filters.ModelChoiceFilter):
    field_class = RegionCodeField


def subtree(region: Region | QuerySet) -> QuerySet:
    """The ids of `region` (or of every region of a queryset) and of every region below it (the hierarchy is at most
    three levels deep)."""
    top = region.values("pk") if isinstance(region, QuerySet) else [region.pk]
    below = Q(pk__in=top) | Q(parent__in=top) | Q(parent__parent__in=top) | Q(parent__parent__parent__in=top)
    return Region.objects.filter(below).values("pk")


def within(region: Region, field: str = "region") -> Q:
    """Rows attached to `region` or to any region below it.

    A subquery on the small region table, not joins up the parents of every row of the filtered one."""
    if region.code == NATIONAL_CODE:
        return Q()
    return Q(**{f"{field}__in": subtree(region)})


class RegionScopedFilterSet(ContentFilterSet):
    region = RegionFilter(field_name="region", label="Exactly this region (six-digit code); 000000 is nationwide.")
    region_within = RegionFilter(
        method="filter_region_within", label="This region and every region below it (six-digit code)."
    )

    def filter_region_within(self, queryset: QuerySet, name: str, value: Region | None) -> QuerySet:
        return queryset.filter(within(value)) if value else queryset


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
