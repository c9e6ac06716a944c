"""Typed errors of the LXC layer and the services; each surface maps them in one place.

Every error carries a stable machine `code` and an HTTP-ish `status` so the API
exception handler, the HTML views and the admin can all report it the same way.
Errors cross a process boundary (backend calls run in a forked child), so they
keep every attribute in `args` and pickle cleanly.
"""


class LWPError(Exception):
    code = "error"
    status = 400

    def __init__(self, message, fields=None):
        super().__init__(message, fields)
        self.message = message
        self.fields = fields or {}

    def __str__(self):
        return self.message


class ContainerNotFound(LWPError):
    code = "not_found"
    status = 404


class ContainerExists(LWPError):
    code = "exists"
    status = 409


class InvalidState(LWPError):
    code = "invalid_state"
    status = 409


class BrokenConfig(LWPError):
    """liblxc cannot load the container's config: it can be read, fixed by hand, or force-deleted."""

    code = "broken_config"
    status = 409


class ContainerBusy(LWPError):
    code = "busy"
    status = 409


class InvalidName(LWPError):
    code = "invalid_name"
    status = 400


class InvalidInput(LWPError):
    """Validation failure; `fields` maps each bad field to its message."""

    code = "invalid"
    status = 400


class PermissionDenied(LWPError):
    code = "permission_denied"
    status = 403


class LXCUnavailable(LWPError):
    code = "lxc_unavailable"
    status = 503


class LXCError(LWPError):
    """liblxc refused or failed an operation; `output` holds a template's last lines."""

    code = "lxc_error"
    status = 500

    def __init__(self, message, fields=None, output=""):
        Exception.__init__(self, message, fields, output)
        self.message = message
        self.fields = fields or {}
        self.output = output


class TemplateFailed(LXCError):
    """The template (create) or the clone failed: the request's arguments did not work."""

    code = "template_failed"
    status = 422


class LXCTimeout(LXCError):
    code = "timeout"
    status = 504
