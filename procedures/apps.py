from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProceduresConfig(AppConfig):
    name = "procedures"
    verbose_name = _("Procedures and channels")

    def ready(self) -> None:
        from curation import registry

        registry.owned_by(self.get_model("Step"), "procedure")
        registry.embedded_in(
            self.get_model("Channel"), [("procedures.Procedure", "channel"), ("procedures.Procedure", "steps__channel")]
        )
        registry.embedded_in(self.apps.get_model("passwords", "CardType"), [("procedures.Procedure", "card_types")])
