"""Reports public content that could not be published as it stands: a standing stronger than its sources support,
no source, an unpublished source, a procedure without steps, anything the model's validation refuses. Publishing
checks all of it, but content published earlier, or a source changed since, can still break it; run it after a load
or an import, and in CI on the content file."""

from django.core.management.base import BaseCommand, CommandError

from curation.choices import Status
from curation.workflow import cites_sources, content_models, publishing_problems

PUBLIC = (Status.PUBLISHED, Status.IN_REVIEW)


class Command(BaseCommand):
    help = (
        "Check published content and content in review against the publishing rules (standing backed by the sources "
        "cited, at least one source, sources published); exits with status 1 and lists every row that breaks one."
    )

    def handle(self, *args, **options) -> None:
        checked, broken = 0, 0
        for model in content_models():
            rows = model._base_manager.filter(status__in=PUBLIC).order_by("slug")
            if cites_sources(model):
                rows = rows.prefetch_related("sources")
            for obj in rows:
                checked += 1
                problems = publishing_problems(obj)
                if problems:
                    broken += 1
                    self.stderr.write(f"{model._meta.label} {obj.slug} ({obj.status}): {' '.join(problems)}")
        if broken:
            raise CommandError(f"{broken} of {checked} content rows break the publishing rules (listed above).")
        self.stdout.write(f"{checked} content rows checked: all follow the publishing rules.")
