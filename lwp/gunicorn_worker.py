"""gunicorn's sync worker, except that the errors gunicorn answers itself are JSON.

gunicorn refuses some requests before the app sees them (a request line over 4094
bytes, a header over 8190, bytes that are not HTTP) and writes an HTML page. API
clients expect the one error shape everywhere, so those answers get it too; the
message never echoes the request (it may hold a token). It also lends each request its
heartbeat (lwp/keepalive.py), so a long archive transfer is not killed as a hung worker.
"""

import json

from gunicorn import util
from gunicorn.workers.sync import SyncWorker

from lwp import keepalive

_CODES = {400: "bad_request", 403: "permission_denied", 414: "uri_too_long", 417: "expectation_failed",
          431: "headers_too_large", 501: "not_implemented"}
_MESSAGES = {
    414: "the request line is too long: send the token in a header, not the query string",
    431: "a request header is too large",
}


def write_json_error(sock, status_int, reason, mesg):
    """Stands in for gunicorn.util.write_error: same status, the API's error body."""
    code = _CODES.get(status_int, "server_error" if status_int >= 500 else "bad_request")
    body = json.dumps({"status": "error", "error": _MESSAGES.get(status_int, reason), "code": code}).encode()
    head = (f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode("latin-1")
    util.write_nonblock(sock, head + body)


class JsonErrorSyncWorker(SyncWorker):
    def init_process(self):
        # Before the request loop starts (init_process ends in it): a long upload, download or
        # wait tells the arbiter it is alive (lwp/keepalive.py) instead of being killed at `timeout`.
        keepalive.install(self.notify)
        super().init_process()

    def handle_error(self, req, client, addr, exc):
        # A sync worker handles one request at a time: swapping the writer for this call is safe.
        original, util.write_error = util.write_error, write_json_error
        try:
            super().handle_error(req, client, addr, exc)
        finally:
            util.write_error = original
