"""containers.download_backup, given to the administrators group."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GRANTS = {"administrators": ["download_backup"]}


def grant(apps, schema_editor):
    # Permissions are normally created after all migrations; make sure this one exists now.
    app_config = apps.get_app_config("containers")
    app_config.models_module = True
    create_permissions(app_config, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group_name, codenames in GRANTS.items():
        group, _ = Group.objects.get_or_create(name=group_name)
        group.permissions.add(*Permission.objects.filter(content_type__app_label="containers",
                                                         codename__in=codenames))


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    for group in apps.get_model("auth", "Group").objects.filter(name__in=GRANTS):
        group.permissions.remove(*Permission.objects.filter(content_type__app_label="containers",
                                                            codename__in=GRANTS[group.name]))


class Migration(migrations.Migration):
    dependencies = [
        ("containers", "0002_default_groups"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="container",
            options={"ordering": ["name"], "permissions": [("download_backup", "Can download a container's backup")]},
        ),
        migrations.RunPython(grant, revoke),
    ]
