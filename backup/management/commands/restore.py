"""`manage.py restore PATH`: loads a backup written by `manage.py backup`, either format (see backup.services)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from backup import services


class Command(BaseCommand):
    help = (
        "Restores a backup written by `manage.py backup`. A JSON backup loads into a freshly migrated database "
        "(run `migrate` first) in one transaction; a PostgreSQL dump (pg_restore) into a new, empty database."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("path", type=Path)
        parser.add_argument("--database", default="default")

    def handle(self, *, path: Path, database: str, **options) -> None:
        if not path.is_file():
            raise CommandError(f"No backup at {path}.")
        try:
            if services.is_postgres_dump(path):
                services.restore_postgres(path, database=database)
            else:
                services.import_json(path, database=database)
        except (services.RestoreRefused, RuntimeError, ValueError) as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"Restored {path}.")
