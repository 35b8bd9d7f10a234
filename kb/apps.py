"""Third-party apps configured for this project."""

from axes.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AxesConfig(AppConfig):
    """django-axes, named in the admin in the staff member's language (it names itself "Axes" in any)."""

    verbose_name = _("Sign-in attempts")

    def ready(self):
        super().ready()
        from axes.admin import AccessAttemptAdmin

        # The list's status column has no label of its own: Django would show the method's name, "Status".
        AccessAttemptAdmin.status.short_description = _("status")
