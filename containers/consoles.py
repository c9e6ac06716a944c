"""Who may open a container's console, and the sessions open: tickets, the per-user limit, audit.

The WebSocket consumer (containers/consumers.py) and the ticket route (containers/api/views.py)
both come here; the terminal itself is containers/console.py's ConsoleSession.

- Tickets: an API client asks for one (issue_ticket) and opens the socket with it, without a
  cookie. Valid TICKET_LIFE, for one connection, bound to its user, container and mode. Only a
  SHA-256 digest of the secret is stored (a 256-bit random secret needs no pepper or slow hash);
  redeem_ticket consumes it with a conditional DELETE whose row count says which connection won.
- Open sessions: a ConsoleRecord per session, so the limit (LWP_CONSOLE_SESSIONS per user) holds
  across every server process. A record counts while its server beats (HEARTBEAT) and for STALE
  after: a server process killed without closing its sessions (its ptys died with it, and so
  did the sessions) stops counting after STALE, on any host; a pid check would need the same
  host and could be fooled by a reused pid.
"""

import hashlib
import os
import secrets
import socket
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from containers import services
from containers.models import ConsoleRecord, ConsoleTicket
from lwp.exceptions import ContainerBusy, LWPError, TooManySessions
from operations import audit

CONSOLE = "containers.console_container"
TICKET_LIFE = timedelta(seconds=30)
HEARTBEAT = timedelta(seconds=30)  # how often a server process marks its sessions as still open
STALE = timedelta(seconds=90)  # a record not seen for this long belongs to a dead server process
KEPT = timedelta(days=1)  # ended records are deleted after this (the audit log keeps the history)


def console_command(*, name, mode, user):
    """The argv of `mode`'s console into `name` for `user`: refused without the permission, for
    an unknown container (ContainerNotFound), one not running (InvalidState), a bad mode (InvalidInput)."""
    services.require_permission(user, CONSOLE)
    return services.get_engine().console_command(name, mode)


def container_running(name):
    """Whether `name` still runs (its sessions end when it does not, or is gone)."""
    try:
        return services.get_engine().state(name) == "RUNNING"
    except LWPError:
        return False


# ----- tickets ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class IssuedTicket:
    secret: str  # shown once, in the answer
    name: str
    mode: str
    expires: object


def _digest(secret):
    return hashlib.sha256(secret.encode()).hexdigest()


def issue_ticket(*, name, mode, user, origin):
    """A ticket to `mode`'s console of `name`, after every check the socket itself makes."""
    console_command(name=name, mode=mode, user=user)
    now = timezone.now()
    ConsoleTicket.objects.filter(expires__lte=now).delete()  # the expired ones, of everyone
    secret = secrets.token_urlsafe(32)
    ticket = ConsoleTicket.objects.create(digest=_digest(secret), user=user, container=name, mode=mode,
                                          token=origin.token, expires=now + TICKET_LIFE)
    audit.record_event(action="container.console_ticket", target=name, user=user, origin=origin,
                       message=f"{mode} console ticket, valid {TICKET_LIFE.seconds} s")
    return IssuedTicket(secret=secret, name=name, mode=mode, expires=ticket.expires)


def redeem_ticket(secret):
    """The ticket `secret` opens, consumed by this call; None when unknown, used or expired."""
    if not isinstance(secret, str) or not 20 <= len(secret) <= 100:
        return None
    ticket = ConsoleTicket.objects.select_related("user").filter(digest=_digest(secret)).first()
    if ticket is None:
        return None
    # One DELETE: of two connections racing for the same ticket, only one deletes its row.
    won, _ = ConsoleTicket.objects.filter(pk=ticket.pk, expires__gt=timezone.now()).delete()
    return ticket if won else None


# ----- open sessions ---------------------------------------------------------------------------


def server_name():
    return f"{socket.gethostname()}:{os.getpid()}"[:300]


def _open_records(now):
    return ConsoleRecord.objects.filter(ended__isnull=True, seen__gt=now - STALE)


def open_record(*, user, name, mode, origin):
    """Record a session about to start: ContainerBusy when the container's tty is already held
    through the panel (liblxc admits one client), TooManySessions past the user's limit."""
    now = timezone.now()
    ConsoleRecord.objects.filter(seen__lt=now - KEPT).delete()
    if mode == "tty" and _open_records(now).filter(container=name, mode="tty").exists():
        raise ContainerBusy(f"the console (tty) of {name!r} is in use by another session; "
                            "open a shell instead, or try again when it ends")
    with transaction.atomic():
        record = ConsoleRecord.objects.create(user=user, container=name, mode=mode, client_address=origin.address,
                                              server=server_name(), started=now, seen=now)
    # Counted after our own row is committed: two sessions opening at once may both be refused,
    # never both admitted past the limit.
    if _open_records(now).filter(user=user).count() > settings.LWP_CONSOLE_SESSIONS:
        record.delete()
        raise TooManySessions(f"you already have {settings.LWP_CONSOLE_SESSIONS} console sessions open; "
                              "close one first")
    return record


def beat(record):
    ConsoleRecord.objects.filter(pk=record.pk, ended__isnull=True).update(seen=timezone.now())


def end_record(record, reason):
    ConsoleRecord.objects.filter(pk=record.pk).update(ended=timezone.now(), reason=reason[:32])


# ----- audit -----------------------------------------------------------------------------------


def duration_text(seconds):
    """3 min 12 s, 1 h 2 min 5 s, 4 s."""
    seconds = int(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    parts = [f"{hours} h"] if hours else []
    if hours or minutes:
        parts.append(f"{minutes} min")
    parts.append(f"{seconds} s")
    return " ".join(parts)


def record_opened(*, user, name, mode, origin):
    audit.record_event(action="container.console_open", target=name, user=user, origin=origin,
                       message=f"{mode} session opened")


def record_ended(*, user, name, mode, origin, seconds, reason):
    audit.record_event(action="container.console_end", target=name, user=user, origin=origin,
                       message=f"{mode} session, {duration_text(seconds)}, ended: {reason}")
