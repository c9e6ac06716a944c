"""manage.py pruneaudit: what the worker does daily, for a cron job (or a worker-less install)."""

from django.conf import settings
from django.core.management.base import BaseCommand

from operations import audit
from operations.origin import CLI


class Command(BaseCommand):
    help = "Delete the audit events and finished operations older than LWP_AUDIT_DAYS."

    def handle(self, *args, **options):
        pruned = audit.prune_events(origin=CLI)
        self.stdout.write(f"Pruned {pruned.events} events and {pruned.operations} finished operations "
                          f"older than {settings.LWP_AUDIT_DAYS} days.")
