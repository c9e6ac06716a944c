"""The panel's WebSockets: the same-origin check and the routes (served by lwp/asgi.py).

A browser sends cookies with a WebSocket handshake from any site, and CSRF protection does not
cover it: the Origin header is the check. Same origin means the page's scheme, host and port are
the socket's own, and the host is one the settings allow.
"""

from urllib.parse import urlsplit

from channels.auth import AuthMiddlewareStack
from channels.routing import URLRouter
from django.conf import settings
from django.http.request import split_domain_port, validate_host

CLOSE_FORBIDDEN = 4403  # closed before accept: the client sees the handshake refused (HTTP 403)


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


class SameOriginOnly:
    """Refuses a handshake whose Origin is not the socket's own (before anything else runs)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if not same_origin(scope):
            await receive()  # websocket.connect
            return await send({"type": "websocket.close", "code": CLOSE_FORBIDDEN})
        return await self.app(scope, receive, send)


def websocket_routes():
    """Every WebSocket route of the panel (imported late: consumers import models)."""
    return []


def websocket_application():
    """What lwp/asgi.py serves for `websocket` scopes."""
    return SameOriginOnly(AuthMiddlewareStack(URLRouter(websocket_routes())))
