from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CurationConfig(AppConfig):
    """The curation core: what every piece of content shares (workflow, history, revision, change notes, audit).

    It knows no content app: each registers here what the core must know about it (see `curation.registry`)."""

    name = "curation"
    verbose_name = _("Curation")

    def ready(self) -> None:
        from . import signals

        signals.connect()
