"""The panel as an ASGI application: HTTP to Django's views, WebSockets to lwp/ws.py.

Served by gunicorn with uvicorn workers (lwp/gunicorn_conf.py, lwp/gunicorn_worker.py).
HTTP goes to Django's WSGI handler, as under gunicorn's sync workers before: the same sync
middleware and views, each request on a thread of its own (`ViewThreads`), the body read as
it arrives (lwp/asgi_wsgi.py). Around it, what gunicorn's sync worker did for us: the limits
on the request line and headers, JSON for the errors the server answers itself, the access line.
"""

import logging
import os
import time
from concurrent.futures import ThreadPoolExecutor

from lwp.datadir import use_private_umask

use_private_umask()  # files the app creates (database, sessions) are root's alone, whatever the server
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lwp.settings")

from django.core.wsgi import get_wsgi_application  # noqa: E402 - after the settings module is named

django_application = get_wsgi_application()  # sets Django up before the imports below use models

from asgiref.sync import ThreadSensitiveContext  # noqa: E402
from channels.routing import ProtocolTypeRouter  # noqa: E402
from django.conf import settings  # noqa: E402

from lwp.asgi_wsgi import StreamingWsgiToAsgi  # noqa: E402
from lwp.gunicorn_worker import json_error_body  # noqa: E402
from lwp.log_redaction import redact, safe_path  # noqa: E402
from lwp.ws import header, websocket_application  # noqa: E402

LIMIT_REQUEST_LINE = 4094  # gunicorn's defaults, which its sync workers enforced
LIMIT_REQUEST_FIELD = 8190
access_logger = logging.getLogger("gunicorn.access")  # gunicorn's access log (stdout), set up by its Logger


async def send_json_error(send, status, reason, headers=()):
    """An answer the server gives itself, in the API's error shape; the connection then closes."""
    body = json_error_body(status, reason)
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close"), *headers]})
    await send({"type": "http.response.body", "body": body})


class ViewThreads:
    """Each request's sync code on a thread of its own, from a pool of long-lived threads.

    A thread per request, so that a long request (a wait for a job, an archive) delays no
    other on this worker; long-lived, so that their database connections persist (Django's
    are per thread: CONN_MAX_AGE) and liblxc's forks come from threads that outlive the call
    (PR_SET_PDEATHSIG follows the forking thread). At most `limit` at once: beyond, a 503 at
    once, which a client retries, rather than a queue behind requests that may last hours.
    Runs in the event loop only: no lock needed.
    """

    def __init__(self, app, limit):
        self.app, self.limit = app, limit
        self.idle, self.busy = [], 0

    async def __call__(self, scope, receive, send):
        if self.busy >= self.limit:
            return await send_json_error(send, 503, "Service Unavailable", [(b"retry-after", b"1")])
        executor = self.idle.pop() if self.idle else ThreadPoolExecutor(max_workers=1, thread_name_prefix="lwp-view")
        self.busy += 1
        try:
            async with ThreadSensitiveContext(executor=executor):
                await self.app(scope, receive, send)
        finally:
            self.busy -= 1
            self.idle.append(executor)


def request_limits(app):
    """414 / 431 in the API's error shape for what gunicorn's parser refused (httptools has no limit)."""
    async def limited(scope, receive, send):
        line = len(scope["method"]) + len(scope.get("raw_path") or b"") + len(scope["query_string"]) + 11
        if line > LIMIT_REQUEST_LINE:
            return await send_json_error(send, 414, "Request-URI Too Long")
        if any(len(name) + len(value) + 2 > LIMIT_REQUEST_FIELD for name, value in scope["headers"]):
            return await send_json_error(send, 431, "Request Header Fields Too Large")
        return await app(scope, receive, send)
    return limited


def json_server_errors(app):
    """A crash before the app answered gets the API's 500 (uvicorn's own is plain text)."""
    async def guarded(scope, receive, send):
        started = False

        async def tracking_send(message):
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)
        try:
            await app(scope, receive, tracking_send)
        except Exception:
            if started:
                raise  # uvicorn logs it and closes the connection: the answer is cut, visibly
            await send_json_error(send, 500, "Internal Server Error")
            logging.getLogger("django.request").exception("Server error before an answer: %s",
                                                          safe_path(scope.get("path", "")))
    return guarded


def access_line(scope, status, sent, seconds):
    """gunicorn's sync-worker line, as before: '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(L)ss "%(a)s"'.

    The path alone, made safe, and no Referer: either may carry a token (lwp/log_redaction.py).
    """
    client = (scope.get("client") or ("-",))[0]
    when = time.strftime("[%d/%b/%Y:%H:%M:%S %z]")
    request = f'{scope["method"]} {safe_path(scope["path"])} HTTP/{scope["http_version"]}'
    return redact(f'{client} {when} "{request}" {status} {sent or "-"} {seconds:.6f}s "{header(scope, b"user-agent") or "-"}"')


def access_log(app):
    """One line per request on gunicorn's access log (uvicorn's own is off: it logs the query string)."""
    async def logged(scope, receive, send):
        started, status, sent = time.monotonic(), None, 0

        async def counting_send(message):
            nonlocal status, sent
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                sent += len(message.get("body", b""))
            await send(message)
        try:
            await app(scope, receive, counting_send)
        finally:
            access_logger.info(access_line(scope, status or 500, sent, time.monotonic() - started))
    return logged


def http_application():
    views = ViewThreads(StreamingWsgiToAsgi(django_application), settings.LWP_WORKER_THREADS)
    return access_log(json_server_errors(request_limits(views)))


application = ProtocolTypeRouter({
    "http": http_application(),
    "websocket": websocket_application(),
})
