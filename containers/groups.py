"""The groups every install starts with, and the Container permissions each holds.

Read by the migration that creates them and by the tests that rebuild them; grant() and
revoke() serve the migrations that give the groups an app's permissions later.
"""

import functools

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUPS = {
    "viewers": ["view_container"],
    "operators": ["view_container", "change_container"],
    "administrators": ["view_container", "change_container", "add_container", "delete_container",
                       "download_backup", "console_container"],
}

# What the groups hold of the operations app's permissions (its own migration gives them):
# administrators see the whole audit log and may cancel anyone's operation.
OPERATIONS_GROUPS = {
    "administrators": ["view_event", "change_operation"],
}


def create_app_permissions(app_configs):
    """In a migration: permissions are normally created after all migrations; make them exist now."""
    for app_config in app_configs:
        app_config.models_module = True
        create_permissions(app_config, verbosity=0)
        app_config.models_module = None


def grant(apps, app_label, grants):
    """Give each group of `grants` ({group: [codename]}) those permissions of `app_label` (in a migration)."""
    create_app_permissions([apps.get_app_config(app_label)])
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group_name, codenames in grants.items():
        group, _ = Group.objects.get_or_create(name=group_name)
        group.permissions.add(*Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames))


def revoke(apps, app_label, grants):
    Permission = apps.get_model("auth", "Permission")
    for group in apps.get_model("auth", "Group").objects.filter(name__in=grants):
        group.permissions.remove(*Permission.objects.filter(content_type__app_label=app_label,
                                                            codename__in=grants[group.name]))


def granting(app_label, grants):
    """The migration operation that runs grant() (and revoke() when migrating back)."""
    return migrations.RunPython(functools.partial(_grant_step, app_label=app_label, grants=grants),
                                functools.partial(_revoke_step, app_label=app_label, grants=grants))


def _grant_step(apps, schema_editor, *, app_label, grants):
    grant(apps, app_label, grants)


def _revoke_step(apps, schema_editor, *, app_label, grants):
    revoke(apps, app_label, grants)
