"""Under /api/, an error page Django would render as HTML is answered in the API's JSON shape."""

from http import HTTPStatus

from django.http import JsonResponse

from lwp.api.exception_handler import error_body
from lwp.api.routing import API_PREFIX

_CODES_BY_STATUS = {400: "bad_request", 401: "unauthorized", 403: "permission_denied", 404: "not_found",
                    405: "method_not_allowed"}


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
