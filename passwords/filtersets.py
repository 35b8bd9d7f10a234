"""Filters for card types, default-password rules and password policies."""

import django_filters
from django.db.models import Q, QuerySet
from drf_spectacular.utils import extend_schema_field

from curation.choices import Standing
from curation.filtersets import ContentFilterSet
from kb.api.filters import SLUG_SCHEMA, StrictBooleanFilter, listing_or_unlisted
from regions.filtersets import RegionScopedFilterSet

from .choices import Medium, Password, RuleKind
from .models import CardType, DefaultPasswordRule, PasswordPolicy


@extend_schema_field(SLUG_SCHEMA)
class AppliesToCardTypeFilter(django_filters.ModelChoiceFilter):
    """Rows for this card type, and rows that hold for every card type: an empty card type (a foreign key) or no
    card type listed (a many-to-many)."""

    def __init__(self, **kwargs) -> None:
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


class CardTypeFilterSet(ContentFilterSet):
    medium = django_filters.ChoiceFilter(choices=Medium.choices)
    has_financial_account = StrictBooleanFilter()
    ordering = django_filters.OrderingFilter(fields=["slug", "name", "updated_at"])

    class Meta:
        model = CardType
        fields = []


class RegionScopedContentFilterSet(RegionScopedFilterSet):
    card_type = AppliesToCardTypeFilter(field_name="card_type")
    password = django_filters.ChoiceFilter(choices=Password.choices)
    standing = django_filters.ChoiceFilter(choices=Standing.choices)


class DefaultPasswordRuleFilterSet(RegionScopedContentFilterSet):
    kind = django_filters.ChoiceFilter(choices=RuleKind.choices)
    valid_on = django_filters.DateFilter(method="filter_valid_on", label="Only rules valid on this date (YYYY-MM-DD).")
    ordering = django_filters.OrderingFilter(
        fields=[("region__code", "region"), "valid_from", "valid_until", "kind", "standing", "updated_at", "slug"]
    )

    class Meta:
        model = DefaultPasswordRule
        fields = []

    def filter_valid_on(self, queryset: QuerySet, name: str, value) -> QuerySet:
        if not value:
            return queryset
        return queryset.valid_on(value)


class PasswordPolicyFilterSet(RegionScopedContentFilterSet):
    ordering = django_filters.OrderingFilter(fields=[("region__code", "region"), "password", "updated_at", "slug"])

    class Meta:
        model = PasswordPolicy
        fields = []
