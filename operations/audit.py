"""The audit log's one writer: every change and every security event becomes an Event."""

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, transaction
from django.utils import timezone

from lwp.log_redaction import safe_path
from operations.models import FINISHED, Event, Operation
from operations.origin import CLI, WORKER

log = logging.getLogger("lwp.audit")

SUCCEEDED = "succeeded"
FAILED = "failed"
DENIED = "denied"
CANCELLED = "cancelled"


def _user_and_name(user, username):
    if user is not None and getattr(user, "is_authenticated", False):
        return user, user.get_username()
    return None, username or ""


def record_event(*, action, target="", outcome=SUCCEEDED, user=None, username="", origin=None,
                 message="", operation=None):
    """Append one event. An audit write that fails is logged, never the cause of a failed request."""
    origin = origin or CLI
    user, username = _user_and_name(user, username)
    try:
        with transaction.atomic():  # a savepoint inside a caller's transaction: its failure stays here
            return Event.objects.create(
                time=timezone.now(), user=user, username=username[:150], token=origin.token,
                source=origin.source, client_address=origin.address, action=action, target=str(target)[:200],
                outcome=outcome, message=str(message)[:2000],
                operation=getattr(operation, "pk", operation))
    except DatabaseError:
        log.exception("could not record the audit event %s %s %s", action, target, outcome)
        return None


def request_target(request):
    """A request as an event's target: its method and path, the path cut after /tokens/ (a
    revocation carries the token itself there) and never a query string (?private_token=...)."""
    return f"{request.method} {safe_path(request.path)}"[:200]


def record_denial(*, request, origin, message=""):
    """A change refused for want of permission (or of credentials)."""
    user = getattr(request, "user", None)
    return record_event(action="permission.denied", target=request_target(request), outcome=DENIED,
                        user=user, origin=origin, message=message)


@dataclass(frozen=True)
class Pruned:
    events: int
    operations: int


def prune_events(*, now=None, origin=WORKER):
    """The audit log's retention, in one place: delete the events, and the finished operations
    (with their logs), older than LWP_AUDIT_DAYS. The worker calls it daily, `manage.py
    pruneaudit` on demand; the pruning itself is recorded (an event nobody can remove sooner)."""
    days = settings.LWP_AUDIT_DAYS
    cutoff = (now or timezone.now()) - timedelta(days=days)
    events, _ = Event.objects.filter(time__lt=cutoff).delete()  # a queryset delete: Event.delete() refuses
    operations = Operation.objects.filter(status__in=FINISHED, created__lt=cutoff).exclude(
        finished__gte=cutoff).delete()[1].get(Operation._meta.label, 0)
    pruned = Pruned(events=events, operations=operations)
    if events or operations:
        record_event(action="audit.prune", origin=origin,
                     message=f"{events} events and {operations} finished operations older than {days} days")
    return pruned
