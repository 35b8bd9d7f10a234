"""`manage.py backup PATH [--format json|postgres]`: writes a backup of the content (see backup.services)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from backup import services


class Command(BaseCommand):
    help = (
        "Writes a backup: the content apps and staff groups as natural-key JSON (any database, the default), or the "
        "whole PostgreSQL database with pg_dump -Fc (--format postgres)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("path", type=Path)
        parser.add_argument("--format", choices=["json", "postgres"], default="json")
        parser.add_argument("--database", default="default")

    def handle(self, *, path: Path, format: str, database: str, **options) -> None:
        if format == "postgres" and connections[database].vendor != "postgresql":
            raise CommandError("--format postgres needs a PostgreSQL database; use the JSON format.")
        try:
            if format == "postgres":
                services.dump_postgres(path, database=database)
            else:
                services.export_json(path, database=database)
        except RuntimeError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"Backup written to {path} ({format}, {path.stat().st_size:,} bytes).")
