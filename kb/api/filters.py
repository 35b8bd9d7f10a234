"""Filters shared by every resource: region codes, the sub-tree of a region, change dates."""

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field

from regions.models import NATIONAL_CODE, Region, code_validator
from sources.choices import Status


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
        return super().to_python(value)


@extend_schema_field({"type": "string", "pattern": "^[0-9]{6}$", "example": "420100"})
class RegionFilter(django_filters.ModelChoiceFilter):
    field_class = RegionCodeField


def subtree(region: Region) -> QuerySet:
    """The ids of `region` and of every region below it (the hierarchy is at most three levels deep)."""
    below = Q(pk=region.pk) | Q(parent=region) | Q(parent__parent=region) | Q(parent__parent__parent=region)
    return Region.objects.filter(below).values("pk")


def within(region: Region, field: str = "region") -> Q:
    """Rows attached to `region` or to any region below it.

    A subquery on the small region table, not joins up the parents of every row of the filtered one."""
    if region.code == NATIONAL_CODE:
        return Q()
    return Q(**{f"{field}__in": subtree(region)})


class BoundedIsoDateTimeField(django_filters.fields.IsoDateTimeField):
    """An ISO 8601 date-time within years 1900–2999: near year 1 or 9999 a time zone shift overflows."""

    def clean(self, value):
        value = super().clean(value)
        if value is not None and not 1900 <= value.year <= 2999:
            raise forms.ValidationError(_("Give a date-time between the years 1900 and 2999."), code="out_of_range")
        return value


class UpdatedSinceFilter(django_filters.IsoDateTimeFilter):
    field_class = BoundedIsoDateTimeField


class ContentFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(
        choices=Status.choices,
        label="Staff only (with a token): content in this status. Anonymous clients only ever see published content.",
    )
    updated_since = UpdatedSinceFilter(
        field_name="updated_at",
        lookup_expr="gte",
        label="Only what changed at or after this ISO 8601 date-time, for incremental sync.",
    )


class RegionScopedFilterSet(ContentFilterSet):
    region = RegionFilter(field_name="region", label="Exactly this region (six-digit code); 000000 is nationwide.")
    region_within = RegionFilter(
        method="filter_region_within", label="This region and every region below it (six-digit code)."
    )

    def filter_region_within(self, queryset: QuerySet, name: str, value: Region | None) -> QuerySet:
        return queryset.filter(within(value)) if value else queryset


def listing_or_unlisted(queryset: QuerySet, field: str, values) -> Q:
    """Rows whose many-to-many `field` includes one of `values`, or is empty (meaning: all of them).

    Written with subqueries: a join on the relation would repeat a row once per linked object.
    """
    model = queryset.model
    listing = model.objects.filter(**{f"{field}__in": values}).values("pk")
    linked = model.objects.filter(**{f"{field}__isnull": False}).values("pk")
    return Q(pk__in=listing) | ~Q(pk__in=linked)


class AppliesToCardTypeFilter(django_filters.ModelChoiceFilter):
    """Rows for this card type, and rows that hold for every card type: an empty card type (a foreign key) or no
    card type listed (a many-to-many)."""

    def __init__(self, **kwargs) -> None:
        from passwords.models import CardType

        kwargs.setdefault("queryset", CardType.objects.published())
        kwargs.setdefault("to_field_name", "slug")
        kwargs.setdefault("label", "Card type slug: rows for this card type and rows for every card type.")
        super().__init__(**kwargs)

    def filter(self, queryset: QuerySet, value) -> QuerySet:
        if not value:
            return queryset
        if queryset.model._meta.get_field(self.field_name).many_to_many:
            return queryset.filter(listing_or_unlisted(queryset, self.field_name, [value]))
        return queryset.filter(Q(**{self.field_name: value}) | Q(**{f"{self.field_name}__isnull": True}))
