"""JSON shapes of channels, procedures with their ordered steps, and FAQs."""

from rest_framework import serializers

from passwords.api.serializers import DefaultPasswordRuleSerializer, PasswordPolicySerializer
from procedures.models import Channel, Faq, Procedure, Step
from regions.api.serializers import RegionSummarySerializer
from regions.models import NATIONAL_CODE, Region
from sources.api.serializers import OptionalURLField, PublicHistoryMixin, SourceSummarySerializer


class ChannelSerializer(PublicHistoryMixin, serializers.ModelSerializer):
    url = OptionalURLField()
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    region = RegionSummarySerializer(read_only=True)
    sources = SourceSummarySerializer(many=True, read_only=True)

    class Meta:
        model = Channel
        fields = [
            "slug", "kind", "kind_label", "name", "region", "phone", "url", "opening_hours", "description", "sources",
            *PublicHistoryMixin.history_fields, "updated_at",
        ]  # fmt: skip


class ChannelSummarySerializer(serializers.ModelSerializer):
    """The channel as a procedure names it: enough to call, open or visit it."""

    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    url = OptionalURLField()

    class Meta:
        model = Channel
        fields = ["slug", "kind", "kind_label", "name", "phone", "url"]


class StepSerializer(serializers.ModelSerializer):
    class Meta:
        model = Step
        fields = ["position", "instruction", "ui_path"]


class ProcedureSerializer(PublicHistoryMixin, serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    standing_label = serializers.CharField(source="get_standing_display", read_only=True)
    region = RegionSummarySerializer(read_only=True)
    card_types = serializers.SlugRelatedField(
        slug_field="slug", many=True, read_only=True, help_text="Empty: works for every card type."
    )
    channel = ChannelSummarySerializer(read_only=True)
    requirements = serializers.ListField(
        source="requirement_list", child=serializers.CharField(), read_only=True, help_text="What to bring."
    )
    steps = StepSerializer(many=True, read_only=True, help_text="In order of position, from 1.")
    sources = SourceSummarySerializer(many=True, read_only=True)

    class Meta:
        model = Procedure
        fields = [
            "slug", "kind", "kind_label", "title", "summary", "region", "card_types", "channel",
            "holder_must_be_present", "who_may_act", "requirements", "duration", "fee", "standing", "standing_label",
            "steps", "sources", *PublicHistoryMixin.history_fields, "updated_at",
        ]  # fmt: skip


class FaqSerializer(PublicHistoryMixin, serializers.ModelSerializer):
    regions = serializers.SlugRelatedField(
        slug_field="code", many=True, read_only=True, help_text="Empty: concerns every region."
    )
    card_types = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    procedures = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    sources = SourceSummarySerializer(many=True, read_only=True)

    class Meta:
        model = Faq
        fields = [
            "slug", "question", "answer", "regions", "card_types", "procedures", "sources",
            *PublicHistoryMixin.history_fields, "updated_at",
        ]  # fmt: skip


# The lookup's shapes: each row says where it was resolved from.


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


class LookupProcedureSerializer(ResolvedFromMixin, ProcedureSerializer):
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


class LookupSerializer(serializers.Serializer):
    region = LookupRegionSerializer()
    card_type = serializers.CharField(allow_null=True, help_text="The card type asked for, or null.")
    on = serializers.DateField(help_text="The day the rules were resolved for.")
    default_passwords = LookupRuleSerializer(many=True)
    password_policy = LookupPolicySerializer(
        many=True, help_text="The policies that apply: one per password and card type, resolved like the rules."
    )
    procedures = LookupProcedureSerializer(many=True)
    channels = ChannelSerializer(many=True)
    faqs = LookupFaqSerializer(many=True)
