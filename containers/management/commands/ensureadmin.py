"""Create the first admin account when the database has no superuser (used by bin/lwp-run)."""

import os
import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from operations import audit
from operations.origin import CLI


class Command(BaseCommand):
    help = "Create the first superuser if there is none; prints its password once."

    def add_arguments(self, parser):
        parser.add_argument("--username", default=os.environ.get("LWP_ADMIN_USER", "admin"))

    def handle(self, *args, username, **options):
        User = get_user_model()
        if User.objects.filter(is_superuser=True).exists():
            return
        given = os.environ.get("LWP_ADMIN_PASSWORD")
        password = given or secrets.token_urlsafe(12)
        User.objects.create_superuser(username=username, email="", password=password)
        audit.record_event(action="user.create", target=f"user:{username}", origin=CLI,
                           message="the first superuser, by manage.py ensureadmin")
        self.stdout.write(f"Created the admin account {username!r}.")
        if not given:
            self.stdout.write(f"Its password (shown once, change it after signing in): {password}")
