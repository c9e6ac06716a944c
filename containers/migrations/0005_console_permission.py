"""containers.console_container, given to the administrators group: a console is root in the container."""

from django.db import migrations

from containers import groups

GRANTS = {"administrators": ["console_container"]}


def grant(apps, schema_editor):
    groups.grant(apps, "containers", GRANTS)


def revoke(apps, schema_editor):
    groups.revoke(apps, "containers", GRANTS)


class Migration(migrations.Migration):
    dependencies = [
        ("containers", "0004_download_backup_permission"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="container",
            options={"ordering": ["name"], "permissions": [("download_backup", "Can download a container's backup"),
                                                           ("console_container", "Can open a console in a container")]},
        ),
        migrations.RunPython(grant, revoke),
    ]
