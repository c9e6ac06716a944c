"""The Console section in a real Chromium: xterm.js on the panel's WebSocket.

Two halves. Against the live server and a running busybox container: a shell runs what is typed,
`stty size` follows the page's size, `exit` ends the session with a Reconnect that works, and a
signed-out page is refused. Against a stand-in socket (Playwright's routeWebSocket), the page's
side of the wire exactly: what it sends (its size in the URL, keys as binary frames, a resize
frame), and what it says for each way a session ends.
"""

import json
import re
from types import SimpleNamespace

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The terminal's text, line by line (window.lwpConsole is exposed for these tests).
SCREEN = """() => {
  const buffer = window.lwpConsole.buffer.active, lines = [];
  for (let i = 0; i < buffer.length; i++) lines.push(buffer.getLine(i).translateToString(true));
  return lines.join("\\n");
}"""
SIZE = "() => [window.lwpConsole.rows, window.lwpConsole.cols]"


def screen(page):
    return page.evaluate(SCREEN)


def wait_for_screen(page, pattern, timeout=20000):
    """The terminal's text once `pattern` (a regex) is in it."""
    page.wait_for_function(f"(pattern) => new RegExp(pattern, 'm').test(({SCREEN})())", arg=pattern,
                           timeout=timeout)
    return screen(page)


def open_console(page, name, mode="shell"):
    page.goto(f"/containers/{name}/")
    section = page.locator("#console")
    section.get_by_label(mode).check()
    section.get_by_role("button", name="Connect").click()
    return section


def activate(page, tries=10):
    """Presses Enter until the container's console shows busybox's root shell (its inittab's
    `askfirst`: "Please press Enter to activate this console."). An Enter that reaches the tty
    before lxc-console is attached to it is lost, so one is not always enough."""
    for _ in range(tries):
        page.keyboard.press("Enter")
        try:
            return wait_for_screen(page, r"[#$] ?$", timeout=3000)
        except PlaywrightTimeoutError:
            continue
    raise AssertionError(f"no shell on the console: {screen(page)!r}")


def run(page, command):
    """Types `command` and Enter into the terminal (which has the focus)."""
    page.keyboard.type(command)
    page.keyboard.press("Enter")


# ----- against the live server and a running busybox container -------------------------------


def test_a_shell_runs_a_typed_command_and_shows_its_output(browse, users, make_container):
    name = make_container("bcon", start=True)
    page = browse(users.erin)
    section = open_console(page, name)
    expect(section.locator(".console-status")).to_have_text("Connected: shell.")
    wait_for_screen(page, r"[#$] ?$")  # busybox ash drops what is typed before its first prompt
    run(page, "echo lwp-$((6*7))")
    assert re.search(r"^lwp-42$", wait_for_screen(page, r"^lwp-42$"), re.M)


def test_stty_size_in_the_container_follows_the_resized_page(browse, users, make_container):
    name = make_container("bsize", start=True)
    page = browse(users.erin)
    open_console(page, name)
    wait_for_screen(page, r"[#$] ?$")
    before = page.evaluate(SIZE)
    run(page, "stty size")
    wait_for_screen(page, rf"^{before[0]} {before[1]}$")

    page.set_viewport_size({"width": 800, "height": 700})
    page.wait_for_function(f"(before) => ({SIZE})()[1] !== before[1]", arg=before)
    after = page.evaluate(SIZE)
    assert after[1] < before[1]
    run(page, "clear; stty size")
    wait_for_screen(page, rf"^{after[0]} {after[1]}$")


def test_full_screen_programs_draw_and_take_keys(browse, users, make_container):
    """vi edits a file (its screen of `~` lines, insert mode, Escape, :wq), then top draws its table
    and leaves on `q`: cursor addressing and the alternate screen work through the terminal."""
    name = make_container("bvi", start=True)
    page = browse(users.erin)
    open_console(page, name)
    wait_for_screen(page, r"[#$] ?$")
    run(page, "vi /tmp/from-the-browser")
    wait_for_screen(page, r"^~\s*$")
    page.keyboard.type("iwritten in vi")
    wait_for_screen(page, r"^I /tmp/from-the-browser")  # busybox vi's status line: insert mode
    page.keyboard.press("Escape")
    # Back in command mode before the next key: an Escape closely followed by ':' reads as Alt-:.
    wait_for_screen(page, r"^- /tmp/from-the-browser \[Modified\]")
    run(page, ":wq")
    run(page, "clear; cat /tmp/from-the-browser")
    wait_for_screen(page, r"^written in vi$")
    run(page, "top")
    wait_for_screen(page, r"^\s*PID\s+PPID\s+USER")
    page.keyboard.press("q")
    run(page, "clear; echo top-left")
    wait_for_screen(page, r"^top-left$")


