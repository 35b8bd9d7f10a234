"""Reads of the region hierarchy."""

from .models import Region


def region_with_ancestors(*, code: str) -> list[Region]:
    """The region and its ancestors, nearest first, ending at the national root; one query.

    Raises Region.DoesNotExist for an unknown code.
    """
    region = Region.objects.select_related("parent__parent__parent").get(code=code)
    return [region, *region.ancestors()]
