"""containers.console_container, given to the administrators group: a console is root in the container."""

from django.db import migrations

from containers import groups


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
        groups.granting("containers", {"administrators": ["console_container"]}),
    ]
