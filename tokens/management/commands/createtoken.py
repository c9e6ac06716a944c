"""Print a new API token for a user: how a sysadmin gets the first one."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.core.management.base import BaseCommand, CommandError

from lwp.exceptions import LWPError
from operations.origin import CLI
from tokens import services
from tokens.models import TOKEN_MAX_LENGTH, is_valid_token_text, new_token_min_length, new_token_rule


class Command(BaseCommand):
    help = "Create an API token for a user and print it (it is shown only this once)."

    def add_arguments(self, parser):
        parser.add_argument("--user", required=True, help="the user the token acts as")
        parser.add_argument("--description", default="", help="what the token is for")
        parser.add_argument("--read-only", action="store_true", help="the token may only read (GET)")
        parser.add_argument("--token", help=f"use this token (LWP_TOKEN_MIN_LENGTH to {TOKEN_MAX_LENGTH} "
                                            "printable characters, no spaces) instead of a generated one")

    def handle(self, *args, user, description, read_only, token, **options):
        owner = get_user_model().objects.filter(**{get_user_model().USERNAME_FIELD: user}).first()
        if owner is None:
            raise CommandError(f"no user named {user!r}")
        if not owner.is_active:
            raise CommandError(f"user {user!r} is not active")
        if token is not None and not is_valid_token_text(token, min_length=new_token_min_length()):
            raise CommandError(f"--token must be {new_token_rule()}")
        if len(description) > 200:
            raise CommandError("--description must be at most 200 characters")
        try:
            # Nobody signed in on the command line: the event names no user (its message, the owner).
            _, raw_token = services.issue_token(user=owner, raw_token=token, description=description,
                                                read_only=read_only, by=AnonymousUser(), origin=CLI)
        except LWPError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(raw_token)
