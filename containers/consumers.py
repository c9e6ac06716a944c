"""The console socket: /ws/containers/<name>/console?mode=shell|tty (README "Console").

One ConsoleConsumer per socket owns one ConsoleSession (containers/console.py): the terminal's
output goes out as binary frames as the event loop sees it readable; binary frames in are typed;
a JSON text frame {"resize": [cols, rows]} resizes. JSON text frames out say what happens:
{"event": "started", ...} once the command runs, {"event": "ended", "reason", "message"} just
before the server closes.

Refusals of who (no session or ticket, no permission, a foreign or missing Origin, a bad ticket)
close the handshake before accept: HTTP 403, close code 4403, a permission.denied event. Refusals
of what (the container, its state, the mode, the limits) accept, send `ended` and close with the
code of ENDINGS, so the panel can show why.

Every end closes the command on the host (ConsoleSession.close, in a thread: it waits for the
hang-up up to 2 s), marks the session's record ended and records its duration in the audit log.
"""

import asyncio
import json
import logging
import time
from dataclasses import dataclass

from channels.db import database_sync_to_async
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from containers import consoles
from containers.console import ConsoleSession, check_size
from lwp.exceptions import InvalidInput, InvalidState, LWPError
from lwp.ws import query, refuse
from operations.models import Source
from operations.origin import Origin

log = logging.getLogger("lwp.console")

# Why a session ended -> the close code after the `ended` frame (None: the client closed first).
ENDINGS = {
    "exited": 1000,             # the shell (or the console client) ended
    "container_stopped": 1000,
    "idle": 1000,               # nobody typed for LWP_CONSOLE_IDLE seconds
    "bad_request": 4400,        # a bad mode, size or text frame
    "not_found": 4404,          # no such container
    "not_running": 4409,        # the container is not RUNNING
    "busy": 4409,               # its tty is held by another client
    "too_many_sessions": 4429,  # the user has LWP_CONSOLE_SESSIONS open
    "error": 1011,              # the console could not start (LXC tools missing or failing)
    "server_stopping": 1012,
    "closed": None,
}
# An LWP error's code -> the reason it ends a session with.
REASON_BY_CODE = {"invalid": "bad_request", "invalid_name": "bad_request", "not_found": "not_found",
                  "invalid_state": "not_running", "busy": "busy", "too_many_sessions": "too_many_sessions"}
SERVER_RESTART = 1012  # the close code uvicorn gives its sockets when the server stops
WATCH_EVERY = 5.0  # seconds between checks of idleness
INPUT_WAIT = 10.0  # seconds typed bytes may wait for room in the terminal before the rest is dropped
BUSY_MARK = b"Denied access to tty"  # what lxc-console prints when tty 0 has a client already
STOP_SETTLE = 0.3  # seconds between the two looks at the state when a session's command ended
HEAD_BYTES = 4096  # how much of a tty session's first output is kept to look for BUSY_MARK


@dataclass(frozen=True)
class Admitted:
    user: object
    origin: Origin


@dataclass(frozen=True)
class Refused:
    message: str
    user: object = None
    token: str = ""


def admit(scope, name, mode):
    """Who opens the socket: its ticket's user (an API client), else the signed-in user."""
    secret = query(scope).get("ticket")
    if secret:
        ticket = consoles.redeem_ticket(secret)
        if ticket is None:
            return Refused("unknown, used or expired console ticket")
        user, token = ticket.user, ticket.token
        if (ticket.container, ticket.mode) != (name, mode):
            return Refused("the ticket is for another container or mode", user, token)
        origin = Origin.of_scope(scope, Source.API, token=token)
    else:
        user, token = scope.get("user"), ""
        if user is None or not user.is_authenticated:
            return Refused("not signed in")
        origin = Origin.of_scope(scope, Source.PANEL)
    if not user.is_active or not user.has_perm(consoles.CONSOLE):
        return Refused("you do not have permission to open a console", user, token)
    return Admitted(user, origin)


def initial_size(params):
    """(cols, rows) from the handshake's query, 80 × 24 by default."""
    try:
        size = int(params.get("cols", 80)), int(params.get("rows", 24))
    except ValueError:
        size = (0, 0)
    return check_size(*size)


def resize_request(text):
    """(cols, rows) of a text frame's `resize`, None when it has none; InvalidInput when the frame
    is not a JSON object or its resize is not [cols, rows] in range."""
    try:
        frame = json.loads(text)
    except ValueError:
        frame = None
    if not isinstance(frame, dict):
        raise InvalidInput('a text frame must be a JSON object, such as {"resize": [80, 24]}')
    if "resize" not in frame:
        return None
    size = frame["resize"]
    if not isinstance(size, list) or len(size) != 2:
        raise InvalidInput("resize must be [columns, rows]")
    return check_size(*size)


