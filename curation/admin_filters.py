"""List filters every content admin shares."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .freshness import needs_review


class NeedsReviewFilter(admin.SimpleListFilter):
    """Content not checked against its sources within CONTENT_REVIEW_AFTER_DAYS, or never."""

    title = _("freshness")
    parameter_name = "needs_review"

    def lookups(self, request, model_admin):
        return [("yes", _("Needs review")), ("no", _("Recently verified"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(needs_review())
        if self.value() == "no":
            return queryset.exclude(needs_review())
        return queryset
