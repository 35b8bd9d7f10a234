"""Loads the curated content from fixtures/; safe to run again."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from content.loader import DEFAULT_FIXTURE, ContentError, load_content


class Command(BaseCommand):
    help = "Create or update the curated content (sources, card types, rules, policies, channels, procedures, FAQs)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("path", nargs="?", type=Path, default=DEFAULT_FIXTURE)
        parser.add_argument(
            "--missing-only",
            action="store_true",
            help="Only create what the database lacks; leave existing rows as staff left them.",
        )

    def handle(self, *args, path: Path, missing_only: bool, **options) -> None:
        try:
            report = load_content(path, missing_only=missing_only)
        except ContentError as error:
            raise CommandError(f"{path}: {error}") from None

        def summary(counts: dict[str, int]) -> str:
            return ", ".join(f"{n} {label}" for label, n in sorted(counts.items())) or "nothing"

        self.stdout.write(f"Created: {summary(report.created)}.")
        self.stdout.write(f"Updated: {summary(report.updated)}.")
        self.stdout.write(f"Unchanged: {summary(report.unchanged)}.")
