"""The lookup's shapes: each row as the resource's own serializer gives it, and where it was resolved from."""

from rest_framework import serializers

from passwords.api.serializers import (
    CardTypeAvailabilitySerializer,
    DefaultPasswordRuleSerializer,
    PasswordPolicySerializer,
)
from passwords.choices import Availability, Insurance
from procedures.api.serializers import ChannelSerializer, ChannelSummarySerializer, ProcedureSerializer, StepSerializer
from procedures.models import Faq
from regions.api.serializers import RegionSummarySerializer
from regions.models import NATIONAL_CODE, Region
from sources.api.serializers import PublicHistoryMixin, SourceSummarySerializer


class ResolvedFromMixin(serializers.Serializer):
    resolved_from = RegionSummarySerializer(source="region", read_only=True, help_text="The region it was stated for.")
    nationwide = serializers.SerializerMethodField(
        help_text="True when it comes from the national root: nationwide hearsay, not this region's own rule."
    )

    def get_nationwide(self, obj) -> bool:
        return obj.region.code == NATIONAL_CODE


class LookupRuleSerializer(ResolvedFromMixin, DefaultPasswordRuleSerializer):
    class Meta(DefaultPasswordRuleSerializer.Meta):
        fields = [*DefaultPasswordRuleSerializer.Meta.fields, "resolved_from", "nationwide"]


class LookupPolicySerializer(ResolvedFromMixin, PasswordPolicySerializer):
    class Meta(PasswordPolicySerializer.Meta):
        fields = [*PasswordPolicySerializer.Meta.fields, "resolved_from", "nationwide"]


# The lookup's own copies of the shapes a procedure nests, so that the schema can say which of their fields the
# compact answer leaves out without saying so of /procedures/.
class LookupChannelSerializer(ChannelSummarySerializer):
    class Meta(ChannelSummarySerializer.Meta):
        pass


class LookupProcedureChannelSerializer(ChannelSummarySerializer):
    class Meta(ChannelSummarySerializer.Meta):
        pass


class LookupStepSerializer(StepSerializer):
    class Meta(StepSerializer.Meta):
        pass


class LookupProcedureSerializer(ResolvedFromMixin, ProcedureSerializer):
    channel = LookupChannelSerializer(read_only=True, help_text="Where it is done, or mainly done.")
    channels = LookupProcedureChannelSerializer(
        many=True, read_only=True, help_text="Every channel its steps take, in the order they take them."
    )
    steps = LookupStepSerializer(many=True, read_only=True, help_text="In order of position, from 1.")

    class Meta(ProcedureSerializer.Meta):
        fields = [*ProcedureSerializer.Meta.fields, "resolved_from", "nationwide"]


class LookupFaqSerializer(PublicHistoryMixin, serializers.ModelSerializer):
    sources = SourceSummarySerializer(many=True, read_only=True)

    class Meta:
        model = Faq
        fields = ["slug", "question", "answer", "sources", *PublicHistoryMixin.history_fields]


class LookupRegionSerializer(serializers.ModelSerializer):
    full_name = serializers.CharField(read_only=True)
    ancestors = RegionSummarySerializer(many=True, read_only=True, help_text="Nearest first, ending at 000000.")

    class Meta:
        model = Region
        fields = ["code", "name", "full_name", "level", "ancestors"]


class CardAvailabilityRowSerializer(CardTypeAvailabilitySerializer):
    """A statement of where and when a card type is issued, as the lookup caches it."""

    card_type = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta(CardTypeAvailabilitySerializer.Meta):
        fields = ["card_type", *CardTypeAvailabilitySerializer.Meta.fields]


class CardAvailabilitySerializer(CardAvailabilityRowSerializer):
    status = serializers.ChoiceField(
        choices=Availability.choices,
        help_text="On the day asked about: issued, not yet issued, or withdrawn. A card type that is not issued "
        "there gets no rules and no policies in the answer.",
    )

    class Meta(CardAvailabilityRowSerializer.Meta):
        fields = ["card_type", "status", *CardTypeAvailabilitySerializer.Meta.fields]


class LookupSerializer(serializers.Serializer):
    region = LookupRegionSerializer()
    card_type = serializers.CharField(allow_null=True, help_text="The card type asked for, or null.")
    on = serializers.DateField(help_text="The day the rules were resolved for.")
    insurance = serializers.ChoiceField(
        choices=[Insurance.EMPLOYEE.value, Insurance.RESIDENT.value],
        allow_null=True,
        help_text="The insurance asked for, or null.",
    )
    card_availability = CardAvailabilitySerializer(
        many=True,
        help_text="For each card type (the one asked for, or every one) with a statement on this region or one "
        "above it, the nearest statement and what it means on the day.",
    )
    default_passwords = LookupRuleSerializer(many=True)
    password_policy = LookupPolicySerializer(
        many=True, help_text="The policies that apply: one per password and card type, resolved like the rules."
    )
    procedures = LookupProcedureSerializer(many=True)
    channels = ChannelSerializer(many=True, required=False, help_text="Only with `include=channels`.")
    faqs = LookupFaqSerializer(many=True, required=False, help_text="Only with `include=faqs`.")


def shape(*names: str, **nested: dict) -> dict[str, dict | None]:
    """Which fields of a row to keep: each name whole, each keyword's rows (or row) in the shape given."""
    return {name: None for name in names} | nested


# The compact answer, the lookup's default: what a phone shows at once (which initial password, what a new one must
# be, each procedure's steps and where to follow them). `detail=full` gives every field; `include` adds sections.
COMPACT = {
    "default_passwords": shape(
        "slug", "card_type", "password", "password_label", "kind", "value", "insurance", "enrolment", "medium",
        "valid_from", "valid_until", "must_change_before_use", "standing", "nationwide",
    ),
    "password_policy": shape(
        "slug", "card_type", "password", "min_length", "max_length", "allowed_characters", "new_may_equal_old",
        "change_limit_state", "change_limit", "takes_effect_immediately", "lockout_after_attempts", "unlock",
        "unlock_after_hours", "standing", "nationwide",
    ),
    "procedures": shape(
        "slug", "kind", "title",
        channel=shape("slug", "kind", "name", "phone", "url"),
        # Enough to head each run of steps; a phone calls or opens the procedure's own channel.
        channels=shape("slug", "kind", "name"),
        steps=shape("instruction", "ui_path", "channel"),
    ),
}  # fmt: skip
OPTIONAL_SECTIONS = ("channels", "faqs")
# The schema's components for the rows COMPACT shapes: the fields it keeps are required, the others optional.
COMPACT_COMPONENTS = {
    "LookupRule": COMPACT["default_passwords"],
    "LookupPolicy": COMPACT["password_policy"],
    "LookupProcedure": COMPACT["procedures"],
    "LookupChannel": COMPACT["procedures"]["channel"],
    "LookupProcedureChannel": COMPACT["procedures"]["channels"],
    "LookupStep": COMPACT["procedures"]["steps"],
}
