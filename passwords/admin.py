"""Admin for card types, default-password rules and password policies."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from curation.admin import ContentAdmin, FollowsOwnerWorkflow
from curation.import_admin import ContentImportExportMixin
from regions.admin import SearchesByRegion
from sources.admin import sources_inline

from .models import CardType, CardTypeAvailability, DefaultPasswordRule, PasswordPolicy
from .resources import CardTypeResource, DefaultPasswordRuleResource


class CardTypeAvailabilityInline(FollowsOwnerWorkflow, admin.TabularInline):
    """Where and since when the card type is issued, or from when it is withdrawn, each with its source."""

    model = CardTypeAvailability
    autocomplete_fields = ("region", "source")
    fields = ("region", "issued_from", "withdrawn_from", "source", "note")
    extra = 0


@admin.register(CardType)
class CardTypeAdmin(ContentImportExportMixin, ContentAdmin):
    resource_classes = [CardTypeResource]
    list_display = ("name", "slug", "medium", "has_financial_account", "status", "updated_at")
    list_filter = ("medium", "has_financial_account")
    search_fields = ("name", "short_name", "slug")
    prepopulated_fields = {}
    ordering = ("slug",)
    inlines = (CardTypeAvailabilityInline, sources_inline(CardType))
    exclude = ("sources",)


class RegionScopedAdmin(SearchesByRegion, ContentAdmin):
    autocomplete_fields = ("region", "card_type")
    list_select_related = ("region", "card_type")
    # Only regions that actually hold rows are offered: the full list has 3,400 entries.
    list_filter = (("region", admin.RelatedOnlyFieldListFilter), "card_type", "password", "standing")
    search_fields = ("slug", "note")
    ordering = ("region__code", "password")
    exclude = ("sources",)


@admin.register(DefaultPasswordRule)
class DefaultPasswordRuleAdmin(ContentImportExportMixin, RegionScopedAdmin):
    resource_classes = [DefaultPasswordRuleResource]
    list_display = (
        "region", "card_type", "password", "kind", "value", "valid_from", "valid_until", "standing", "status",
    )  # fmt: skip
    list_filter = ("kind", "medium", *RegionScopedAdmin.list_filter)
    inlines = (sources_inline(DefaultPasswordRule),)
    fieldsets = (
        (None, {"fields": ("slug", "region", "card_type", "password", "kind", "value")}),
        (
            _("Scope"),
            {"fields": ("insurance", "enrolment", "medium", "valid_from", "valid_until", "must_change_before_use")},
        ),
        (_("Evidence"), {"fields": ("standing", "note")}),
    )


@admin.register(PasswordPolicy)
class PasswordPolicyAdmin(RegionScopedAdmin):
    list_display = ("region", "card_type", "password", "min_length", "max_length", "allowed_characters", "status")
    list_filter = ("allowed_characters", "change_limit_state", "unlock", *RegionScopedAdmin.list_filter)
    inlines = (sources_inline(PasswordPolicy),)
