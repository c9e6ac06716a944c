"""The console socket through the real server (gunicorn with uvicorn workers), as scripts and
browsers reach it: a ticket's URL with python's websockets, a session cookie with an Origin."""

import json
import time
import urllib.request
from urllib.parse import parse_qs, urlsplit

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from containers.tests.console_socket_support import session_cookie
from containers.tests.lxc_support import wait_until
from containers.tests.test_backend_console import console_tools_for
from operations.models import Event
from testing import playground

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def running(make_container):
    return make_container("live", start=True)


def ticket_url(server, token, name):
    request = urllib.request.Request(f"{server.url}/api/v1/containers/{name}/console", method="POST",
                                     data=json.dumps({"mode": "shell"}).encode(),
                                     headers={"private-token": token, "content-type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        assert answer.status == 201
        return json.load(answer)["url"]


def read_until(socket, wanted, timeout=20):
    """(terminal output up to `wanted`, the JSON status frames seen)."""
    seen, events = b"", []
    deadline = time.monotonic() + timeout
    while wanted not in seen:
        frame = socket.recv(timeout=max(deadline - time.monotonic(), 0.01))
        if isinstance(frame, bytes):
            seen += frame
        else:
            events.append(json.loads(frame))
    return seen, events


def echo_through(socket):
    _, events = read_until(socket, b"# ")
    assert events[0]["event"] == "started"
    socket.send(b"echo live-$((40+2))\r")
    assert b"live-42" in read_until(socket, b"live-42")[0]


def test_a_script_opens_a_shell_with_the_tickets_url_and_closing_it_ends_the_shell(
        live_app, users, tokens, running):
    url = ticket_url(live_app, tokens.erin, running)
    assert url.startswith(f"ws://127.0.0.1:{live_app.port}/ws/containers/{running}/console?")
    with connect(url, open_timeout=30) as socket:
        echo_through(socket)
        assert console_tools_for(running)
    assert wait_until(lambda: console_tools_for(running) == [], 10)
    with pytest.raises(InvalidStatus) as refusal:  # the ticket is spent
        connect(url, open_timeout=30)
    assert refusal.value.response.status_code == 403
    assert parse_qs(urlsplit(url).query)["ticket"][0] not in live_app.log_text()  # logs cut query strings


def test_a_browser_opens_a_shell_with_its_session_and_its_origin(live_app, users, running):
    base = f"ws://127.0.0.1:{live_app.port}/ws/containers/{running}/console?mode=shell"
    cookie = session_cookie(users.erin)
    with connect(base, origin=f"http://127.0.0.1:{live_app.port}", additional_headers={"Cookie": cookie},
                 open_timeout=30) as socket:
        echo_through(socket)
    with pytest.raises(InvalidStatus) as refusal:
        connect(base, origin="http://evil.example", additional_headers={"Cookie": cookie}, open_timeout=30)
    assert refusal.value.response.status_code == 403


def test_a_server_that_stops_closes_its_sessions_and_ends_their_processes(users, tokens, running):
    server = playground.LiveServer(workers=1, job_workers=0).start()
    try:
        with connect(ticket_url(server, tokens.erin, running), open_timeout=30) as socket:
            echo_through(socket)
            server.stop()
            with pytest.raises(ConnectionClosed) as closed:
                while True:
                    socket.recv(timeout=20)
        assert closed.value.rcvd.code == 1012  # uvicorn's "service restart"
    finally:
        server.stop()
    assert wait_until(lambda: console_tools_for(running) == [], 10)
    assert wait_until(lambda: Event.objects.filter(action="container.console_end", target=running).exists(), 10)
    assert Event.objects.get(action="container.console_end", target=running).message.endswith(
        "ended: server_stopping")
