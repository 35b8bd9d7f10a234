"""The staff representation of sources, read and written by the write API."""

from curation.api.staff import StaffContentSerializer, slugs
from sources.models import Source


class StaffSourceSerializer(StaffContentSerializer):
    """A source as staff read and write it."""

    class Meta(StaffContentSerializer.Meta):
        model = Source
        fields = [
            "slug", "title", "publisher", "official", "url", "published_on", "retrieved_on", "note",
            *StaffContentSerializer.workflow_fields,
        ]  # fmt: skip


class CitingSerializer(StaffContentSerializer):
    sources = slugs(Source, many=True, allow_empty=False, help_text="Slugs of the sources it cites: at least one.")
