"""Editors and publishers edit a card type's availability inline, as they edit a procedure's steps: the roles
(sources/migrations/0003_roles.py) were created before these rows existed."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ROLES = ("editors", "publishers")
CODENAMES = [f"{action}_cardtypeavailability" for action in ("view", "add", "change", "delete")]


def grant(apps, schema_editor):
    # Permissions are normally created after all migrations ran; the roles need these now.
    app_config = apps.get_app_config("passwords")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Permission = apps.get_model("auth", "Permission")
    permissions = list(Permission.objects.filter(content_type__app_label="passwords", codename__in=CODENAMES))
    for group in apps.get_model("auth", "Group").objects.filter(name__in=ROLES):
        group.permissions.add(*permissions)


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    permissions = Permission.objects.filter(content_type__app_label="passwords", codename__in=CODENAMES)
    for group in apps.get_model("auth", "Group").objects.filter(name__in=ROLES):
        group.permissions.remove(*permissions)


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("passwords", "0006_content_model"),
        ("sources", "0003_roles"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
