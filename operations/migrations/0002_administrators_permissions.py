"""The administrators group sees the whole audit log and may cancel anyone's operations."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

from containers.groups import OPERATIONS_GROUPS


def grant(apps, schema_editor):
    # Permissions are normally created after all migrations; make sure they exist now.
    app_config = apps.get_app_config("operations")
    app_config.models_module = True
    create_permissions(app_config, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group_name, codenames in OPERATIONS_GROUPS.items():
        group, _ = Group.objects.get_or_create(name=group_name)
        group.permissions.add(*Permission.objects.filter(content_type__app_label="operations",
                                                         codename__in=codenames))


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    for group in apps.get_model("auth", "Group").objects.filter(name__in=OPERATIONS_GROUPS):
        group.permissions.remove(*Permission.objects.filter(content_type__app_label="operations",
                                                            codename__in=OPERATIONS_GROUPS[group.name]))


class Migration(migrations.Migration):
    dependencies = [
        ("operations", "0001_initial"),
        ("containers", "0002_default_groups"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
