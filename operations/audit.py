"""The audit log's one writer: every change and every security event becomes an Event."""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError
from django.utils import timezone

from operations.models import Event
from operations.origin import CLI

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
        return Event.objects.create(
            time=timezone.now(), user=user, username=username[:150], token=origin.token,
            source=origin.source, client_address=origin.address, action=action, target=str(target)[:200],
            outcome=outcome, message=str(message)[:2000],
            operation=getattr(operation, "pk", operation))
    except DatabaseError:
        log.exception("could not record the audit event %s %s %s", action, target, outcome)
        return None


def prune_events(*, now=None):
    """Delete the events older than LWP_AUDIT_DAYS; returns how many went."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.LWP_AUDIT_DAYS)
    deleted, _ = Event.objects.filter(time__lt=cutoff).delete()  # a queryset delete: Event.delete() refuses
    return deleted


def record_denial(*, request, origin, message=""):
    """A change refused for want of permission (or of credentials)."""
    user = getattr(request, "user", None)
    return record_event(action="permission.denied", target=f"{request.method} {request.path}"[:200],
                        outcome=DENIED, user=user, origin=origin, message=message)
