"""Move over from LXC-Web-Panel: its users, passwords and API tokens, in one transaction."""

from django.core.management.base import BaseCommand, CommandError

from lwp.exceptions import InvalidInput
from tokens.lwpconf import read_conf
from tokens.lwpimport import import_database
from tokens.models import TOKEN_STRONG_LENGTH


class Command(BaseCommand):
    help = ("Import LXC-Web-Panel's users (their passwords keep working) and API tokens from its "
            "SQLite database (read-only, never changed), and report what of its lwp.conf has an equivalent.")

    def add_arguments(self, parser):
        parser.add_argument("path", help="its database, by default /var/lwp/lwp.db")
        parser.add_argument("--dry-run", action="store_true", help="report what would be imported, import nothing")
        parser.add_argument("--conf", metavar="LWP_CONF", help="its lwp.conf (e.g. /etc/lwp/lwp.conf): "
                                                               "report the settings that have an equivalent here")

    def handle(self, *args, path, dry_run, conf, **options):
        try:
            conf_report = read_conf(conf) if conf else None
            report = import_database(path, dry_run=dry_run)
        except InvalidInput as exc:
            raise CommandError(f"{exc.message}. Nothing was imported.") from None
        self._print_import(report, dry_run=dry_run)
        if conf_report:
            self._print_conf(*conf_report)

    def _print_import(self, report, *, dry_run):
        out = self.stdout.write
        verb = "Would import" if dry_run else "Imported"
        out(f"{verb} {len(report.users)} users and {len(report.tokens)} tokens "
            f"({report.weak} weak); skipped {len(report.skipped)}.")
        for name in report.users:
            out(f"  user {name!r}")
        for name in report.tokens:
            out(f"  {name}")
        for what, why in report.skipped:
            out(f"  skipped {what}: {why}")
        if report.weak:
            out(f"Weak tokens (shorter than {TOKEN_STRONG_LENGTH} characters) work, and are marked on the "
                "tokens page and in the admin: give their scripts new tokens, then revoke them.")
        if dry_run:
            out("Dry run: nothing was written.")

    def _print_conf(self, equivalents, others):
        out = self.stdout.write
        out("From lwp.conf (nothing was changed; set these in LWP's environment):")
        for item in equivalents:
            out(f"  {item.setting}: {item.here}")
        if others:
            out(f"  no equivalent: {', '.join(others)}")
