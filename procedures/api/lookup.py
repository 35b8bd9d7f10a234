"""The one-request answer for a region: rules, policy, procedures, channels and FAQs, resolved up the hierarchy."""

import datetime

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from passwords.api.serializers import DefaultPasswordRuleSerializer, PasswordPolicySerializer
from passwords.models import CardType
from passwords.selectors import policies_for_region, rules_for_region
from procedures.models import Faq
from procedures.selectors import channels_for_region, faqs_for_region, procedures_for_region
from regions.api.serializers import RegionSummarySerializer
from regions.models import NATIONAL_CODE, Region, code_validator
from regions.selectors import region_with_ancestors
from sources.api.serializers import SourceSummarySerializer

from .serializers import ChannelSerializer, ProcedureSerializer


class LookupQuerySerializer(serializers.Serializer):
    region = serializers.CharField(validators=[code_validator], help_text="Six-digit division code, e.g. 420102.")
    card_type = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=CardType.objects.published(),
        required=False,
        help_text="Card type slug; without it, the rules for every card type are given.",
    )
    on = serializers.DateField(
        required=False, help_text="The day the rules must be valid on (YYYY-MM-DD); default today, China time."
    )


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


class LookupFaqSerializer(serializers.ModelSerializer):
    sources = SourceSummarySerializer(many=True, read_only=True)

    class Meta:
        model = Faq
        fields = ["slug", "question", "answer", "sources"]


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


class LookupView(APIView):
    """What is the initial password here, and how do I change or reset it?"""

    @extend_schema(
        parameters=[LookupQuerySerializer],
        responses=LookupSerializer,
        summary="Everything a region's holders need, in one request",
        description=(
            "Walks from the region up through its ancestors to the national root (000000). For each card type and "
            "password, the rules stated on the nearest region win and broader ones are left out; a rule for every "
            "card type on a nearer region also outranks a card-specific rule on a broader one. Rules from the root "
            "are nationwide hearsay and are marked `nationwide: true`. Policies resolve the same way; procedures, "
            "channels and FAQs are the region's own and every ancestor's, nearest first."
        ),
    )
    def get(self, request: Request) -> Response:
        query = LookupQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        try:
            chain = region_with_ancestors(code=params["region"])
        except Region.DoesNotExist:
            raise NotFound(_("No region has the code %(code)s.") % {"code": params["region"]}) from None
        card_type = params.get("card_type")
        on: datetime.date = params.get("on") or timezone.localdate()
        procedures = procedures_for_region(chain=chain, card_type=card_type)
        answer = {
            "region": chain[0],
            "card_type": card_type.slug if card_type else None,
            "on": on,
            "default_passwords": rules_for_region(chain=chain, card_type=card_type, on=on),
            "password_policy": policies_for_region(chain=chain, card_type=card_type),
            "procedures": procedures,
            "channels": channels_for_region(chain=chain),
            "faqs": faqs_for_region(chain=chain, card_type=card_type, procedures=procedures),
        }
        return Response(LookupSerializer(answer, context={"request": request}).data)
