from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LookupConfig(AppConfig):
    """The one-request answer for a region: reads of published content, precedence, serialization and its cache."""

    name = "lookup"
    verbose_name = _("Lookup")
