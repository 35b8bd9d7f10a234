"""How the write API names regions: by their six-digit codes."""

from rest_framework import serializers

from curation.api.staff import many_related

from ..models import Region


def region_codes(*, many: bool = False, **kwargs) -> serializers.Field:
    kwargs.setdefault("help_text", "Six-digit division code; 000000 is nationwide.")
    if many:
        return many_related(region_codes(), **kwargs)
    return serializers.SlugRelatedField(slug_field="code", queryset=Region.objects.all(), **kwargs)
