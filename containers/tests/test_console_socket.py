"""The console socket (containers/consumers.py) on real running busybox containers, in-process."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from containers import consoles, consumers
from containers.console import ConsoleSession
from containers.models import ConsoleRecord, ConsoleTicket
from containers.tests.console_socket_support import PEER, EventLoop, Socket, console_path
from containers.tests.lxc_support import process_gone, wait_until
from containers.tests.test_backend_console import console_tools_for, group_members, host_processes
from operations.models import Event

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def running(make_container):
    return make_container("sock", start=True)


@pytest.fixture
def loop():
    """The server's event loop, in a thread of its own."""
    running_loop = EventLoop()
    yield running_loop
    running_loop.stop()


def ticket_url(api, token, name, mode="shell"):
    response = api("POST", f"/api/v1/containers/{name}/console", token=token, data={"mode": mode})
    assert response.status_code == 201, response.body
    return response.body["url"]


def new_events(since, action):
    return list(Event.objects.filter(id__gt=since, action=action).order_by("id"))


def last_event_id():
    return Event.objects.order_by("-id").values_list("id", flat=True).first() or 0


def console_groups(name):
    """Process groups of the lxc-attach / lxc-console processes working on container `name`."""
    processes = host_processes()
    return {int(processes[pid][2]) for pid in console_tools_for(name) if pid in processes}


def shell(loop, user, name):
    """A socket to a shell in `name`, past its first prompt."""
    socket = Socket(loop, console_path(name), user=user)
    assert socket.open() == (True, None)
    return socket.ready()


def assert_nothing_left(name, groups):
    assert wait_until(lambda: console_tools_for(name) == [], 10), console_tools_for(name)
    for group in groups:
        assert process_gone(group) and group_members(group) == []


# ----- sessions ----------------------------------------------------------------------------------


def test_a_shell_session_runs_a_command_and_shows_its_output(loop, users, running):
    socket = Socket(loop, console_path(running), user=users.erin)
    assert socket.open() == (True, None)
    started = socket.event("started")
    assert started == {"event": "started", "mode": "shell", "cols": 80, "rows": 24}
    socket.ready()
    output = socket.run("echo marker-$((6*7))-$(hostname)-$(id -u)")
    assert f"marker-42-{running}-0".encode() in output
    socket.close()


def test_stty_size_follows_the_initial_size_and_each_resize(loop, users, running):
    socket = Socket(loop, console_path(running, cols=132, rows=50), user=users.erin)
    socket.open()
    assert (socket.event("started"))["cols"] == 132
    socket.ready()
    assert b"\n50 132" in socket.run("stty size")
    socket.control({"resize": [100, 40]})
    assert b"\n40 100" in socket.run("stty size")
    socket.close()


def test_a_tty_session_reaches_the_containers_console_and_a_second_one_is_busy(loop, users, running):
    first = Socket(loop, console_path(running, "tty"), user=users.erin)
    first.open()
    first.event("started")
    for _ in range(30):  # busybox's askfirst console wakes on Enter (one typed too early is lost)
        first.type("\r")
        time.sleep(0.5)
        if b"# " in first.output:
            break
    assert b"/dev/console" in first.run("tty")
    second = Socket(loop, console_path(running, "tty"), user=users.erin)
    second.open()
    ended, code = second.ended()
    assert (ended["reason"], code) == ("busy", 4409)
    assert "in use" in ended["message"]
    first.close()


def test_a_tty_held_outside_the_panel_is_busy_too(loop, users, running, backend):
    with ConsoleSession(backend.console_command(running, "tty")):
        time.sleep(1)  # lxc-console connected
        socket = Socket(loop, console_path(running, "tty"), user=users.erin)
        socket.open()
        ended, code = socket.ended()
    assert (ended["reason"], code) == ("busy", 4409)


def test_closing_the_socket_leaves_no_process_behind_and_records_the_session(loop, users, running):
    since = last_event_id()
    socket = shell(loop, users.erin, running)
    socket.type("sleep 1000\r")
    time.sleep(0.5)
    groups = console_groups(running)
    assert groups
    record = ConsoleRecord.objects.get(container=running)
    assert record.ended is None and record.client_address == PEER[0]
    socket.close()
    assert_nothing_left(running, groups)
    record.refresh_from_db()
    assert record.ended is not None and record.reason == "closed"
    opened, = new_events(since, "container.console_open")
    ended, = new_events(since, "container.console_end")
    for event in (opened, ended):
        assert (event.target, event.username, event.source, event.client_address) == (
            running, "erin", "panel", PEER[0])
    assert ended.message.startswith("shell session, ") and ended.message.endswith(" s, ended: closed")
    assert "sleep" not in ended.message + opened.message  # never what was typed


