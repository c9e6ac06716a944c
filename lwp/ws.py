"""The panel's WebSockets: the same-origin check and the routes (served by lwp/asgi.py).

A browser sends cookies with a WebSocket handshake from any site, and CSRF protection does not
cover it: the Origin header is the check. Same origin means the page's scheme, host and port are
the socket's own, and the host is one the settings allow. Every browser sends an Origin; a
script (websocat, python's websockets) sends none and carries a one-time ticket instead, which
the route checks (containers/consumers.py): a handshake with neither is refused here.
"""

from types import SimpleNamespace
from urllib.parse import parse_qs, quote, urlsplit

from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from django.conf import settings
from django.http.request import split_domain_port, validate_host

CLOSE_FORBIDDEN = 4403  # closed before accept: the client sees the handshake refused (HTTP 403)
CLOSE_NOT_FOUND = 4404  # no route: refused before accept as well (HTTP 403 to the client)


def header(scope, name):
    """One request header of a socket's scope, as text, or None."""
    for key, value in scope["headers"]:
        if key == name:
            return value.decode("latin-1")
    return None


def same_origin(scope):
    origin, host = header(scope, b"origin"), header(scope, b"host")
    if not origin or not host:
        return False
    parts = urlsplit(origin)
    page_scheme = "https" if scope.get("scheme") == "wss" else "http"
    domain, _ = split_domain_port(host)
    return (parts.scheme == page_scheme and parts.netloc.lower() == host.lower()
            and validate_host(domain, settings.ALLOWED_HOSTS))


def query(scope):
    """The handshake's query string as {name: its first value}."""
    parsed = parse_qs(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
    return {name: values[0] for name, values in parsed.items()}


def origin_refusal(scope):
    """Why the handshake's Origin refuses it, or None: a foreign Origin always; no Origin unless
    a ticket is offered (the route checks the ticket itself)."""
    if header(scope, b"origin") is None:
        return None if query(scope).get("ticket") else "no Origin header and no ticket"
    return None if same_origin(scope) else "the Origin is not this site"


def client_of(scope):
    """The request-like object tokens.throttle.client_address reads: the peer's address, and
    X-Forwarded-For (used only when the peer is a trusted proxy)."""
    peer = (scope.get("client") or ("", 0))[0] or ""
    return SimpleNamespace(META={"REMOTE_ADDR": peer, "HTTP_X_FORWARDED_FOR": header(scope, b"x-forwarded-for") or ""})


def record_refusal(scope, message, *, user=None, token=""):
    """A refused handshake is a permission.denied event, as an HTTP request refused."""
    from operations import audit  # noqa: PLC0415 - models: this module is imported before they load
    from operations.models import Source  # noqa: PLC0415
    from operations.origin import Origin  # noqa: PLC0415

    source = Source.API if query(scope).get("ticket") else Source.PANEL
    audit.record_event(action="permission.denied", target=f"WEBSOCKET {scope['path']}"[:200],
                       outcome=audit.DENIED, user=user, origin=Origin.of_scope(scope, source, token=token),
                       message=message)


async def refuse(scope, send, message, **who):
    """Close the handshake before accept (the client sees HTTP 403), recorded."""
    await database_sync_to_async(record_refusal)(scope, message, **who)
    await send({"type": "websocket.close", "code": CLOSE_FORBIDDEN})


class SameOriginOnly:
    """Refuses a handshake whose Origin is foreign, or missing without a ticket (before anything else runs)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        refusal = origin_refusal(scope)
        if refusal:
            await receive()  # websocket.connect
            return await refuse(scope, send, refusal)
        return await self.app(scope, receive, send)


async def no_such_route(scope, receive, send):
    """Any other path: refused cleanly (channels' URLRouter would raise, a server error)."""
    await receive()  # websocket.connect
    await send({"type": "websocket.close", "code": CLOSE_NOT_FOUND})


def socket_origin(request):
    """ws://<host> or wss://<host>: where a request's page opens its sockets (get_host() is one of
    ALLOWED_HOSTS), wss when it came over HTTPS."""
    return f"{'wss' if request.is_secure() else 'ws'}://{request.get_host()}"


def console_path(name):
    """The path of container `name`'s console socket (routed below)."""
    return f"/ws/containers/{quote(name, safe='')}/console"


def websocket_routes():
    """Every WebSocket route of the panel (imported late: consumers import models)."""
    from django.urls import path, re_path  # noqa: PLC0415

    from containers.consumers import ConsoleConsumer  # noqa: PLC0415

    return [path("ws/containers/<str:name>/console", ConsoleConsumer.as_asgi()),
            re_path(r"", no_such_route)]


def websocket_application():
    """What lwp/asgi.py serves for `websocket` scopes."""
    return SameOriginOnly(AuthMiddlewareStack(URLRouter(websocket_routes())))
