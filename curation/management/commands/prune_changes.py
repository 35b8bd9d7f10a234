"""Removes change-feed events older than CHANGE_FEED_RETENTION_DAYS. Run it daily (cron, or the `scheduler` service of
docker-compose.yml); apps whose cursor is older are told to export again (410)."""

from django.core.management.base import BaseCommand

from curation.events import prune


class Command(BaseCommand):
    help = "Remove change-feed events older than CHANGE_FEED_RETENTION_DAYS."

    def handle(self, *args, **options) -> None:
        self.stdout.write(f"removed {prune()} change events")
