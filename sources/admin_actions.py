"""Admin actions every content admin shares."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import workflow


@admin.action(description=_("Mark as verified against sources"), permissions=["change"])
def mark_verified_action(modeladmin, request, queryset) -> None:
    # Checking facts is every editor's job, so it needs only the change permission; it is allowed on published
    # content because it changes the date of the last check, not what the content says.
    count = 0
    for obj in queryset:
        workflow.mark_verified(obj, request.user)
        count += 1
    modeladmin.message_user(
        request,
        ngettext(
            "%(count)d item marked as verified against its sources.",
            "%(count)d items marked as verified against their sources.",
            count,
        )
        % {"count": count},
        messages.SUCCESS,
    )
