"""How a route that starts a long operation answers: at once (202) when asked, else when done."""

from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from lwp.flags import parse_flag
from operations.api.serializers import OperationSerializer, operation_path

RESPOND_ASYNC = "respond-async"


def wants_async(request):
    """RFC 7240's `Prefer: respond-async`, or ?async=1 for clients that cannot set a header."""
    preferences = request.META.get("HTTP_PREFER", "")
    if any(part.split("=")[0].strip().lower() == RESPOND_ASYNC
           for header in preferences.split(",") for part in header.split(";")[:1]):
        return True
    try:
        return parse_flag(request.query_params.get("async", ""))
    except ValueError:
        raise ValidationError({"async": "must be 1/0, true/false, yes/no or on/off"}) from None


def accepted(operation):
    """202 with the operation, and where to follow it."""
    return Response(OperationSerializer(operation).data, status=status.HTTP_202_ACCEPTED,
                    headers={"Location": operation_path(operation), "Preference-Applied": RESPOND_ASYNC})
