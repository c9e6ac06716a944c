"""What every API v1 route shares: body parsing, the one exception handler, JSON errors.

Every error leaves the API as {"status": "error", "error": ..., "code": ...}
(plus "fields" for validation errors and "output" for a failed template):
LWP's typed errors from containers.exceptions, DRF's own exceptions, and the
HTML error pages Django would otherwise send for /api/ paths.
"""

import json
import logging
import math
from http import HTTPStatus

from django.core.exceptions import TooManyFieldsSent
from django.http import Http404, JsonResponse, QueryDict
from django.urls import path
from rest_framework import exceptions, serializers, status
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import BaseParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import set_rollback

from containers.exceptions import LWPError
from tokens.permissions import TokenPermissions
from tokens.throttle import LockedOut

log = logging.getLogger("lwp.api")

API_PREFIX = "/api/"
# Nothing the API accepts comes near this; a larger body is refused before it is parsed.
MAX_BODY_BYTES = 64 * 1024


def error_body(message, code, *, fields=None, output=""):
    body = {"status": "error", "error": message, "code": code}
    if fields:
        body["fields"] = fields
    if output:
        body["output"] = output
    return body


# ----- parsing -----------------------------------------------------------------------------


def _reject_constant(name):
    raise ValueError(f"{name} is not valid JSON")


