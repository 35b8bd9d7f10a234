"""Filters shared by every resource: region codes, the sub-tree of a region, change dates."""

import datetime

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from django_filters.utils import translate_validation
from drf_spectacular.utils import extend_schema_field
from rest_framework.exceptions import NotFound, ValidationError

from curation.choices import Status
from curation.models import lower_case_slug
from regions.models import NATIONAL_CODE, Region, code_validator


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
    """Any ISO 8601 date-time, held within years 1900–3000: near year 1 or 9999 a time zone shift overflows.

    Nothing in the database is older than 1900 or newer than 3000, so the answer is the same."""

    EARLIEST = datetime.datetime(1900, 1, 1, tzinfo=datetime.UTC)
    LATEST = datetime.datetime(3000, 1, 1, tzinfo=datetime.UTC)

    def clean(self, value):
        moment = super().clean(value)
        if moment is None:
            return None
        if moment.year < 1900:
            return self.EARLIEST
        if moment.year > 2999:
            return self.LATEST
        # PostgreSQL refuses offsets beyond ±15:59, which ISO 8601 allows (-22:45): the same instant in UTC.
        return moment.astimezone(datetime.UTC)


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


@extend_schema_field(
    {"type": "string", "pattern": lower_case_slug.regex.pattern, "maxLength": 80, "example": "wuhan-change-in-app"}
)
class SlugFilter(django_filters.CharFilter):
    """Rows linked to the content with this slug. A value that cannot be a slug is a 400 that says what a slug looks
    like (and the schema gives the pattern); a well-formed slug nothing has simply matches nothing."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("max_length", 80)
        kwargs.setdefault("validators", [lower_case_slug])
        super().__init__(**kwargs)


@extend_schema_field({"type": "string", "pattern": lower_case_slug.regex.pattern, "maxLength": 80})
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


class StrictBooleanField(forms.NullBooleanField):
    """`true` or `false` only: django-filter's own field also reads `1`, `null` or `unknown`, the last two as "no
    filter"."""

    widget = forms.TextInput

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if value in ("true", "false"):
            return value == "true"
        raise forms.ValidationError(_("Must be true or false."), code="invalid")

    def validate(self, value) -> None:
        pass


class StrictBooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


class FilterBackend(DjangoFilterBackend):
    """django-filter's backend, with two differences the API documents.

    An empty value is refused rather than read as "no filter": `?updated_since=` or `?region=` is a client's mistake
    (an unset variable in a template, most often), and answering with everything would hide it. Only free-text
    `search` may be empty; `ordering` names at least one field. And a well-formed region code that names no region
    is a 404, as in the lookup: the schema cannot list every code, so a code it allows may still be unknown."""

    may_be_empty = ("search",)

    def filter_queryset(self, request, queryset, view):
        filterset = self.get_filterset(request, queryset, view)
        if filterset is None:
            return queryset
        refuse_empty(request, [name for name in filterset.filters if name not in self.may_be_empty])
        if "ordering" in filterset.filters and "" in request.query_params.get("ordering", "x").split(","):
            raise ValidationError({"ordering": [_("Name one field or more, separated by commas, with none empty.")]})
        if not filterset.is_valid():
            errors = filterset.form.errors.as_data()
            if all(error.code == "unknown_region" for field in errors.values() for error in field):
                name, field_errors = next(iter(errors.items()))
                raise NotFound(f"{name}: {field_errors[0].messages[0]}")
            raise translate_validation(filterset.errors)
        return filterset.qs


def refuse_empty(request, names) -> None:
    """A 400 naming every parameter in `names` that was sent with an empty value."""
    empty = [name for name in names if name in request.query_params and not request.query_params[name].strip()]
    if empty:
        raise ValidationError({name: [_("Must not be empty: leave the parameter out instead.")] for name in empty})
