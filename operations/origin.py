"""Where a request came from: the surface, the client's address, and the token it used."""

from dataclasses import dataclass

from lwp.api.routing import API_PREFIX
from operations.models import Source
from tokens.throttle import client_address

ADMIN_PREFIX = "/admin/"  # where lwp/urls.py mounts the admin site


@dataclass(frozen=True)
class Origin:
    source: str = Source.CLI
    address: str = ""
    token: str = ""  # the token's description: never its secret

    @classmethod
    def of_request(cls, request, source):
        # DRF copies the authenticated token onto the Django request; asking DRF's own
        # request.auth would authenticate (again) from inside authentication itself.
        token = getattr(getattr(request, "_request", request), "auth", None)
        return cls(source=source, address=client_address(request)[:45],
                   token=str(token)[:100] if token is not None else "")

    @classmethod
    def of_scope(cls, scope, source, token=""):
        """A WebSocket handshake's origin (lwp/ws.py); `token`: the description of the API token
        that asked for its ticket."""
        from lwp.ws import client_of  # noqa: PLC0415 - channels is only needed by sockets

        return cls(source=source, address=client_address(client_of(scope))[:45], token=str(token)[:100])


CLI = Origin(source=Source.CLI)
WORKER = Origin(source=Source.WORKER)


def api_origin(request):
    return Origin.of_request(request, Source.API)


def panel_origin(request):
    return Origin.of_request(request, Source.PANEL)


def admin_origin(request):
    return Origin.of_request(request, Source.ADMIN)


def origin_of(request):
    """The origin of a request that may come from any surface (sign-in, password change, refusals);
    no request at all (a command, the shell) is the command line."""
    if request is None:
        return CLI
    path = getattr(request, "path_info", "") or ""
    if path.startswith(API_PREFIX):
        return api_origin(request)
    return admin_origin(request) if path.startswith(ADMIN_PREFIX) else panel_origin(request)
