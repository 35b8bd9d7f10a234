"""JSON shapes of card types, default-password rules and password policies."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from passwords.choices import RuleKind
from passwords.models import CardType, CardTypeAvailability, DefaultPasswordRule, PasswordPolicy
from regions.api.serializers import RegionSummarySerializer
from sources.api.serializers import PublicHistoryMixin, SourceSummarySerializer


class CardTypeAvailabilitySerializer(serializers.ModelSerializer):
    region = RegionSummarySerializer(read_only=True, help_text="It holds for this region and every region below it.")
    source = SourceSummarySerializer(read_only=True)

    class Meta:
        model = CardTypeAvailability
        fields = ["region", "issued_from", "withdrawn_from", "source", "note"]


class CardTypeSerializer(PublicHistoryMixin, serializers.ModelSerializer):
    medium_label = serializers.CharField(source="get_medium_display", read_only=True)
    availability = CardTypeAvailabilitySerializer(
        many=True,
        read_only=True,
        help_text="Where and when it is issued or withdrawn, each with its source; empty: nothing stated.",
    )
    sources = SourceSummarySerializer(many=True, read_only=True)

    class Meta:
        model = CardType
        fields = [
            "slug", "name", "short_name", "medium", "medium_label", "has_financial_account", "availability",
            "description", "sources", *PublicHistoryMixin.history_fields, "updated_at",
        ]  # fmt: skip


class RegionScopedSerializer(PublicHistoryMixin, serializers.ModelSerializer):
    region = RegionSummarySerializer(read_only=True)
    card_type = serializers.SlugRelatedField(
        slug_field="slug", read_only=True, allow_null=True, help_text="Null: holds for every card type."
    )
    password_label = serializers.CharField(source="get_password_display", read_only=True)
    standing_label = serializers.CharField(source="get_standing_display", read_only=True)
    sources = SourceSummarySerializer(many=True, read_only=True)

    scoped_fields = [
        "slug", "region", "card_type", "password", "password_label", "standing", "standing_label", "note",
    ]  # fmt: skip


class DefaultPasswordRuleSerializer(RegionScopedSerializer):
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    value = serializers.SerializerMethodField(help_text="The digits of a fixed rule; null for every other kind.")

    class Meta:
        model = DefaultPasswordRule
        fields = [
            *RegionScopedSerializer.scoped_fields, "kind", "kind_label", "value", "insurance", "enrolment", "medium",
            "valid_from", "valid_until", "must_change_before_use", "sources",
            *PublicHistoryMixin.history_fields, "updated_at",
        ]  # fmt: skip

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_value(self, rule: DefaultPasswordRule) -> str | None:
        return rule.value if rule.kind == RuleKind.FIXED else None


class PasswordPolicySerializer(RegionScopedSerializer):
    allowed_characters_label = serializers.CharField(source="get_allowed_characters_display", read_only=True)
    unlock_label = serializers.CharField(source="get_unlock_display", read_only=True)

    class Meta:
        model = PasswordPolicy
        fields = [
            *RegionScopedSerializer.scoped_fields, "min_length", "max_length", "allowed_characters",
            "allowed_characters_label", "new_may_equal_old", "change_limit_state", "change_limit",
            "takes_effect_immediately",
            "lockout_after_attempts", "unlock", "unlock_label", "unlock_after_hours", "sources",
            *PublicHistoryMixin.history_fields, "updated_at",
        ]  # fmt: skip
