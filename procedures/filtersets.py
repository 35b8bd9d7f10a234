"""Filters for channels, procedures and FAQs."""

import django_filters
from django.db.models import Q, QuerySet

from curation.choices import Standing
from curation.filtersets import ContentFilterSet
from kb.api.filters import SlugFilter, listing_or_unlisted
from passwords.choices import Enrolment, Insurance
from passwords.filtersets import AppliesToCardTypeFilter
from regions.filtersets import RegionFilter, RegionScopedFilterSet

from .choices import ChannelKind, ProcedureKind
from .models import Channel, Faq, Procedure


def text_search(fields: list[str]):
    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        if not value:
            return queryset
        query = Q()
        for field in fields:
            query |= Q(**{f"{field}__icontains": value})
        # Matching several steps of one procedure must not list it twice.
        return queryset.filter(pk__in=queryset.filter(query).values("pk"))

    return search


class ChannelFilterSet(RegionScopedFilterSet):
    kind = django_filters.ChoiceFilter(choices=ChannelKind.choices)
    search = django_filters.CharFilter(
        method="filter_search", max_length=100, label="Words in the name, description, phone or URL."
    )
    ordering = django_filters.OrderingFilter(fields=[("region__code", "region"), "kind", "name", "updated_at"])

    filter_search = text_search(["name", "description", "phone", "url"])

    class Meta:
        model = Channel
        fields = []


def applies_to(everyone: str):
    """Rows for the value asked for and rows for everyone (`everyone`); every row for a blank value."""

    def filter_applies(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if not value:
            return queryset
        return queryset.filter(**{f"{name}__in": [value, everyone]})

    return filter_applies


class ProcedureFilterSet(RegionScopedFilterSet):
    kind = django_filters.ChoiceFilter(choices=ProcedureKind.choices)
    channel_kind = django_filters.ChoiceFilter(
        method="filter_channel_kind",
        choices=ChannelKind.choices,
        label="Procedures that take a channel of this kind, for any of their steps.",
    )
    insurance = django_filters.ChoiceFilter(
        method="filter_insurance",
        choices=[(value, label) for value, label in Insurance.choices if value != Insurance.ANY],
        label="Procedures for this insurance and for everyone insured.",
    )
    enrolment = django_filters.ChoiceFilter(
        method="filter_enrolment",
        choices=[(value, label) for value, label in Enrolment.choices if value != Enrolment.ANY],
        label="Procedures for the newly or previously insured, and for both.",
    )
    card_type = AppliesToCardTypeFilter(field_name="card_types")
    standing = django_filters.ChoiceFilter(choices=Standing.choices)
    search = django_filters.CharFilter(
        method="filter_search", max_length=100, label="Words in the title, summary, requirements or steps."
    )
    ordering = django_filters.OrderingFilter(fields=[("region__code", "region"), "kind", "title", "updated_at", "slug"])

    filter_search = text_search(["title", "summary", "requirements", "steps__instruction", "steps__ui_path"])
    filter_insurance = applies_to(Insurance.ANY)
    filter_enrolment = applies_to(Enrolment.ANY)

    class Meta:
        model = Procedure
        fields = []

    def filter_channel_kind(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if not value:
            return queryset
        # A step done elsewhere counts, and matching several steps must not list the procedure twice.
        taking = Q(channel__kind=value) | Q(steps__channel__kind=value)
        return queryset.filter(pk__in=queryset.filter(taking).values("pk"))


class FaqFilterSet(ContentFilterSet):
    region = RegionFilter(
        method="filter_region", label="FAQs about this region, one of the regions above it, or every region."
    )
    card_type = AppliesToCardTypeFilter(field_name="card_types")
    procedure = SlugFilter(field_name="procedures__slug", label="FAQs about this procedure (slug).")
    search = django_filters.CharFilter(method="filter_search", max_length=100, label="Words in the question or answer.")
    ordering = django_filters.OrderingFilter(fields=["slug", "updated_at"])

    filter_search = text_search(["question", "answer"])

    class Meta:
        model = Faq
        fields = []

    def filter_region(self, queryset: QuerySet, name: str, value) -> QuerySet:
        if not value:
            return queryset
        return queryset.filter(listing_or_unlisted(queryset, "regions", [value, *value.ancestors()]))
