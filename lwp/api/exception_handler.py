"""The API's one mapping from an exception to a response: every error in one JSON shape.

Every error leaves the API as {"status": "error", "error": ..., "code": ...}
(plus "fields" for validation errors and "output" for a failed template):
LWP's typed errors from lwp.exceptions (their code picks the status from
STATUS_BY_CODE), DRF's own exceptions, and (lwp/api/middleware.py) the HTML error
pages Django would otherwise send for /api/ paths.
"""

import logging
import math

from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.permissions import SAFE_METHODS
from rest_framework.response import Response
from rest_framework.views import set_rollback

from lwp.exceptions import LWPError, PermissionDenied
from operations import audit
from operations.origin import api_origin
from tokens.throttle import LockedOut

log = logging.getLogger("lwp.api")

# An LWP error's code -> the HTTP status the API answers it with (README "API" lists them).
STATUS_BY_CODE = {
    "invalid": status.HTTP_400_BAD_REQUEST,
    "invalid_name": status.HTTP_400_BAD_REQUEST,
    "invalid_archive": status.HTTP_400_BAD_REQUEST,
    "permission_denied": status.HTTP_403_FORBIDDEN,
    "not_found": status.HTTP_404_NOT_FOUND,
    "too_large": status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
    "exists": status.HTTP_409_CONFLICT,
    "invalid_state": status.HTTP_409_CONFLICT,
    "broken_config": status.HTTP_409_CONFLICT,
    "busy": status.HTTP_409_CONFLICT,
    "template_failed": status.HTTP_422_UNPROCESSABLE_ENTITY,
    "lxc_error": status.HTTP_500_INTERNAL_SERVER_ERROR,
    "lxc_unavailable": status.HTTP_503_SERVICE_UNAVAILABLE,
    "host_unreachable": status.HTTP_502_BAD_GATEWAY,
    "timeout": status.HTTP_504_GATEWAY_TIMEOUT,
    "cancelled": status.HTTP_409_CONFLICT,
    "finished": status.HTTP_409_CONFLICT,
    "interrupted": status.HTTP_503_SERVICE_UNAVAILABLE,
    "worker_unavailable": status.HTTP_503_SERVICE_UNAVAILABLE,
    "internal_error": status.HTTP_500_INTERNAL_SERVER_ERROR,
    "too_many_sessions": status.HTTP_429_TOO_MANY_REQUESTS,  # the console socket's (4429); no route raises it
}


def error_body(message, code, *, fields=None, output=""):
    body = {"status": "error", "error": message, "code": code}
    if fields:
        body["fields"] = fields
    if output:
        body["output"] = output
    return body


def lwp_error_response(exc, *, status_code=None):
    """An LWP error as the API answers it: with its code's status, or `status_code` where a route
    answers that code differently (an action on an unknown container is a 409, as the reference says)."""
    if status_code is None:
        status_code = STATUS_BY_CODE.get(exc.code, status.HTTP_400_BAD_REQUEST)
    if status_code >= 500:
        log.warning("%s: %s", type(exc).__name__, exc.message)
    set_rollback()
    return Response(error_body(exc.message, exc.code, fields=exc.fields, output=getattr(exc, "output", "")),
                    status=status_code)


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


def _record_refused_write(exc, request):
    """A write refused for want of permission or credentials is a security event."""
    if request is None or request.method in SAFE_METHODS:
        return
    if isinstance(exc, (PermissionDenied, exceptions.PermissionDenied, exceptions.NotAuthenticated)):
        message = exc.message if isinstance(exc, LWPError) else _join_messages(exc.detail)
        audit.record_denial(request=request, origin=api_origin(request), message=message)


def exception_handler(exc, context):
    """The API's one mapping from an exception to a response; None lets Django log a 500."""
    _record_refused_write(exc, context.get("request"))
    if isinstance(exc, LWPError):
        return lwp_error_response(exc)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound("not found")
    if isinstance(exc, exceptions.APIException):
        set_rollback()
        return _drf_response(exc)
    return None
