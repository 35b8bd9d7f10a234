"""JSON shapes of sources, and the compact form every other resource cites them in."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from curation.changes import public_changes
from sources.models import Source


@extend_schema_field({"type": "string", "format": "uri", "nullable": True})
class OptionalURLField(serializers.URLField):
    """A link that may be unknown: null rather than an empty string, so clients test one thing."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)

    def to_representation(self, value: str) -> str | None:
        return value or None


class SourceSummarySerializer(serializers.ModelSerializer):
    url = OptionalURLField()

    class Meta:
        model = Source
        fields = ["slug", "title", "publisher", "official", "url", "published_on", "retrieved_on"]


class SourceSerializer(serializers.ModelSerializer):
    url = OptionalURLField()

    class Meta:
        model = Source
        fields = [
            "slug", "title", "publisher", "official", "url", "published_on", "retrieved_on", "note", "updated_at",
        ]  # fmt: skip


class ChangeNoteSerializer(serializers.Serializer):
    """A public note on a significant change, dated with the day it took effect."""

    date = serializers.DateField(help_text="The day the change took effect for the public.")
    note = serializers.CharField(help_text="What changed, in a sentence or two.")


class PublicHistoryMixin(serializers.Serializer):
    """What a reader needs to judge how current a fact is: its public change notes and its last check."""

    changes = serializers.SerializerMethodField(help_text="Public notes on significant changes, newest first.")
    verified_at = serializers.DateTimeField(
        read_only=True, allow_null=True, help_text="When it was last checked against its sources; null if never."
    )

    history_fields = ["verified_at", "changes"]

    @extend_schema_field(ChangeNoteSerializer(many=True))
    def get_changes(self, obj) -> list[dict]:
        return public_changes(obj)
