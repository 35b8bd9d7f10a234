from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContentConfig(AppConfig):
    """The whole body of content at once: loaded from the fixture, exported as one file."""

    name = "content"
    verbose_name = _("Content")
