"""gunicorn's worker for lwp/asgi.py: uvicorn's, with the guarantees of the sync worker it replaced.

- A request uvicorn cannot parse gets the API's error shape (400), never echoing the request
  (it may hold a token); lwp/asgi.py does the same for 414, 431, 500 and 503.
- uvicorn's access line is off (it would log the query string): lwp/asgi.py writes today's
  line on gunicorn's access log; uvicorn's error lines go through lwp/log_redaction.py.
- No lifespan scope (the app has none to run). The heartbeat to gunicorn's arbiter comes from
  the event loop, so a long request (an archive, a wait for a job) never needs to send one.
"""

import json
import logging

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn_worker import UvicornWorker

from lwp.log_redaction import RedactTokens

_CODES = {400: "bad_request", 414: "uri_too_long", 431: "headers_too_large", 503: "server_busy"}
_MESSAGES = {
    414: "the request line is too long: send the token in a header, not the query string",
    431: "a request header is too large",
    503: "this server worker is serving as many requests as it may (LWP_WORKER_THREADS): try again",
}


def json_error_body(status_int, reason):
    """The API's error body for an answer the server gives itself (never echoes the request)."""
    code = _CODES.get(status_int, "server_error" if status_int >= 500 else "bad_request")
    return json.dumps({"status": "error", "error": _MESSAGES.get(status_int, reason), "code": code}).encode()


class JsonErrorHttpToolsProtocol(HttpToolsProtocol):
    def send_400_response(self, msg):
        body = json_error_body(400, "Bad Request")
        self.transport.write(b"HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: "
                             + str(len(body)).encode() + b"\r\nconnection: close\r\n\r\n" + body)
        self.transport.close()


class JsonErrorUvicornWorker(UvicornWorker):
    CONFIG_KWARGS = {"loop": "auto", "http": JsonErrorHttpToolsProtocol, "ws": "websockets-sansio",
                     "lifespan": "off", "access_log": False}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)  # hands uvicorn's loggers gunicorn's handlers
        logging.getLogger("uvicorn.error").addFilter(RedactTokens())
