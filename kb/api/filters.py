"""Filters and the filter backend every resource shares: change dates, slugs, booleans, links; no app's models."""

import datetime

import django_filters
from django import forms
from django.core.validators import MaxLengthValidator
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from django_filters.utils import translate_validation
from drf_spectacular.utils import extend_schema_field
from rest_framework.exceptions import NotFound, ValidationError

from kb.validators import lower_case_slug

# The longest date-time a query parameter takes: with microseconds and an offset one has 32 characters; the schema
# says so (maxLength), so the API refuses longer ones rather than read them.
DATE_TIME_MAX_LENGTH = 40


class BoundedIsoDateTimeField(django_filters.fields.IsoDateTimeField):
    """Any ISO 8601 date-time, held within years 1900–3000: near year 1 or 9999 a time zone shift overflows.

    Nothing in the database is older than 1900 or newer than 3000, so the answer is the same."""

    EARLIEST = datetime.datetime(1900, 1, 1, tzinfo=datetime.UTC)
    LATEST = datetime.datetime(3000, 1, 1, tzinfo=datetime.UTC)

    def clean(self, value):
        if isinstance(value, str):
            MaxLengthValidator(DATE_TIME_MAX_LENGTH)(value)
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


def listing_or_unlisted(queryset: QuerySet, field: str, values) -> Q:
    """Rows whose many-to-many `field` includes one of `values`, or is empty (meaning: all of them).

    Written with subqueries: a join on the relation would repeat a row once per linked object.
    """
    model = queryset.model
    listing = model.objects.filter(**{f"{field}__in": values}).values("pk")
    linked = model.objects.filter(**{f"{field}__isnull": False}).values("pk")
    return Q(pk__in=listing) | ~Q(pk__in=linked)


# A slug query parameter as the schema describes it (ContentModel.slug: lower-case, at most 80 characters).
SLUG_MAX_LENGTH = 80
SLUG_SCHEMA = {"type": "string", "pattern": lower_case_slug.regex.pattern, "maxLength": SLUG_MAX_LENGTH}


@extend_schema_field({**SLUG_SCHEMA, "example": "wuhan-change-in-app"})
class SlugFilter(django_filters.CharFilter):
    """Rows linked to the content with this slug. A value that cannot be a slug is a 400 that says what a slug looks
    like (and the schema gives the pattern); a well-formed slug nothing has simply matches nothing."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("max_length", SLUG_MAX_LENGTH)
        kwargs.setdefault("validators", [lower_case_slug])
        super().__init__(**kwargs)


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
        if "ordering" in filterset.filters:
            fields = request.query_params.get("ordering", "x").split(",")
            if "" in fields:
                raise ValidationError(
                    {"ordering": [_("Name one field or more, separated by commas, with none empty.")]}
                )
            # The schema's maxItems: more fields than there are can only repeat one.
            if len(fields) > len(filterset.filters["ordering"].param_map):
                raise ValidationError({"ordering": [_("Name each field at most once.")]})
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
