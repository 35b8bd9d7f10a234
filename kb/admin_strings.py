"""Interface strings of the admin's packages that their own Chinese catalogs lack, so that our catalog has them.

Django looks a message up in LOCALE_PATHS first, so a translation in locale/zh_Hans covers a string a package's
template or model asks for. makemessages only keeps messages it finds in this project's files: each is listed here.
Nothing imports this module.
"""

from django.utils.translation import gettext_noop

MESSAGES = [
    # Django 5.2's admin: the app list's headers for screen readers, and the user's add page.
    gettext_noop("Model name"),
    gettext_noop("Add link"),
    gettext_noop("Change or view list link"),
    gettext_noop("After you’ve created a user, you’ll be able to edit more user options."),
    gettext_noop(
        "Whether the user will be able to authenticate using a password or not. If disabled, they may still be able "
        "to authenticate using other backends, such as Single Sign-On or LDAP."
    ),
    # django-admin-sortable2: the arrows beside each step.
    gettext_noop("Move to first position"),
    gettext_noop("Move to last position"),
    # django-import-export: the export page, and the admin log entries of an import (its own message is built
    # before it is translated: "update through import_export").
    gettext_noop("Select all"),
    gettext_noop("new through import_export"),
    gettext_noop("update through import_export"),
    gettext_noop("delete through import_export"),
    # django-axes: its models, their fields and its admin action.
    gettext_noop("Axes"),
    gettext_noop("access attempt"),
    gettext_noop("access attempts"),
    gettext_noop("access attempt expiration"),
    gettext_noop("access attempt expirations"),
    gettext_noop("access failure"),
    gettext_noop("access failures"),
    gettext_noop("access log"),
    gettext_noop("access logs"),
    gettext_noop("Access Attempt"),
    gettext_noop("Access lock out"),
    gettext_noop("Attempt Remaining"),
    gettext_noop("Attempt Time"),
    gettext_noop("Clean up expired attempts"),
    gettext_noop("Expires At"),
    gettext_noop("Failed Logins"),
    gettext_noop("Form Data"),
    gettext_noop("GET Data"),
    gettext_noop("HTTP Accept"),
    gettext_noop("IP Address"),
    gettext_noop("Locked Out"),
    gettext_noop("Logout Time"),
    gettext_noop("Meta Data"),
    gettext_noop("Not set"),
    gettext_noop("POST Data"),
    gettext_noop("Path"),
    gettext_noop("Session key hash (sha256)"),
    gettext_noop("The time when access attempt expires and is no longer valid."),
    gettext_noop("User Agent"),
    gettext_noop("Username"),
]