def test_exit_ends_the_session_with_exited_and_its_duration(loop, users, running):
    since = last_event_id()
    socket = shell(loop, users.erin, running)
    socket.type("exit\r")
    ended, code = socket.ended()
    assert (ended["reason"], code) == ("exited", 1000)
    socket.close()
    event, = new_events(since, "container.console_end")
    assert event.message.startswith("shell session, ") and event.message.endswith("ended: exited")


def test_stopping_the_container_ends_its_session(loop, users, running, backend):
    socket = shell(loop, users.erin, running)
    groups = console_groups(running)
    backend.stop(running, force=True)
    ended, code = socket.ended()
    assert (ended["reason"], code) == ("container_stopped", 1000)
    assert running in ended["message"]
    socket.close()
    assert_nothing_left(running, groups)


def test_the_heartbeat_ends_a_session_whose_container_is_seen_stopped_while_its_command_lingers(
        loop, users, running, monkeypatch):
    monkeypatch.setattr(consumers, "WATCH_EVERY", 0.1)
    monkeypatch.setattr(consoles, "HEARTBEAT", timedelta(seconds=0.3))
    socket = shell(loop, users.erin, running)
    record = ConsoleRecord.objects.get(container=running)
    time.sleep(1)
    record.refresh_from_db()
    assert record.seen > record.started  # the heartbeat keeps the record open
    groups = console_groups(running)
    monkeypatch.setattr(consoles, "container_running", lambda name: False)  # the fallback's view
    ended, code = socket.ended()
    assert (ended["reason"], code) == ("container_stopped", 1000)
    socket.close()
    assert_nothing_left(running, groups)


def test_an_idle_session_ends(loop, users, running, settings, monkeypatch):
    settings.LWP_CONSOLE_IDLE = 1
    monkeypatch.setattr(consumers, "WATCH_EVERY", 0.2)
    socket = shell(loop, users.erin, running)
    groups = console_groups(running)
    ended, code = socket.ended(timeout=10)
    assert (ended["reason"], code) == ("idle", 1000)
    socket.close()
    assert_nothing_left(running, groups)


def test_a_server_stopping_closes_the_session_and_says_so_in_the_audit_log(loop, users, running):
    since = last_event_id()
    socket = shell(loop, users.erin, running)
    groups = console_groups(running)
    socket.close(code=consumers.SERVER_RESTART)  # what uvicorn tells the app when it stops
    assert_nothing_left(running, groups)
    event, = new_events(since, "container.console_end")
    assert event.message.endswith("ended: server_stopping")


def test_a_malformed_text_frame_ends_the_session_as_a_bad_request(loop, users, running):
    socket = shell(loop, users.erin, running)
    socket.control({"resize": [0, 24]})
    ended, code = socket.ended()
    assert (ended["reason"], code) == ("bad_request", 4400)
    assert "1 to 1000" in ended["message"]
    socket.close()


def test_text_frames_without_resize_are_ignored(loop, users, running):
    socket = shell(loop, users.erin, running)
    socket.control({"ping": 1})
    assert b"still-42" in socket.run("echo still-$((40+2))")
    socket.close()


# ----- tickets -----------------------------------------------------------------------------------


def test_a_script_opens_the_console_with_a_ticket_and_no_origin(loop, users, tokens, api, running):
    since = last_event_id()
    url = ticket_url(api, tokens.erin, running)
    socket = Socket.of_url(loop, url)
    assert socket.open() == (True, None)
    socket.ready()
    assert b"via-ticket-42" in socket.run("echo via-ticket-$((40+2))")
    socket.close()
    opened, = new_events(since, "container.console_open")
    assert (opened.source, opened.token, opened.username) == ("api", "erin", "erin")


def test_a_ticket_with_a_foreign_origin_is_refused(loop, users, tokens, api, running):
    url = ticket_url(api, tokens.erin, running)
    socket = Socket.of_url(loop, url)
    socket.communicator.scope["headers"].append((b"origin", b"http://evil.example"))
    assert socket.open() == (False, 4403)


# ----- refusals: who -----------------------------------------------------------------------------


def assert_refused(socket, since, reason):
    assert socket.open() == (False, 4403)
    denial, = new_events(since, "permission.denied")
    assert denial.outcome == "denied" and reason in denial.message
    assert denial.client_address == PEER[0] and denial.target.startswith("WEBSOCKET /ws/containers/")
    assert "ticket=" not in denial.target
    return denial


