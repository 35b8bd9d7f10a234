"""The staff representation of card types (with where they are issued), default-password rules and password
policies."""

from collections import Counter

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from rest_framework import serializers

from curation.api.staff import MAX_LINKS, JsonTypes, StaffContentSerializer, at_most, django_errors, slugs
from passwords.models import CardType, CardTypeAvailability, DefaultPasswordRule, PasswordPolicy
from regions.api.staff import region_codes
from sources.api.staff import CitingSerializer
from sources.models import Source


class StaffCardTypeAvailabilitySerializer(JsonTypes, serializers.ModelSerializer):
    """Where and when a card type is issued or withdrawn, as staff read and write it: one statement per region."""

    region = region_codes(help_text="Six-digit division code: it holds for this region and every region below it.")
    source = slugs(Source, help_text="Slug of the source that says so.")

    class Meta:
        model = CardTypeAvailability
        fields = ["region", "issued_from", "withdrawn_from", "source", "note"]

    def validate(self, attrs: dict) -> dict:
        # The model's rules for one statement (a date given, withdrawn after issued); one per region is checked on
        # the whole list, before the card type exists.
        try:
            CardTypeAvailability(**attrs).full_clean(exclude=["card_type"])
        except DjangoValidationError as error:
            raise serializers.ValidationError(django_errors(error)) from error
        return attrs


class StaffCardTypeSerializer(CitingSerializer):
    """A card type as staff read and write it."""

    # What many=True builds, with the cap (see StaffProcedureSerializer.steps).
    availability = serializers.ListSerializer(
        child=StaffCardTypeAvailabilitySerializer(),
        required=False,
        max_length=MAX_LINKS,
        validators=[at_most(MAX_LINKS)],
        help_text="Where and when it is issued or withdrawn, one statement per region, each citing its source; "
        "writing the list replaces every statement.",
    )

    owned_fields = ("availability",)

    class Meta(StaffContentSerializer.Meta):
        model = CardType
        fields = [
            "slug", "name", "short_name", "medium", "has_financial_account", "description", "availability", "sources",
            *StaffContentSerializer.workflow_fields,
        ]  # fmt: skip

    def validate_availability(self, rows: list[dict]) -> list[dict]:
        repeated = {region for region, count in Counter(row["region"].code for row in rows).items() if count > 1}
        errors = {
            index: {"region": [_("This card type already has a statement for this region.")]}
            for index, row in enumerate(rows)
            if row["region"].code in repeated
        }
        if errors:
            raise serializers.ValidationError(errors)
        return rows

    def related_snapshot(self, data: dict) -> dict[str, list]:
        snapshot = super().related_snapshot(data)
        if "availability" in snapshot:
            # As history holds them (CardTypeAvailability.snapshot), in the order it reads them: by region.
            rows = [
                CardTypeAvailability(**{key: value for key, value in row.items() if key != "position"}).snapshot()
                for row in snapshot["availability"]
            ]
            snapshot["availability"] = sorted(rows, key=lambda row: row["region"])
        return snapshot


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
