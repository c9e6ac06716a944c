"""Django's WSGI handler served from an ASGI server, reading the request body as it arrives.

asgiref's WsgiToAsgi reads the whole body (spooled to /tmp past 64 KiB) before the app runs;
here `wsgi.input` pulls each chunk from the ASGI `receive` when Django reads, as gunicorn's
socket reader did: upload handlers (backups/uploads.py) see the bytes as they come, refuse
early, and nothing is written to /tmp.
"""

import io

from asgiref.sync import AsyncToSync
from asgiref.wsgi import WsgiToAsgi, WsgiToAsgiInstance


class ClientGone(OSError):
    """The client went away before it sent the whole body (Django treats it as an unreadable post)."""


class StreamingInput(io.RawIOBase):
    """The request body, read from `receive` on demand (called from the request's thread)."""

    def __init__(self, receive):
        super().__init__()
        self._receive = AsyncToSync(receive)
        self._buffer = bytearray()
        self._more = True

    def readable(self):
        return True

    def _fill(self):
        message = self._receive()
        if message["type"] == "http.disconnect":
            self._more = False
            raise ClientGone("the client disconnected during the request body")
        self._buffer += message.get("body", b"")
        self._more = bool(message.get("more_body"))

    def _take(self, size):
        data = bytes(self._buffer[:size])
        del self._buffer[:size]
        return data

    def read(self, size=-1):
        while self._more and (size is None or size < 0 or len(self._buffer) < size):
            self._fill()
        return self._take(len(self._buffer) if size is None or size < 0 else size)

    def readline(self, size=-1):
        while self._more and b"\n" not in self._buffer and (size < 0 or len(self._buffer) < size):
            self._fill()
        end = self._buffer.find(b"\n") + 1 or len(self._buffer)
        return self._take(end if size < 0 else min(size, end))


class _StreamingInstance(WsgiToAsgiInstance):
    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            raise ValueError("WSGI wrapper received a non-HTTP scope")
        self.scope = scope
        self.sync_send = AsyncToSync(send)
        await self.run_wsgi_app(StreamingInput(receive))


class StreamingWsgiToAsgi(WsgiToAsgi):
    async def __call__(self, scope, receive, send):
        await _StreamingInstance(self.wsgi_application, self.duplicate_header_limit)(scope, receive, send)