def test_no_session_is_refused(loop, users, running):
    assert_refused(Socket(loop, console_path(running)), last_event_id(), "not signed in")


def test_a_user_without_the_permission_is_refused(loop, users, running):
    for user in (users.dave, users.bob, users.charlie):
        since = last_event_id()
        denial = assert_refused(Socket(loop, console_path(running), user=user), since, "permission")
        assert denial.username == user.username
    assert not ConsoleRecord.objects.exists()


def test_a_foreign_origin_is_refused(loop, users, running):
    for origin in ("http://evil.example", "https://localhost", "http://localhost:8080", "null"):
        socket = Socket(loop, console_path(running), user=users.erin, origin=origin)
        assert_refused(socket, last_event_id(), "Origin")


def test_no_origin_without_a_ticket_is_refused(loop, users, running):
    assert_refused(Socket(loop, console_path(running), user=users.erin, origin=None), last_event_id(),
                         "no Origin")


def test_a_ticket_opens_one_connection_only(loop, users, tokens, api, running):
    url = ticket_url(api, tokens.erin, running)
    first = Socket.of_url(loop, url)
    first.open()
    first.event("started")
    assert_refused(Socket.of_url(loop, url), last_event_id(), "unknown, used or expired")
    first.close()


def test_an_expired_ticket_is_refused(loop, users, tokens, api, running):
    url = ticket_url(api, tokens.erin, running)
    ConsoleTicket.objects.update(expires=timezone.now() - timedelta(seconds=1))
    assert_refused(Socket.of_url(loop, url), last_event_id(), "unknown, used or expired")


def test_a_ticket_for_another_container_or_mode_is_refused_and_spent(loop, users, tokens, api, running,
                                                                         make_container):
    other = make_container("sock", start=True)
    url = ticket_url(api, tokens.erin, running)
    assert_refused(Socket.of_url(loop, url.replace(running, other)), last_event_id(), "another container")
    url = ticket_url(api, tokens.erin, running)
    assert_refused(Socket.of_url(loop, url.replace("mode=shell", "mode=tty")), last_event_id(), "another")
    assert not ConsoleTicket.objects.exists()  # each was spent by its one try


def test_a_made_up_ticket_is_refused(loop, users, running):
    socket = Socket(loop, console_path(running, ticket="x" * 43), origin=None)
    assert_refused(socket, last_event_id(), "unknown, used or expired")


def test_a_ticket_of_a_user_who_lost_the_permission_is_refused(loop, users, tokens, api, running):
    url = ticket_url(api, tokens.erin, running)
    users.erin.groups.clear()
    assert_refused(Socket.of_url(loop, url), last_event_id(), "permission")


# ----- refusals: what ----------------------------------------------------------------------------


def ended_at_once(socket):
    assert socket.open() == (True, None)
    return socket.ended()


def test_a_stopped_container_is_not_running(loop, users, make_container):
    name = make_container("sock")
    ended, code = ended_at_once(Socket(loop, console_path(name), user=users.erin))
    assert (ended["reason"], code) == ("not_running", 4409)
    assert "STOPPED" in ended["message"]


def test_an_unknown_container_is_not_found(loop, users, backend):
    ended, code = ended_at_once(Socket(loop, console_path("sock-nobody"), user=users.erin))
    assert (ended["reason"], code) == ("not_found", 4404)


def test_a_bad_mode_or_size_is_a_bad_request(loop, users, running):
    for path in (console_path(running, "bash"), console_path(running, cols=0), console_path(running, rows="x")):
        ended, code = ended_at_once(Socket(loop, path, user=users.erin))
        assert (ended["reason"], code) == ("bad_request", 4400), path
    assert not ConsoleRecord.objects.exists()


def test_a_user_has_at_most_lwp_console_sessions_open(loop, users, running, settings):
    settings.LWP_CONSOLE_SESSIONS = 2
    open_ones = [Socket(loop, console_path(running), user=users.erin) for _ in range(2)]
    for socket in open_ones:
        socket.open()
        socket.event("started")
    ended, code = ended_at_once(Socket(loop, console_path(running), user=users.erin))
    assert (ended["reason"], code) == ("too_many_sessions", 4429)
    # Another user is not counted against erin; a record of a dead server process stops counting.
    ConsoleRecord.objects.filter(ended__isnull=True).update(seen=timezone.now() - consoles.STALE)
    third = Socket(loop, console_path(running), user=users.erin)
    third.open()
    third.event("started")
    for socket in [*open_ones, third]:
        socket.close()
