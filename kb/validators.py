"""Validators several apps share."""

from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

# Django's SlugField also takes capitals and underscores: `Wuhan_Rule` and `wuhan-rule` would be two addresses that
# people read as one.
lower_case_slug = RegexValidator(
    r"^[a-z0-9]+(?:-[a-z0-9]+)*$",
    _("Use lower-case letters, digits and single hyphens between them, e.g. wuhan-fixed-1234."),
    code="invalid_slug",
)
