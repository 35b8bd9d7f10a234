"""Reads of card types that the API and the lookup share."""

from django.db.models import Prefetch

from curation.choices import Status

from .models import CardTypeAvailability


def published_availability() -> Prefetch:
    """Prefetched for CardTypeSerializer.availability: statements whose source is published, with their region."""
    return Prefetch(
        "availability",
        queryset=CardTypeAvailability.objects.filter(source__status=Status.PUBLISHED).select_related(
            "region", "source"
        ),
    )


def published_availability_rows() -> list[CardTypeAvailability]:
    """Every statement of a published card type whose source is published, for the lookup."""
    return list(
        CardTypeAvailability.objects.filter(card_type__status=Status.PUBLISHED, source__status=Status.PUBLISHED)
        .select_related("card_type", "region", "source")
        .order_by("card_type__slug", "region__code")
    )
