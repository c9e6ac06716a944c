"""Django's createsuperuser, plus an audit event for the account it made (source: the command line).

It takes the place of django.contrib.auth's because the operations app comes first in
INSTALLED_APPS (see changepassword.py here for why not a hook on the user model).
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.management.commands import createsuperuser
from django.db.models import Max

from operations import audit
from operations.origin import CLI


class Command(createsuperuser.Command):
    def handle(self, *args, **options):
        # Django's handle() reports some failures itself and returns: the account made, if any,
        # is the one newer than every account before it.
        users = get_user_model()._default_manager.db_manager(options["database"])
        newest_before = users.aggregate(newest=Max("pk"))["newest"]
        super().handle(*args, **options)
        made = users.all() if newest_before is None else users.filter(pk__gt=newest_before)
        for user in made.filter(is_superuser=True):
            audit.record_event(action="user.create", target=f"user:{user.get_username()}", origin=CLI,
                               message="a superuser, by manage.py createsuperuser")
