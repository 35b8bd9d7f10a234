"""The filters every content resource has: its status (staff only) and what changed since a moment."""

import django_filters

from kb.api.filters import UpdatedSinceFilter

from .choices import Status


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