def test_exit_ends_the_session_with_its_message_and_reconnect_opens_a_new_shell(browse, users, make_container):
    name = make_container("bexit", start=True)
    page = browse(users.erin)
    section = open_console(page, name)
    wait_for_screen(page, r"[#$] ?$")
    run(page, "exit")
    status = section.locator(".console-status")
    expect(status).to_have_text("Session ended: the shell ended.")
    expect(section).to_have_attribute("data-state", "ended")
    expect(section.get_by_role("button", name="Disconnect")).to_be_hidden()
    section.get_by_role("button", name="Reconnect").click()
    expect(status).to_have_text("Connected: shell.")
    wait_for_screen(page, r"[#$] ?$")
    run(page, "echo again-$((1+1))")
    wait_for_screen(page, r"^again-2$")


def test_stopping_the_container_ends_the_session_with_a_message(browse, users, make_container, backend):
    name = make_container("bstopc", start=True)
    page = browse(users.erin)
    section = open_console(page, name)
    wait_for_screen(page, r"[#$] ?$")
    backend.stop(name, force=True)
    expect(section.locator(".console-status")).to_have_text(f"Session ended: the container {name} stopped.",
                                                             timeout=20000)
    expect(section).to_have_attribute("data-state", "ended")
    expect(section.get_by_role("button", name="Reconnect")).to_be_visible()


def test_the_tty_mode_is_the_container_s_own_console(browse, users, make_container):
    name = make_container("btty", start=True)
    page = browse(users.erin)
    section = open_console(page, name, mode="tty")
    expect(section.locator(".console-status")).to_have_text("Connected: tty.")
    activate(page)
    run(page, "echo tty-$((3*3)); tty")
    wait_for_screen(page, r"^tty-9$")
    wait_for_screen(page, r"^/dev/(console|tty\w*|pts/\d+)$")


def test_a_signed_out_page_is_refused(browse, users, make_container):
    name = make_container("bout", start=True)
    page = browse(users.erin)
    page.goto(f"/containers/{name}/")
    page.context.clear_cookies()  # signed out elsewhere: the page is still there, the session is not
    section = page.locator("#console")
    section.get_by_role("button", name="Connect").click()
    expect(section.locator(".console-status")).to_have_text("Could not open the console (signed out, or not allowed).")
    expect(section.get_by_role("button", name="Reconnect")).to_be_visible()


def test_without_the_permission_or_a_running_container_there_is_no_terminal(browse, users, make_container):
    running, stopped = make_container("bperm", start=True), make_container("bstop")
    page = browse(users.dave)  # operators: no containers.console_container
    page.goto(f"/containers/{running}/")
    expect(page.locator("h1")).to_contain_text(running)
    expect(page.locator("#console")).to_have_count(0)
    page = browse(users.erin)
    page.goto(f"/containers/{stopped}/")
    expect(page.locator("#console")).to_contain_text("A console needs a running container")
    expect(page.locator("#console .console-term")).to_have_count(0)
    assert page.evaluate("typeof window.Terminal") == "undefined"


def test_without_javascript_the_section_says_it_needs_it(browse, users, make_container):
    name = make_container("bnojs", start=True)
    page = browse(users.erin, javascript=False)
    page.goto(f"/containers/{name}/")
    expect(page.locator("#console")).to_contain_text("A console needs JavaScript")
    expect(page.locator("#console .console-ui")).to_be_hidden()


# ----- the page's side of the wire, against a stand-in socket --------------------------------


def stand_in(page):
    """Routes the console's socket to a stand-in that records the frames the page sends."""
    stub = SimpleNamespace(url=None, route=None, received=[])

    def accept(route):
        stub.url, stub.route = route.url, route
        route.on_message(lambda message: stub.received.append(message))

    page.route_web_socket(re.compile(r"/ws/containers/[^/]+/console"), accept)
    return stub


