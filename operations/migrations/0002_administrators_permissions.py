"""The administrators group sees the whole audit log and may cancel anyone's operations."""

from django.db import migrations

from containers import groups
from containers.groups import OPERATIONS_GROUPS


class Migration(migrations.Migration):
    dependencies = [
        ("operations", "0001_initial"),
        ("containers", "0002_default_groups"),
    ]

    operations = [groups.granting("operations", OPERATIONS_GROUPS)]
