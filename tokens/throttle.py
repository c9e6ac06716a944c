"""Brute-force throttle for sign-ins and API tokens, on django-axes.

Axes counts failed sign-ins (panel and admin: Django's authenticate) by itself. This module
feeds it what Django never sees as a sign-in: an unknown, revoked or expired API token, and
a token creation that hit an existing token (409: it confirmed a guess). It also tells axes
who the client is (REMOTE_ADDR; X-Forwarded-For only from a trusted proxy).

Limits: settings.AXES_FAILURE_LIMIT failures per client address, and per account for
sign-ins; a lock-out ends settings.AXES_COOLOFF_TIME after the failure that reached the limit.
The answer to a lock-out is tokens.views.locked_out.
"""

import ipaddress

from axes.handlers.database import AxesDatabaseHandler
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_client_username, get_cool_off
from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.http import QueryDict
from rest_framework.exceptions import Throttled

from lwp.log_redaction import safe_path


class LockedOut(Throttled):
    """The API's 429 locked_out (lwp/api/exception_handler.py maps it). Here, not there: DRF
    imports this module's caller (tokens.authentication) while the handler is still importing DRF."""

    default_code = "locked_out"


# ----- who is the client --------------------------------------------------------------------


def _is_trusted_proxy(address):
    trusted = settings.LWP_TRUSTED_PROXIES
    if trusted == "*":
        return True
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in trusted)


def _forwarded_client(header):
    """The right-most X-Forwarded-For address that is not a trusted proxy (left of it: spoofable)."""
    hops = [hop.strip() for hop in header.split(",") if hop.strip()]
    for hop in reversed(hops):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            return None
        if not _is_trusted_proxy(hop):
            return hop
    return hops[0] if hops else None


def client_address(request):
    """AXES_CLIENT_IP_CALLABLE: the peer's address; a forwarded one only when the peer is a trusted proxy."""
    peer = request.META.get("REMOTE_ADDR", "")
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if forwarded and _is_trusted_proxy(peer):
        return _forwarded_client(forwarded) or peer
    return peer


def lockout_parameters(request, credentials):
    """AXES_LOCKOUT_PARAMETERS: per address always, per account when there is one.

    A failed token names no account: counting it under "no username" would let one client's
    bad tokens lock every other client out.
    """
    username = get_client_username(request, credentials) if credentials else None
    return ["ip_address", "username"] if username else ["ip_address"]


# ----- recording and checking ---------------------------------------------------------------


class AttemptsWithoutData(AxesDatabaseHandler):
    """AXES_HANDLER: axes' database handler, keeping no query string or form data of a failure.

    Axes masks a few parameter names; a token may ride under any spelling of them
    (?private%255Ftoken=...), so the record keeps who, where from, when and which path only.
    """

    def user_login_failed(self, sender, credentials, request=None, **kwargs):
        if request is None:
            return super().user_login_failed(sender, credentials, request, **kwargs)
        kept = request.GET, request.POST
        request.GET, request.POST = QueryDict(), QueryDict()
        try:
            return super().user_login_failed(sender, credentials, request, **kwargs)
        finally:  # the sign-in page still needs its own `next`
            request.GET, request.POST = kept


def _prepared(request):
    """The Django request axes works on, its path cleaned: a revocation's path holds a token,
    and axes stores and logs the path of every failure."""
    request = getattr(request, "_request", request)  # a DRF Request wraps Django's
    AxesProxyHandler.update_request(request)
    request.axes_path_info = safe_path(request.axes_path_info)
    return request


# The sender of the failures counted here: the audit log tells them from failed sign-ins.
FAILURE_SENDER = __name__


def record_failure(request, *, username=None):
    """One failed attempt from this client (and this account, if named)."""
    user_login_failed.send(sender=FAILURE_SENDER, credentials={"username": username}, request=_prepared(request))


def is_locked_out(request, *, username=None):
    return not AxesProxyHandler.is_allowed(_prepared(request), {"username": username})


def cool_off_seconds(request=None):
    return int(get_cool_off(request).total_seconds())


def locked_out_message(request=None):
    minutes = max(1, round(cool_off_seconds(request) / 60))
    return (f"too many failed sign-ins or token attempts; this address or account is locked for "
            f"up to {minutes} minute{'s' if minutes != 1 else ''}")


def refuse_if_locked_out(request, *, username=None):
    """Raise the API's 429 locked_out when this client (or account) is locked out."""
    if is_locked_out(request, username=username):
        raise LockedOut(detail=locked_out_message(request), wait=cool_off_seconds(request))
