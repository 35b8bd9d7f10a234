"""The two staff roles and what each may do. Superusers stand outside them."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

CONTENT = {
    "sources": ["source"],
    "passwords": ["cardtype", "defaultpasswordrule", "passwordpolicy"],
    "procedures": ["channel", "procedure", "faq"],
}
# Rows edited inline with their content: removing a step or a citation is part of editing a draft.
OWNED = {
    "passwords": ["cardtypecitation", "rulecitation", "policycitation"],
    "procedures": ["step", "channelcitation", "procedurecitation", "faqcitation"],
}


def codenames(apps_models: dict[str, list[str]], actions: list[str]) -> list[tuple[str, str]]:
    return [(app, f"{action}_{model}") for app, models in apps_models.items() for model in models for action in actions]


ROLES = {
    "editors": [
        *codenames(CONTENT, ["view", "add", "change"]),
        *codenames(OWNED, ["view", "add", "change", "delete"]),
        ("regions", "view_region"),
        ("sources", "view_changenote"),
    ],
    "publishers": [
        *codenames(CONTENT, ["view", "add", "change", "delete"]),
        *codenames(OWNED, ["view", "add", "change", "delete"]),
        ("regions", "view_region"),
        ("sources", "view_changenote"),
        ("sources", "add_changenote"),
        ("sources", "change_changenote"),
        ("sources", "delete_changenote"),
        ("sources", "view_auditentry"),
        ("sources", "publish_content"),
    ],
}


def create_roles(apps, schema_editor):
    # Permissions are normally created after all migrations ran; the groups need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, wanted in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        permissions = [Permission.objects.get(content_type__app_label=app, codename=code) for app, code in wanted]
        group.permissions.set(permissions)


def drop_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("regions", "0001_initial"),
        ("sources", "0002_workflow_history"),
        ("passwords", "0002_workflow_history"),
        ("procedures", "0002_workflow_history"),
    ]

    operations = [migrations.RunPython(create_roles, drop_roles)]
