"""JSON shapes of sources, and the compact form every other resource cites them in."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

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
        fields = ["slug", "title", "publisher", "url", "published_on", "retrieved_on"]


class SourceSerializer(serializers.ModelSerializer):
    url = OptionalURLField()

    class Meta:
        model = Source
        fields = ["slug", "title", "publisher", "url", "published_on", "retrieved_on", "note", "updated_at"]
