"""OpenAPI pieces shared by every API v1 view: the error shape and the token schemes."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    status = serializers.CharField(default="error")
    error = serializers.CharField(help_text="what went wrong, for a person")
    code = serializers.CharField(help_text="stable machine code, e.g. not_found, invalid_state, busy")
    fields = serializers.DictField(child=serializers.CharField(), required=False,
                                   help_text="validation errors: field name -> message")
    output = serializers.CharField(required=False, help_text="a failed template's last output lines")


ERRORS = {
    400: "invalid input: a malformed request or body, a missing or bad field (named in `fields`)",
    401: "no token, or an unknown, revoked or expired one",
    403: "a read-only token writing, or the user lacks the permission",
    404: "no such container, token, operation or backup, or a page past the last",
    409: "a state conflict: already exists, wrong state for the action, busy, an operation that "
         "already finished, or one cancelled while it ran",
    413: "too_large: an uploaded archive over LWP_UPLOAD_MAX_BYTES (nothing of it is kept)",
    422: "the template or clone failed (see `output`)",
    429: "locked_out: too many failed sign-ins or token attempts from this address (or for this "
         "account); refused until the cool-off has passed (see Retry-After), even with a good token",
    503: "worker_unavailable: no worker took the job in time (is the LWP worker running?); or "
         "interrupted: the worker died while running it (its work was undone)",
    504: "the template or clone ran past its deadline and was undone",
}


def errors(*statuses):
    """Error responses for extend_schema(responses=...), all in the one error shape.

    400 is always among them: any route answers it to a request that is not well-formed
    HTTP (a bad header, a bad Host), which gunicorn or Django refuse before the view runs.
    So is 429: a token from a locked-out address is refused on every route.
    """
    return {code: OpenApiResponse(ErrorSerializer, description=ERRORS[code])
            for code in sorted({400, 429, *statuses})}


class TokenAuthenticationScheme(OpenApiAuthenticationExtension):
    """The three ways tokens.authentication.TokenAuthentication reads a token."""

    target_class = "tokens.authentication.TokenAuthentication"
    name = ["privateTokenHeader", "privateTokenQuery", "bearerToken"]

    def get_security_requirement(self, auto_schema):
        return [{name: []} for name in self.name]  # any one of them, not all at once

    def get_security_definition(self, auto_schema):
        return [
            {"type": "apiKey", "in": "header", "name": "private-token"},
            {"type": "apiKey", "in": "query", "name": "private_token"},
            {"type": "http", "scheme": "bearer"},
        ]
