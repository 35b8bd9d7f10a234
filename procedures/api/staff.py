"""The staff representation of channels, procedures (with their steps) and FAQs."""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from curation.api.staff import JsonTypes, LinesField, StaffContentSerializer, at_most, django_errors, slugs
from passwords.models import CardType
from procedures.models import MAX_STEPS, Channel, Faq, Procedure, Step
from regions.api.staff import region_codes
from sources.api.staff import CitingSerializer


class StaffChannelSerializer(CitingSerializer):
    """A channel as staff read and write it."""

    region = region_codes()

    class Meta(StaffContentSerializer.Meta):
        model = Channel
        fields = [
            "slug", "kind", "name", "region", "phone", "url", "opening_hours", "description", "sources",
            *StaffContentSerializer.workflow_fields,
        ]  # fmt: skip


class StaffStepSerializer(JsonTypes, serializers.ModelSerializer):
    position = serializers.IntegerField(read_only=True, help_text="Given by the order of the list, from 1.")
    channel = slugs(
        Channel,
        allow_null=True,
        required=False,
        help_text="Channel slug, only for a step done elsewhere than the "
        "procedure's channel; null: the procedure's channel.",
    )

    class Meta:
        model = Step
        fields = ["position", "instruction", "ui_path", "channel"]

    def validate(self, attrs: dict) -> dict:
        try:
            Step(position=1, **attrs).full_clean(exclude=["procedure", "position"])
        except DjangoValidationError as error:
            raise serializers.ValidationError(django_errors(error)) from error
        return attrs


class StaffProcedureSerializer(CitingSerializer):
    """A procedure as staff read and write it."""

    region = region_codes()
    card_types = slugs(CardType, many=True, required=False, help_text="Card type slugs; empty: every card type.")
    channel = slugs(Channel)
    requirements = LinesField(required=False, help_text="What to bring, one item per string.")
    # What many=True builds, with the cap: DRF refuses a longer list (max_length) before it validates each step,
    # and the validator states it in the schema.
    steps = serializers.ListSerializer(
        child=StaffStepSerializer(),
        required=False,
        max_length=MAX_STEPS,
        validators=[at_most(MAX_STEPS)],
        help_text="In order; writing the list replaces every step of the procedure.",
    )

    owned_fields = ("steps",)

    def related_snapshot(self, data: dict) -> dict[str, list]:
        snapshot = super().related_snapshot(data)
        # Steps are snapshotted as history holds them: a step's own channel by its slug, and only when it has one.
        for row in snapshot.get("steps", []):
            channel = row.pop("channel", None)
            if channel is not None:
                row["channel"] = channel.slug
        return snapshot

    class Meta(StaffContentSerializer.Meta):
        model = Procedure
        fields = [
            "slug", "kind", "title", "summary", "region", "card_types", "insurance", "enrolment", "channel",
            "holder_must_be_present",
            "who_may_act", "requirements", "duration", "fee", "standing", "steps", "sources",
            *StaffContentSerializer.workflow_fields,
        ]  # fmt: skip


class StaffFaqSerializer(CitingSerializer):
    """A FAQ as staff read and write it."""

    regions = region_codes(many=True, required=False, help_text="Six-digit division codes; empty: every region.")
    card_types = slugs(CardType, many=True, required=False)
    procedures = slugs(Procedure, many=True, required=False)

    class Meta(StaffContentSerializer.Meta):
        model = Faq
        fields = [
            "slug", "question", "answer", "regions", "card_types", "procedures", "sources",
            *StaffContentSerializer.workflow_fields,
        ]  # fmt: skip
