"""Django's changepassword, plus its audit event (source: the command line).

It takes the place of django.contrib.auth's because the operations app comes first in
INSTALLED_APPS. A hook on the user model instead (a post_save, or a password validator's
password_changed) would fire for every password set, and so record again what the panel's
and the admin's password pages already record, with their request, and the users that
tests and data migrations make.
"""

import getpass

from django.contrib.auth import get_user_model
from django.contrib.auth.management.commands import changepassword

from operations import audit
from operations.origin import CLI


class Command(changepassword.Command):
    def handle(self, *args, **options):
        done = super().handle(*args, **options)  # raises CommandError when nothing changed
        username = options["username"] or getpass.getuser()
        User = get_user_model()
        user = User._default_manager.using(options["database"]).get(**{User.USERNAME_FIELD: username})
        # Nobody signed in on the command line: the event names the account changed, no user.
        audit.record_event(action="auth.password_change", target=f"user:{user.get_username()}", origin=CLI)
        return done
