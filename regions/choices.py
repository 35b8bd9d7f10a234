"""Enumerations of the administrative hierarchy."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Level(models.TextChoices):
    COUNTRY = "country", _("Country")
    PROVINCE = "province", _("Province-level")
    PREFECTURE = "prefecture", _("Prefecture-level")
    COUNTY = "county", _("County-level")
