"""Driving the console socket in-process, as a browser or a script would, from plain (sync) tests.

The application runs in an event loop of its own thread (EventLoop), as a server runs it; the
test's thread keeps the database connection and the assertions. asgiref's ApplicationCommunicator
stands for the server (channels.testing's cannot be imported without daphne).
"""

import asyncio
import json
import threading
import time
from urllib.parse import unquote, urlsplit

from asgiref.testing import ApplicationCommunicator
from django.test import Client

from lwp.ws import websocket_application

HOST = "localhost"
PAGE = f"http://{HOST}"
PEER = ("192.0.2.7", 50000)  # the client's address every event must carry


class EventLoop:
    """An event loop running in a thread of its own; run() waits for a coroutine's result there."""

    def __init__(self):
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coroutine, timeout=120):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def stop(self):
        async def cancel_all():
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        self.run(cancel_all())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


def session_cookie(user):
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}"


def console_path(name, mode="shell", **extra):
    query = "&".join(f"{key}={value}" for key, value in {"mode": mode, **extra}.items() if value is not None)
    return f"/ws/containers/{name}/console?{query}"


class Communicator(ApplicationCommunicator):
    """The server's side of one socket: its scope, connect, frames in and out, disconnect."""

    def __init__(self, path, headers):
        parts = urlsplit(path)
        self.scope = {"type": "websocket", "path": unquote(parts.path), "query_string": parts.query.encode(),
                      "headers": headers, "subprotocols": [], "scheme": "ws", "client": PEER}
        super().__init__(websocket_application(), self.scope)

    async def connect(self, timeout):
        """(True, None) when accepted, (False, close code) when refused."""
        await self.send_input({"type": "websocket.connect"})
        response = await self.receive_output(timeout)
        if response["type"] == "websocket.close":
            return False, response.get("code", 1000)
        assert response["type"] == "websocket.accept", response
        return True, None

    async def send_frame(self, text=None, data=None):
        frame = {"type": "websocket.receive", "text": text} if text is not None else {
            "type": "websocket.receive", "bytes": data}
        await self.send_input(frame)

    async def disconnect(self, code, timeout):
        await self.send_input({"type": "websocket.disconnect", "code": code})
        await self.wait(timeout)


class Socket:
    """One console socket: its frames split into terminal bytes and JSON status."""

    def __init__(self, loop, path, *, user=None, origin=PAGE):
        headers = [(b"host", HOST.encode())]
        if origin is not None:
            headers.append((b"origin", origin.encode()))
        if user is not None:
            headers.append((b"cookie", session_cookie(user).encode()))
        self.loop = loop
        self.communicator = loop.run(self._communicator(path, headers))
        self.output, self.events, self.close_code = b"", [], None

    @staticmethod
    async def _communicator(path, headers):
        return Communicator(path, headers)  # made in the loop: it starts the application there

    @classmethod
    def of_url(cls, loop, url, **kwargs):
        """A script's socket from the URL the ticket route answered (no cookie, no Origin)."""
        parts = urlsplit(url)
        return cls(loop, f"{parts.path}?{parts.query}", origin=None, **kwargs)

    def open(self):
        return self.loop.run(self.communicator.connect(60))

    async def _next(self, timeout):
        message = await self.communicator.receive_output(timeout)
        if message["type"] == "websocket.close":
            self.close_code = message.get("code", 1000)
        elif message.get("bytes") is not None:
            self.output += message["bytes"]
        else:
            self.events.append(json.loads(message["text"]))

    async def _until(self, done, timeout, what):
        deadline = time.monotonic() + timeout
        while not done():
            assert self.close_code is None, f"closed ({self.close_code}) before {what}: {self.events} {self.output[-500:]!r}"
            try:  # a timeout also cancels the application: only when the test fails anyway
                await self._next(max(deadline - time.monotonic(), 0.01))
            except asyncio.TimeoutError:
                raise AssertionError(f"{what} never came; events {self.events}, output {self.output[-1000:]!r}") from None

    def until(self, done, timeout=20, what="the awaited frame"):
        self.loop.run(self._until(done, timeout, what))

    def read_until(self, needle, timeout=20):
        self.until(lambda: needle in self.output, timeout, repr(needle))
        return self.output

    def event(self, name, timeout=20):
        self.until(lambda: any(e["event"] == name for e in self.events), timeout, f"event {name}")
        return next(e for e in self.events if e["event"] == name)

    def ended(self, timeout=20):
        """The `ended` status and the close code that follows it."""
        ended = self.event("ended", timeout)
        while self.close_code is None:
            self.loop.run(self._next(10))
        return ended, self.close_code

    def ready(self):
        """Past the shell's first prompt (busybox's ash drops what is typed before it)."""
        self.event("started")
        self.read_until(b"# ")
        return self

    def type(self, text):
        self.loop.run(self.communicator.send_frame(data=text.encode()))

    def run(self, command):
        """Type `command`; its output up to a mark only its run prints."""
        start = len(self.output)
        self.type(command + "; echo end-$((40+2))-mark\r")
        self.until(lambda: b"end-42-mark" in self.output[start:], what=f"the end of {command!r}")
        return self.output[start:]

    def control(self, frame):
        self.loop.run(self.communicator.send_frame(text=frame if isinstance(frame, str) else json.dumps(frame)))

    def close(self, code=1000):
        """The client goes; returns once the server finished with the session."""
        self.loop.run(self.communicator.disconnect(code, 30))
