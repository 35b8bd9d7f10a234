"""Validators several apps share."""

from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

# Django's SlugField also takes capitals and underscores: `Wuhan_Rule` and `wuhan-rule` would be two addresses that
# people read as one.
lower_case_slug = RegexValidator(
    r"^[a-z0-9]+(?:-[a-z0-9]+)*$",
    _(
        "Use only lower-case letters, digits and hyphens between them, e.g. wuhan-reset-password: no capitals, spaces, "
        "underscores or Chinese characters."
    ),
    code="invalid_slug",
)
