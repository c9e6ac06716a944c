"""The administrators group sees the whole audit log and may cancel anyone's operations."""

from django.db import migrations

from containers import groups
from containers.groups import OPERATIONS_GROUPS


def grant(apps, schema_editor):
    groups.grant(apps, "operations", OPERATIONS_GROUPS)


def revoke(apps, schema_editor):
    groups.revoke(apps, "operations", OPERATIONS_GROUPS)


class Migration(migrations.Migration):
    dependencies = [
        ("operations", "0001_initial"),
        ("containers", "0002_default_groups"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
