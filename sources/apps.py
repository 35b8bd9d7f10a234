from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SourcesConfig(AppConfig):
    name = "sources"
    verbose_name = _("Sources")

    def ready(self) -> None:
        from curation import registry

        from .standing import check_standing

        registry.publishing_check(check_standing)
        source = self.get_model("Source")
        # Every answer shows the sources it cites: renaming one changes how the content citing it reads.
        citing = [
            (model._meta.label, field.name)
            for model in self.apps.get_models()
            for field in model._meta.many_to_many
            if field.name == "sources" and field.related_model is source
        ]
        registry.embedded_in(source, citing)
