"""containers.download_backup, given to the administrators group."""

from django.db import migrations

from containers import groups

GRANTS = {"administrators": ["download_backup"]}


def grant(apps, schema_editor):
    groups.grant(apps, "containers", GRANTS)


def revoke(apps, schema_editor):
    groups.revoke(apps, "containers", GRANTS)


class Migration(migrations.Migration):
    dependencies = [
        ("containers", "0003_clone_of_snapshot"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="container",
            options={"ordering": ["name"], "permissions": [("download_backup", "Can download a container's backup")]},
        ),
        migrations.RunPython(grant, revoke),
    ]