def parse_json_object(raw):
    """A JSON object from request bytes, or ParseError saying why not."""
    try:
        text = raw.decode("utf-8")
        data = json.loads(text, parse_constant=_reject_constant)
    except UnicodeDecodeError:
        raise exceptions.ParseError("the request body is not valid UTF-8") from None
    except RecursionError:
        raise exceptions.ParseError("the request body is nested too deeply") from None
    except ValueError as exc:
        raise exceptions.ParseError(f"the request body is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise exceptions.ParseError("the request body must be a JSON object")
    return data


def _looks_like_json(raw):
    return raw.lstrip()[:1] in (b"{", b"[", b'"')


class JsonOrFormParser(BaseParser):
    """A body is JSON whatever its Content-Type: `curl -d '{...}'` labels JSON as a form.

    A body that does not look like JSON and is labelled as a form (`-d action=start`)
    is read as the form it is.
    """

    media_type = "*/*"

    def parse(self, stream, media_type=None, parser_context=None):
        raw = stream.read(MAX_BODY_BYTES + 1) if stream is not None else b""
        if len(raw) > MAX_BODY_BYTES:
            raise exceptions.ParseError(f"the request body is larger than {MAX_BODY_BYTES} bytes")
        if not raw.strip():
            return {}
        is_form = (media_type or "").split(";")[0].strip().lower() == "application/x-www-form-urlencoded"
        if is_form and not _looks_like_json(raw):
            try:
                return QueryDict(raw.decode("utf-8"))
            except UnicodeDecodeError:
                raise exceptions.ParseError("the request body is not valid UTF-8") from None
            except TooManyFieldsSent:
                raise exceptions.ParseError("the request body has too many form fields") from None
        return parse_json_object(raw)


class AlwaysJson(BaseContentNegotiation):
    """The API answers JSON whatever the Accept header asks for (never a 406)."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class RefuseUnknownFields:
    """Serializer mixin: a body field the route does not know is a 400, never silently dropped.

    A typo must not hand the client something else than it asked for: {"readonly": true}
    would otherwise mint a token that can write.
    """

    def to_internal_value(self, data):
        if hasattr(data, "keys"):
            unknown = sorted(str(key)[:40] for key in set(data.keys()) - set(self.fields))
            if unknown:
                known = ", ".join(self.fields)
                raise serializers.ValidationError({key: f"unknown field; this route takes {known}"
                                                   for key in unknown[:10]})
        return super().to_internal_value(data)


class TextField(serializers.CharField):
    """A CharField that refuses a JSON number or boolean instead of turning it into text.

    {"name": 5} must not create a container "5", nor {"token": 1234...} a token of digits.
    """

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


# ----- errors ------------------------------------------------------------------------------


def _field_messages(detail):
    """DRF's nested ErrorDetail lists as {field: "message; message"}."""
    if isinstance(detail, dict):
        return {str(key): _join_messages(value) for key, value in detail.items()}
    return {"non_field_errors": _join_messages(detail)}


def _join_messages(value):
    if isinstance(value, dict):
        return "; ".join(f"{key}: {_join_messages(inner)}" for key, inner in value.items())
    if isinstance(value, (list, tuple)):
        return "; ".join(_join_messages(inner) for inner in value)
    return str(value)


def _validation_message(fields):
    return "invalid input: " + "; ".join(
        message if name == "non_field_errors" else f"{name}: {message}" for name, message in fields.items())


_DRF_CODES = {
    LockedOut: "locked_out",  # before Throttled, its parent
    exceptions.NotAuthenticated: "unauthorized",
    exceptions.AuthenticationFailed: "unauthorized",
    exceptions.PermissionDenied: "permission_denied",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.ParseError: "parse_error",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.Throttled: "throttled",
}


def _drf_response(exc):
    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if isinstance(exc, exceptions.Throttled) and exc.wait:
        headers["Retry-After"] = str(math.ceil(exc.wait))
    if isinstance(exc, exceptions.ValidationError):
        fields = _field_messages(exc.detail)
        return Response(error_body(_validation_message(fields), "invalid", fields=fields),
                        status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, (exceptions.NotAuthenticated, exceptions.AuthenticationFailed)):
        message = "Unauthorized"  # LWP's own word; the reason stays with the server
    else:
        message = _join_messages(exc.detail)
    code = next((code for kind, code in _DRF_CODES.items() if isinstance(exc, kind)), "error")
    return Response(error_body(message, code), status=exc.status_code, headers=headers)


def exception_handler(exc, context):
    """The API's one mapping from an exception to a response; None lets Django log a 500."""
    if isinstance(exc, LWPError):
        if exc.status >= 500:
            log.warning("%s: %s", type(exc).__name__, exc.message)
        set_rollback()
        return Response(error_body(exc.message, exc.code, fields=exc.fields,
                                   output=getattr(exc, "output", "")), status=exc.status)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound("not found")
    if isinstance(exc, exceptions.APIException):
        set_rollback()
        return _drf_response(exc)
    return None


def with_status(exc, status_code):
    """The same typed error answered with another status (the reference wants 409 here)."""
    exc.status = status_code
    return exc


class ApiJsonErrorsMiddleware:
    """Under /api/, an error Django renders as HTML (no route, bad host, crash) becomes JSON.

    The panel's own pages keep their HTML error pages.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (request.path_info.startswith(API_PREFIX) and response.status_code >= 400
                and not response.get("Content-Type", "").startswith("application/json")):
            return _json_error_for(response)
        return response


_CODES_BY_STATUS = {400: "bad_request", 401: "unauthorized", 403: "permission_denied", 404: "not_found",
                    405: "method_not_allowed"}


def _json_error_for(response):
    status_code = response.status_code
    if status_code == 404:
        message = "no such API route"
    else:
        try:
            message = HTTPStatus(status_code).phrase
        except ValueError:
            message = "Error"
    code = _CODES_BY_STATUS.get(status_code, "server_error" if status_code >= 500 else "error")
    replacement = JsonResponse(error_body(message, code), status=status_code)
    for header in ("WWW-Authenticate", "Allow"):
        if response.has_header(header):
            replacement[header] = response[header]
    return replacement


# ----- routes ------------------------------------------------------------------------------


class RouteVariant:
    # Marks the twin route (the other trailing-slash form) so the schema lists each route once.

    alternate_route = False


def both_slashes(route, view_class, name, actions=None, **initkwargs):
    """`route` as documented plus its twin with the trailing slash toggled; never a redirect."""
    twin = route[:-1] if route.endswith("/") else route + "/"

    def view(alternate):
        kwargs = dict(initkwargs, alternate_route=alternate)
        return view_class.as_view(actions, **kwargs) if actions else view_class.as_view(**kwargs)

    return [path(route, view(False), name=name), path(twin, view(True), name=f"{name}-twin")]


def drop_twin_routes(endpoints, **kwargs):
    """drf-spectacular preprocessing hook: describe each route in its documented form only."""
    return [endpoint for endpoint in endpoints
            if not getattr(endpoint[3], "initkwargs", {}).get("alternate_route")]


class ApiViewMixin(RouteVariant):
    # Shared by every API v1 view: JSON bodies whatever their label, JSON answers, token rules.
    # (A comment, not a docstring: the schema would show a docstring as every view's description.)

    parser_classes = [JsonOrFormParser]
    content_negotiation_class = AlwaysJson
    permission_classes = [IsAuthenticated, TokenPermissions]