class ConsoleConsumer(AsyncWebsocketConsumer):
    session = None
    record = None
    who = None
    _ending = None

    # ----- opening -----------------------------------------------------------------------------

    async def websocket_connect(self, message):
        self.name = self.scope["url_route"]["kwargs"]["name"]
        self.params = query(self.scope)
        self.mode = self.params.get("mode", "shell")
        self._tasks = []
        who = await database_sync_to_async(admit)(self.scope, self.name, self.mode)
        if isinstance(who, Refused):
            await refuse(self.scope, self.base_send, who.message, user=who.user, token=who.token)
            return
        self.who = who
        await self.accept()
        try:
            await self._start()
        except LWPError as error:
            self._end_soon(REASON_BY_CODE.get(error.code, "error"), error.message)
        except Exception:  # a bug or a database down: still end what started, and say so
            log.exception("console of %s could not start", self.name)
            self._end_soon("error", "the console could not start")

    async def _start(self):
        self.started = time.monotonic()
        cols, rows = initial_size(self.params)
        argv = await database_sync_to_async(consoles.console_command)(name=self.name, mode=self.mode,
                                                                       user=self.who.user)
        self.record = await database_sync_to_async(consoles.open_record)(
            user=self.who.user, name=self.name, mode=self.mode, origin=self.who.origin)
        try:
            self.session = await asyncio.to_thread(ConsoleSession, argv, cols=cols, rows=rows)
        except LWPError:
            await database_sync_to_async(consoles.end_record)(self.record, "error")
            self.record = None
            raise
        self.head = b""
        await database_sync_to_async(consoles.record_opened)(
            user=self.who.user, name=self.name, mode=self.mode, origin=self.who.origin)
        await self._status(event="started", mode=self.mode, cols=cols, rows=rows)
        self._tasks = [asyncio.ensure_future(self._pump()), asyncio.ensure_future(self._watch())]

    async def _status(self, **fields):
        await self.send(text_data=json.dumps(fields))

    # ----- while it runs -----------------------------------------------------------------------

    async def _pump(self):
        """The terminal's output to the client, as it comes; at its end, why it ended."""
        loop = asyncio.get_running_loop()
        readable = asyncio.Event()
        fd = self.session.fd
        loop.add_reader(fd, readable.set)
        try:
            while True:
                await readable.wait()
                readable.clear()
                try:
                    data = self.session.read()
                except OSError:
                    data = None
                if data is None:
                    break
                if data:
                    self._keep_head(data)
                    await self.send(bytes_data=data)
        finally:
            loop.remove_reader(fd)
        self._end_soon(await self._why_it_ended())

    def _keep_head(self, data):
        if self.mode == "tty" and len(self.head) < HEAD_BYTES:
            self.head += data[:HEAD_BYTES]

    async def _why_it_ended(self):
        if BUSY_MARK in self.head:
            return "busy"
        # A stopping container's processes die before liblxc reports it stopped: look twice.
        for look in range(2):
            if not await database_sync_to_async(consoles.container_running)(self.name):
                return "container_stopped"
            if look == 0:
                await asyncio.sleep(STOP_SETTLE)
        return "exited"

    async def _watch(self):
        """Ends the session when idle too long or when its container stopped, and keeps its
        record alive. The command itself ends when the container stops (the pump then says so):
        the state is checked only with the heartbeat, as a fallback, since each check costs a
        liblxc call (a fork of the server)."""
        last_check = time.monotonic()
        while True:
            idle_left = settings.LWP_CONSOLE_IDLE - self.session.idle_for()
            if idle_left <= 0:
                return self._end_soon("idle")
            await asyncio.sleep(min(WATCH_EVERY, idle_left))
            if time.monotonic() - last_check >= consoles.HEARTBEAT.total_seconds():
                if not await database_sync_to_async(consoles.container_running)(self.name):
                    return self._end_soon("container_stopped")
                await database_sync_to_async(consoles.beat)(self.record)
                last_check = time.monotonic()

    async def receive(self, text_data=None, bytes_data=None):
        if self.session is None or self._ending is not None:
            return
        if bytes_data is not None:
            return await self._type(bytes_data)
        try:
            size = resize_request(text_data)
            if size is not None:
                self.session.resize(*size)
        except InvalidInput as error:
            self._end_soon("bad_request", error.message)
        except InvalidState:  # ended meanwhile: the pump says why
            pass

    async def _type(self, data):
        """Type `data`; a terminal whose command reads nothing fills up: wait INPUT_WAIT for room."""
        rest = memoryview(data)
        deadline = time.monotonic() + INPUT_WAIT
        while rest:
            try:
                rest = rest[self.session.write(rest):]
            except InvalidState:
                return
            if rest:
                if time.monotonic() > deadline:
                    log.warning("console of %s: %d typed bytes dropped, the terminal took none", self.name, len(rest))
                    return
                await asyncio.sleep(0.01)

    # ----- the end -----------------------------------------------------------------------------

    async def websocket_disconnect(self, message):
        if self.who is not None:
            reason = "server_stopping" if message.get("code") == SERVER_RESTART else "closed"
            await asyncio.shield(self._end_soon(reason, client_gone=True))
        raise StopConsumer()

    def _end_soon(self, reason, message=None, *, client_gone=False):
        """End the session once (whoever asks first: the pump, the watch, the client)."""
        if self._ending is None:
            self._ending = asyncio.ensure_future(self._end(reason, message, client_gone))
        return self._ending

    async def _end(self, reason, message, client_gone):
        current = asyncio.current_task()
        for task in self._tasks:
            if task is not current:
                task.cancel()
        await asyncio.gather(*(t for t in self._tasks if t is not current), return_exceptions=True)
        if not client_gone:
            try:
                await self._status(event="ended", reason=reason, message=message or self._ending_message(reason))
                await self.close(code=ENDINGS[reason])
            except (OSError, RuntimeError):  # the client went meanwhile: the session still ends
                pass
        if self.session is not None:
            await asyncio.to_thread(self.session.close)
        if self.record is not None:
            await database_sync_to_async(self._record_end)(reason)

    def _ending_message(self, reason):
        messages = {
            "exited": "the shell ended" if self.mode == "shell" else "the console client ended",
            "container_stopped": f"the container {self.name} stopped",
            "idle": f"nothing was typed for {settings.LWP_CONSOLE_IDLE} seconds",
            "busy": f"the console (tty) of {self.name} is in use by another client; open a shell instead",
        }
        return messages.get(reason, reason.replace("_", " "))

    def _record_end(self, reason):
        consoles.end_record(self.record, reason)
        consoles.record_ended(user=self.who.user, name=self.name, mode=self.mode, origin=self.who.origin,
                              seconds=time.monotonic() - self.started, reason=reason)
