"""LWP's application errors: one home, a stable machine `code` each, no HTTP.

The services and the engines raise them; each surface maps them in one place: the
API's exception handler (lwp/api/exception_handler.py: code -> status), the HTML
views (messages and form errors) and the admin (message_user). Errors cross a process
boundary (liblxc calls run in a forked child), so each keeps every attribute in
`args` and pickles cleanly.
"""


class LWPError(Exception):
    code = "error"

    def __init__(self, message, fields=None):
        super().__init__(message, fields)
        self.message = message
        self.fields = fields or {}

    def __str__(self):
        return self.message


class ContainerNotFound(LWPError):
    code = "not_found"


class ContainerExists(LWPError):
    code = "exists"


class InvalidState(LWPError):
    code = "invalid_state"


class BrokenConfig(LWPError):
    """liblxc cannot load the container's config: it can be read, fixed by hand, or force-deleted."""

    code = "broken_config"


class ContainerBusy(LWPError):
    code = "busy"


class InvalidName(LWPError):
    code = "invalid_name"


class InvalidInput(LWPError):
    """Validation failure; `fields` maps each bad field to its message."""

    code = "invalid"


class PermissionDenied(LWPError):
    code = "permission_denied"


class LXCUnavailable(LWPError):
    code = "lxc_unavailable"


class HostUnreachable(LWPError):
    """Another host (an LXD or Incus server) did not answer in time, refused the connection, or
    showed a certificate other than the one pinned for it."""

    code = "host_unreachable"


class LXCError(LWPError):
    """liblxc refused or failed an operation; `output` holds a template's last lines."""

    code = "lxc_error"

    def __init__(self, message, fields=None, output=""):
        Exception.__init__(self, message, fields, output)
        self.message = message
        self.fields = fields or {}
        self.output = output


class TemplateFailed(LXCError):
    """The template (create) or the clone failed: the request's arguments did not work."""

    code = "template_failed"


class LXCTimeout(LXCError):
    code = "timeout"


class TokenExists(LWPError):
    code = "exists"


class TokenNotFound(LWPError):
    code = "not_found"


class Cancelled(LWPError):
    """The operation was cancelled while it ran (its half-made work is undone)."""

    code = "cancelled"


class Interrupted(LWPError):
    """The worker running the operation died (killed, crashed, restarted) before it finished."""

    code = "interrupted"


class WorkerUnavailable(LWPError):
    """No worker took the job in time: none is running, or all are busy."""

    code = "worker_unavailable"


class OperationNotFound(LWPError):
    code = "not_found"


class OperationFinished(LWPError):
    """A finished operation cannot be cancelled."""

    code = "finished"


class InternalError(LWPError):
    """A bug: the operation failed in a way nobody planned for (the worker's log has the traceback)."""

    code = "internal_error"


def error_for_code(code, message, fields=None, output=""):
    """Rebuild a typed error from what an operation stored (its code, message, fields, output)."""
    error_class = next((cls for cls in _all_errors() if cls.code == code), LWPError)
    if issubclass(error_class, LXCError):
        return error_class(message, fields, output)
    error = error_class(message, fields)
    error.code = code  # an unknown code keeps its name
    return error


def _all_errors():
    pending, seen = [LWPError], []
    while pending:
        cls = pending.pop(0)
        seen.append(cls)
        pending.extend(cls.__subclasses__())
    return seen


class SnapshotNotFound(LWPError):
    code = "not_found"


class InvalidArchive(LWPError):
    """A backup archive that is damaged, hostile, too large or not one LWP made."""

    code = "invalid_archive"


class BackupNotFound(LWPError):
    code = "not_found"


class TooLarge(LWPError):
    """A request body (an uploaded archive) over its size limit."""

    code = "too_large"


class TooManySessions(LWPError):
    """The user already holds LWP_CONSOLE_SESSIONS console sessions open."""

    code = "too_many_sessions"
