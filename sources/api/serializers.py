"""JSON shapes of sources, and the compact form every other resource cites them in."""

from rest_framework import serializers

from sources.models import Source


class SourceSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Source
        fields = ["slug", "title", "publisher", "url", "published_on", "retrieved_on"]


class SourceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Source
        fields = ["slug", "title", "publisher", "url", "published_on", "retrieved_on", "note", "updated_at"]
