"""containers.download_backup, given to the administrators group."""

from django.db import migrations

from containers import groups


class Migration(migrations.Migration):
    dependencies = [
        ("containers", "0003_clone_of_snapshot"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="container",
            options={"ordering": ["name"], "permissions": [("download_backup", "Can download a container's backup")]},
        ),
        groups.granting("containers", {"administrators": ["download_backup"]}),
    ]
