from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PasswordsConfig(AppConfig):
    name = "passwords"
    verbose_name = _("Cards and passwords")

    def ready(self) -> None:
        from curation import registry
        from kb.api import schema

        registry.owned_by(self.get_model("CardTypeAvailability"), "card_type")
        registry.embedded_in(
            self.get_model("CardType"),
            [("passwords.DefaultPasswordRule", "card_type"), ("passwords.PasswordPolicy", "card_type")],
        )
        card_type = self.get_model("CardType")
        schema.published_values(
            "card_type",
            lambda: list(card_type.objects.published().order_by("slug").values_list("slug", flat=True)),
            "The slug of a published card type (see /api/v1/card-types/).",
        )
