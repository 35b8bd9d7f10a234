"""The staff representation of card types, default-password rules and password policies."""

from curation.api.staff import StaffContentSerializer, slugs
from passwords.models import CardType, DefaultPasswordRule, PasswordPolicy
from regions.api.staff import region_codes
from sources.api.staff import CitingSerializer


class StaffCardTypeSerializer(CitingSerializer):
    """A card type as staff read and write it."""

    class Meta(StaffContentSerializer.Meta):
        model = CardType
        fields = [
            "slug", "name", "short_name", "medium", "has_financial_account", "description", "sources",
            *StaffContentSerializer.workflow_fields,
        ]  # fmt: skip


class StaffRegionScopedSerializer(CitingSerializer):
    """What rules and policies share: region, card type, password, standing."""

    region = region_codes()
    card_type = slugs(CardType, allow_null=True, required=False, help_text="Card type slug; null: every card type.")

    scoped_fields = ["slug", "region", "card_type", "password", "standing", "note"]


class StaffDefaultPasswordRuleSerializer(StaffRegionScopedSerializer):
    """A default password rule as staff read and write it."""

    class Meta(StaffContentSerializer.Meta):
        model = DefaultPasswordRule
        fields = [
            *StaffRegionScopedSerializer.scoped_fields, "kind", "value", "insurance", "enrolment", "medium",
            "valid_from", "valid_until", "must_change_before_use", "sources", *StaffContentSerializer.workflow_fields,
        ]  # fmt: skip


class StaffPasswordPolicySerializer(StaffRegionScopedSerializer):
    """A password policy as staff read and write it."""

    class Meta(StaffContentSerializer.Meta):
        model = PasswordPolicy
        fields = [
            *StaffRegionScopedSerializer.scoped_fields, "min_length", "max_length", "allowed_characters",
            "new_may_equal_old", "change_limit_state", "change_limit", "takes_effect_immediately",
            "lockout_after_attempts", "unlock", "unlock_after_hours", "sources",
            *StaffContentSerializer.workflow_fields,
        ]  # fmt: skip
