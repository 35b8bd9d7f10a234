"""The lookup's shapes: each row as the resource's own serializer gives it, and where it was resolved from."""

from rest_framework import serializers

from passwords.api.serializers import DefaultPasswordRuleSerializer, PasswordPolicySerializer
from procedures.api.serializers import ChannelSerializer, ProcedureSerializer
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
