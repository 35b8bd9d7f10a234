from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PasswordsConfig(AppConfig):
    name = "passwords"
    verbose_name = _("Cards and passwords")

    def ready(self) -> None:
        from curation import registry

        registry.embedded_in(
            self.get_model("CardType"),
            [("passwords.DefaultPasswordRule", "card_type"), ("passwords.PasswordPolicy", "card_type")],
        )
