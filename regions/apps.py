from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegionsConfig(AppConfig):
    name = "regions"
    verbose_name = _("Regions")

    def ready(self) -> None:
        from curation import registry

        from .api.views import assembled

        # A renamed region reads differently in every answer that names it.
        registry.track(self.get_model("Region"))
        registry.assembled_before_django("/api/v1/regions/", assembled)
