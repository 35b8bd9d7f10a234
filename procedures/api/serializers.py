"""JSON shapes of channels, procedures with their ordered steps, and FAQs."""

from rest_framework import serializers

from procedures.models import Channel, Faq, Procedure, Step
from regions.api.serializers import RegionSummarySerializer
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
    channel = serializers.SlugRelatedField(
        source="effective_channel",
        slug_field="slug",
        read_only=True,
        help_text="Where the step is done: the slug of one of the procedure's `channels`.",
    )

    class Meta:
        model = Step
        fields = ["position", "instruction", "ui_path", "channel"]


class ProcedureSerializer(PublicHistoryMixin, serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    standing_label = serializers.CharField(source="get_standing_display", read_only=True)
    region = RegionSummarySerializer(read_only=True)
    card_types = serializers.SlugRelatedField(
        slug_field="slug", many=True, read_only=True, help_text="Empty: works for every card type."
    )
    channel = ChannelSummarySerializer(read_only=True, help_text="Where it is done, or mainly done.")
    channels = ChannelSummarySerializer(
        many=True,
        read_only=True,
        help_text="Every channel its steps take, in the order they take them; one for most procedures.",
    )
    requirements = serializers.ListField(
        source="requirement_list", child=serializers.CharField(), read_only=True, help_text="What to bring."
    )
    steps = StepSerializer(many=True, read_only=True, help_text="In order of position, from 1.")
    sources = SourceSummarySerializer(many=True, read_only=True)

    class Meta:
        model = Procedure
        fields = [
            "slug", "kind", "kind_label", "title", "summary", "region", "card_types", "insurance", "enrolment",
            "channel", "channels", "holder_must_be_present", "who_may_act", "requirements", "duration", "fee",
            "standing", "standing_label", "steps", "sources", *PublicHistoryMixin.history_fields, "updated_at",
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
