from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LookupConfig(AppConfig):
    """The one-request answer for a region: reads of published content, precedence, serialization and its cache."""

    name = "lookup"
    verbose_name = _("Lookup")

    def ready(self) -> None:
        from curation import registry
        from kb.api.schema import always_sent

        from .cache import prepare_after_publish
        from .serializers import COMPACT_COMPONENTS
        from .views import assembled

        registry.after_public_commit(prepare_after_publish)
        registry.assembled_before_django("/api/v1/lookup/", assembled)
        for component, fields in COMPACT_COMPONENTS.items():
            always_sent(component, fields)
