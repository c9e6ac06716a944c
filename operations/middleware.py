"""Writes refused for want of permission, on the panel's pages and in the admin."""

from django.core.exceptions import PermissionDenied

from operations import audit
from operations.origin import origin_of

SAFE_METHODS = ("GET", "HEAD", "OPTIONS", "TRACE")


class RefusedWritesMiddleware:
    """A view that refuses a write raises PermissionDenied (the panel's views turn the services'
    refusal into it, the admin raises it itself): each such refusal is a permission.denied event.

    The API records its own in its exception handler (lwp/api/exception_handler.py): DRF
    answers its exceptions before they could reach a middleware.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, PermissionDenied) and request.method not in SAFE_METHODS:
            audit.record_denial(request=request, origin=origin_of(request),
                                message=str(exception) or "permission denied")
        return None  # Django still answers with its 403 page
