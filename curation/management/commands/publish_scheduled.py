"""Publishes the content whose scheduled moment has come. Run it every minute (cron, a systemd timer or the
`scheduler` service of docker-compose.yml): it is idempotent, and what it cannot publish stays in review."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from curation.choices import Status
from curation.models import StaleEdit
from curation.workflow import publish_due


def reasons(error: ValidationError) -> str:
    return "; ".join(str(message) for message in error.messages)


def still_in_review(obj) -> bool:
    return type(obj)._base_manager.filter(pk=obj.pk, status=Status.IN_REVIEW).exists()


class Command(BaseCommand):
    help = "Publish content in review whose publish_at has passed; exits with status 1 if any of it was refused."

    def handle(self, *args, **options) -> None:
        published, refused = publish_due()
        # Two overlapping runs (a slow run under cron) race for the same row: the loser's save is stale, and the
        # row is already public. That is not a refusal.
        refused = [(obj, error) for obj, error in refused if not isinstance(error, StaleEdit) or still_in_review(obj)]
        for obj in published:
            self.stdout.write(f"published {obj._meta.label} {obj.slug}: {obj}")
        for obj, error in refused:
            self.stderr.write(f"refused {obj._meta.label} {obj.slug}: {reasons(error)}")
        if refused:
            raise CommandError(f"{len(refused)} scheduled item(s) could not be published; they stay in review.")
        if not published and options["verbosity"] > 1:
            self.stdout.write("nothing due")