def wait_until(page, condition, what, timeout=10000):
    """Lets Playwright deliver the stand-in's events until condition() is true."""
    for _ in range(timeout // 50):
        if condition():
            return
        page.wait_for_timeout(50)
    raise AssertionError(f"no {what}")


@pytest.fixture
def stand_in_console(browse, users, make_container):
    """Factory: an administrator's page of a running container, whose Connect (in `mode`) opened
    a stand-in socket. Returns the page, its Console section and the stand-in."""

    def open_(mode="shell"):
        name = make_container("bwire", start=True)
        page = browse(users.erin)
        stub = stand_in(page)
        section = open_console(page, name, mode=mode)
        wait_until(page, lambda: stub.route, "socket")
        return SimpleNamespace(name=name, page=page, section=section, stub=stub)

    return open_


def resizes(stub):
    return [json.loads(frame)["resize"] for frame in stub.received if isinstance(frame, str)]


def test_the_page_speaks_the_wire(stand_in_console, live_app):
    console = stand_in_console(mode="tty")
    name, page, section, stub = console.name, console.page, console.section, console.stub
    rows, cols = page.evaluate(SIZE)
    socket = live_app.url.replace("http://", "ws://", 1) + f"/ws/containers/{name}/console"
    assert stub.url == f"{socket}?mode=tty&cols={cols}&rows={rows}"
    expect(section.locator(".console-status")).to_have_text("Connected: tty.")
    expect(section.locator(".console-nojs")).to_be_hidden()
    assert page.evaluate("document.activeElement.classList.contains('xterm-helper-textarea')")  # focus

    page.keyboard.type("é!")
    wait_until(page, lambda: b"".join(f for f in stub.received if isinstance(f, bytes)) == "é!".encode(), "keys")
    stub.route.send(b"\x1b[32mgreen\x1b[0m text\r\n")
    wait_for_screen(page, r"^green text$")

    page.set_viewport_size({"width": 700, "height": 600})
    wait_until(page, lambda: resizes(stub) and resizes(stub)[-1][0] < cols, "resize frame")
    assert resizes(stub)[-1] == page.evaluate(SIZE)[::-1]  # [cols, rows]


def test_an_ended_event_is_shown_then_reconnect_opens_a_new_socket(stand_in_console):
    console = stand_in_console()
    page, section, stub = console.page, console.section, console.stub
    first = stub.route
    first.send(json.dumps({"event": "started", "mode": "shell"}))
    first.send(json.dumps({"event": "ended", "reason": "idle", "message": "nothing was typed for 900 seconds"}))
    first.close(code=1000)
    expect(section.locator(".console-status")).to_have_text("Session ended: nothing was typed for 900 seconds.")
    section.get_by_role("button", name="Reconnect").click()
    wait_until(page, lambda: stub.route is not first, "second socket")
    expect(section.locator(".console-status")).to_have_text("Connected: shell.")


def test_a_close_without_an_ended_event_says_the_connection_dropped(stand_in_console):
    console = stand_in_console()
    section, stub = console.section, console.stub
    expect(section.locator(".console-status")).to_have_text("Connected: shell.")
    stub.route.close(code=1011)
    expect(section.locator(".console-status")).to_have_text("The connection dropped.")
    expect(section.get_by_role("button", name="Reconnect")).to_be_visible()


def test_disconnect_closes_the_socket_and_full_screen_fills_the_viewport(stand_in_console):
    console = stand_in_console()
    page, section, stub = console.page, console.section, console.stub
    rows, cols = page.evaluate(SIZE)
    section.get_by_role("button", name="Full screen").click()
    box = section.bounding_box()
    assert (box["x"], box["y"], box["width"], box["height"]) == (0, 0, 1280, 900)
    page.wait_for_function(f"(rows) => ({SIZE})()[0] > rows", arg=rows)
    wait_until(page, lambda: resizes(stub) and resizes(stub)[-1][1] > rows, "resize frame")
    section.get_by_role("button", name="Leave full screen").click()
    page.wait_for_function(f"(rows) => ({SIZE})()[0] === rows", arg=rows)
    assert page.evaluate(SIZE) == [rows, cols]

    closed = []
    stub.route.on_close(lambda code, reason: closed.append(code))
    section.get_by_role("button", name="Disconnect").click()
    expect(section.locator(".console-status")).to_have_text("Disconnected.")
    wait_until(page, lambda: closed, "close")
    assert closed == [1000]
    expect(section.get_by_role("button", name="Reconnect")).to_be_visible()


def test_copy_and_paste_go_through_the_clipboard(stand_in_console):
    console = stand_in_console()
    page, stub = console.page, console.stub
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.evaluate("navigator.clipboard.writeText('pasted-text')")
    page.keyboard.press("Control+Shift+V")
    wait_until(page, lambda: b"pasted-text" in b"".join(f for f in stub.received if isinstance(f, bytes)), "paste")

    stub.route.send(b"copy-me\r\n")
    wait_for_screen(page, r"^copy-me$")
    page.evaluate("window.lwpConsole.select(0, 0, 7)")
    page.keyboard.press("Control+Shift+C")
    assert page.evaluate("navigator.clipboard.readText()") == "copy-me"
    assert b"\x03" not in b"".join(f for f in stub.received if isinstance(f, bytes))  # not a Ctrl+C
