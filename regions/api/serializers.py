"""JSON shapes of regions."""

from rest_framework import serializers

from regions.models import Region


class RegionSummarySerializer(serializers.ModelSerializer):
    """How other resources name a region: by code, with its name and level."""

    class Meta:
        model = Region
        fields = ["code", "name", "level"]


class RegionSerializer(serializers.ModelSerializer):
    full_name = serializers.CharField(read_only=True, help_text="With its province and prefecture: 湖北省武汉市江岸区.")
    level_label = serializers.CharField(source="get_level_display", read_only=True)
    parent = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)

    class Meta:
        model = Region
        fields = [
            "code", "name", "short_name", "full_name", "level", "level_label", "division_type", "parent", "pinyin",
            "initials", "updated_at",
        ]  # fmt: skip
