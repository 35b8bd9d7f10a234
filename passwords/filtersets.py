"""Filters for card types, default-password rules and password policies."""

import django_filters
from django.db.models import QuerySet

from curation.choices import Standing
from kb.api.filters import AppliesToCardTypeFilter, ContentFilterSet, RegionScopedFilterSet, StrictBooleanFilter

from .choices import Medium, Password, RuleKind
from .models import CardType, DefaultPasswordRule, PasswordPolicy


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
