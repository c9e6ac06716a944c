"""Console sessions (containers/console.py) on real running busybox containers, both modes."""

import os
import select
import socket
import time
from pathlib import Path

import pytest

from containers.console import ConsoleSession
from containers.engines.lxc import console as lxc_console
from containers.tests.lxc_support import process_gone, wait_until
from containers.vocabulary import CONSOLE_MODES
from lwp.exceptions import ContainerNotFound, InvalidInput, InvalidName, InvalidState


def read_until(session, needle, timeout=15):
    """Everything the session printed up to and including `needle` (bytes), or a failed assert."""
    seen = b""
    deadline = time.monotonic() + timeout
    while needle not in seen:
        left = deadline - time.monotonic()
        assert left > 0, f"{needle!r} never came; the terminal showed {seen[-2000:]!r}"
        select.select([session.fd], [], [], min(left, 0.2))
        data = session.read()
        assert data is not None, f"the session ended before {needle!r}; it showed {seen[-2000:]!r}"
        seen += data
    return seen


def ready(session):
    """The session once its shell shows a prompt: what is typed before may be lost (busybox's ash
    first asks the terminal where its cursor is, and takes what comes as the answer)."""
    read_until(session, b"# ")
    return session


def activate(session):
    """A tty session once the container's console shows busybox's root shell: Enter activates its
    `askfirst` console; typed before lxc-console is connected, an Enter is lost, so type it again."""
    deadline = time.monotonic() + 15
    seen = b""
    while b"# " not in seen:
        assert time.monotonic() < deadline, f"no shell on the console; it showed {seen[-2000:]!r}"
        session.write(b"\r")
        seen += read_for(session, 0.5)
    return session


def read_for(session, seconds):
    seen = b""
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        select.select([session.fd], [], [], left)
        seen += session.read() or b""
    return seen


def run(session, command, timeout=15):
    """Type `command` and return its output up to an end marker that only its run can print."""
    session.write(command.encode() + b"; echo end-$((40+2))-mark\r")
    return read_until(session, b"end-42-mark", timeout)


def stat_fields(pid):
    """/proc/<pid>/stat after the command name: [state, ppid, pgrp, session, tty_nr, ...]."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[1].split()


def host_processes():
    """{pid: /proc/<pid>/stat fields} of every process on the host now."""
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                found[int(entry.name)] = stat_fields(entry.name)
            except (OSError, IndexError):
                pass  # ended while we looked
    return found


def fd_targets(pid):
    """What the open descriptors of `pid` point to (one closed while we look is left out)."""
    targets = []
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            targets.append(os.readlink(f"/proc/{pid}/fd/{fd}"))
        except FileNotFoundError:
            pass
    return targets


def group_members(pgid):
    return [pid for pid, fields in host_processes().items() if int(fields[2]) == pgid and fields[0] != "Z"]


def console_tools_for(name):
    """Pids of lxc-attach or lxc-console processes still working on container `name`."""
    found = []
    for pid in host_processes():
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if Path(argv[0].decode(errors="replace")).name in ("lxc-attach", "lxc-console") and name.encode() in argv:
            found.append(pid)
    return found


def container_processes(backend, name):
    """Pids of the processes in the container's pid namespace (seen from the host)."""
    namespace = os.readlink(f"/proc/{backend.info(name).pid}/ns/pid")
    found = set()
    for pid in host_processes():
        try:
            if os.readlink(f"/proc/{pid}/ns/pid") == namespace:
                found.add(pid)
        except OSError:
            pass
    return found


def running_in(backend, name, argv):
    """Pids of the container's processes running exactly `argv`."""
    wanted = b"\0".join(arg.encode() for arg in argv) + b"\0"
    found = []
    for pid in container_processes(backend, name):
        try:
            if Path(f"/proc/{pid}/cmdline").read_bytes() == wanted:
                found.append(pid)
        except OSError:
            pass
    return found


@pytest.fixture
def running(make_container):
    return make_container("con", start=True)


@pytest.fixture
def shell(backend, running):
    with ConsoleSession(backend.console_command(running, "shell")) as session:
        yield ready(session)


# ----- shell mode --------------------------------------------------------------------------------


def test_shell_runs_commands_as_root_in_the_container(shell, running):
    output = run(shell, "echo marker-$((6*7))-$(hostname)-$(id -u)")
    assert f"marker-42-{running}-0".encode() in output


def test_shell_is_a_login_shell_on_a_terminal_of_the_container_at_home(shell):
    output = run(shell, "echo home=$PWD user=$USER/$LOGNAME shell=$SHELL; tty")
    assert b"home=/root user=root/root shell=/bin/sh" in output  # busybox's passwd: root's shell is /bin/sh
    assert b"/dev/pts/" in output  # lxc-attach gave it a terminal of the container's own


def test_shell_environment_holds_nothing_of_the_servers(backend, running, monkeypatch):
    monkeypatch.setenv("LWP_CANARY_SECRET", "leaked-canary")
    monkeypatch.setenv("DJANGO_CANARY", "leaked-canary")
    with ConsoleSession(backend.console_command(running, "shell")) as session:
        output = run(ready(session), "env")
    assert b"TERM=xterm-256color" in output and b"HOME=/root" in output
    assert b"leaked-canary" not in output
    assert b"LWP_" not in output and b"DJANGO" not in output


def test_stty_size_follows_resize(shell):
    assert b"\n24 80" in run(shell, "stty size")
    shell.resize(100, 40)
    assert b"\n40 100" in run(shell, "stty size")


def test_a_session_can_start_at_a_given_size(backend, running):
    with ConsoleSession(backend.console_command(running, "shell"), cols=132, rows=50) as session:
        assert b"\n50 132" in run(ready(session), "stty size")


@pytest.mark.parametrize("cols, rows", [(0, 24), (80, 0), (1001, 24), (80, 1001), (True, 24), (80.0, 24),
                                        ("80", 24), (-1, 24)])
def test_a_size_out_of_range_is_refused_and_changes_nothing(shell, cols, rows):
    with pytest.raises(InvalidInput) as refusal:
        shell.resize(cols, rows)
    assert "resize" in refusal.value.fields
    assert b"\n24 80" in run(shell, "stty size")


def test_the_command_leads_its_own_session_on_the_terminal_and_holds_none_of_the_servers_sockets(backend, running):
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        os.set_inheritable(listener.fileno(), True)  # even an inheritable one must not reach it
        inode = os.fstat(listener.fileno()).st_ino
        with ConsoleSession(backend.console_command(running, "shell")) as session:
            fields = stat_fields(session.pid)
            _state, _ppid, pgrp, sid, tty_nr, foreground = fields[:6]
            ready(session)
            targets = fd_targets(session.pid)
    # From the start: the pty is its controlling terminal, its group in the foreground (resizes reach it).
    assert int(pgrp) == int(sid) == int(foreground) == session.pid, fields
    assert int(tty_nr) != 0, fields
    assert f"socket:[{inode}]" not in targets


def test_close_leaves_no_process_behind_on_the_host_or_in_the_container(backend, running):
    session = ready(ConsoleSession(backend.console_command(running, "shell")))
    session.write(b"sleep 1000\r")  # a command still running in the foreground
    sleeps = wait_until(lambda: running_in(backend, running, ["sleep", "1000"]), 10)
    assert len(sleeps) == 1
    shell = int(stat_fields(sleeps[0])[1])  # its parent: the shell
    assert shell in container_processes(backend, running)
    assert console_tools_for(running)
    pid = session.pid
    session.close()
    assert process_gone(pid)
    assert group_members(pid) == []
    assert console_tools_for(running) == []
    # The shell and its command ended with the hangup of their terminal in the container.
    assert process_gone(sleeps[0]) and process_gone(shell)
    assert session.fd == -1 and not session.alive and session.read() is None
    assert session.close() == session.returncode  # a second close does nothing more


def test_a_shell_that_exits_ends_the_session_with_its_status(shell):
    shell.write(b"exit 3\r")
    assert wait_until(lambda: not shell.alive, 10)
    assert shell.returncode == 3
    assert shell.close() == 3
    with pytest.raises(InvalidState):
        shell.write(b"echo too late\r")


def test_reads_never_block_and_say_when_nothing_came(shell):
    assert wait_until(lambda: shell.read() == b"", 5)
    started = time.monotonic()
    assert shell.read() == b""
    assert time.monotonic() - started < 0.1


def test_only_typing_and_resizing_count_as_activity(backend, running):
    now = [1000.0]
    with ConsoleSession(backend.console_command(running, "shell"), clock=lambda: now[0]) as session:
        now[0] += 30
        ready(session)  # output is not activity
        assert session.idle_for() == 30
        session.write(b"\r")
        assert session.idle_for() == 0
        now[0] += 5
        session.resize(81, 25)
        assert session.idle_for() == 0
        now[0] += 7
        assert session.idle_for() == 7


# ----- tty mode ----------------------------------------------------------------------------------


def test_tty_connects_to_the_containers_own_console(backend, running):
    with ConsoleSession(backend.console_command(running, "tty")) as session:
        output = run(activate(session), "tty; echo tty-$((6*7))-$(hostname)")
    assert f"tty-42-{running}".encode() in output
    assert b"/dev/console" in output


def test_closing_a_tty_session_ends_lxc_console_and_keeps_the_containers_console(backend, running):
    session = ConsoleSession(backend.console_command(running, "tty"))
    run(activate(session), "echo first")
    pid = session.pid
    session.close()
    assert process_gone(pid) and group_members(pid) == [] and console_tools_for(running) == []
    with ConsoleSession(backend.console_command(running, "tty")) as again:  # the same console, reachable again
        assert b"again-42" in run(activate(again), "echo again-$((40+2))")


def test_ctrl_a_q_does_not_detach_a_tty_session(backend, running):
    with ConsoleSession(backend.console_command(running, "tty")) as session:
        run(activate(session), "echo ready")
        session.write(b"\x01q")  # lxc-console's default escape; turned off (-e -1)
        time.sleep(0.5)
        assert session.alive
        session.write(b"\x15")  # Ctrl+u: drop the typed q
        assert b"still-42" in run(session, "echo still-$((40+2))")


# ----- refusals ----------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", CONSOLE_MODES)
def test_a_stopped_container_has_no_console(backend, make_container, mode):
    name = make_container("con")
    with pytest.raises(InvalidState, match="STOPPED"):
        backend.console_command(name, mode)


@pytest.mark.parametrize("mode", ["bash", "sh", "tty0", "shell;reboot", "", None, 1])
def test_an_unknown_mode_is_refused(backend, running, mode):
    with pytest.raises(InvalidInput) as refusal:
        backend.console_command(running, mode)
    assert "mode" in refusal.value.fields


@pytest.mark.parametrize("name", ["a;reboot", "$(reboot)", "a b", "-n", "../x", "a\n", "`id`", "a|b", "a&&b"])
def test_a_name_with_shell_metacharacters_is_refused(backend, name):
    with pytest.raises(InvalidName):
        backend.console_command(name, "shell")


def test_an_unknown_container_has_no_console(backend):
    with pytest.raises(ContainerNotFound):
        backend.console_command("con-nobody", "shell")


def test_each_mode_of_the_vocabulary_has_a_command():
    assert set(lxc_console.COMMANDS) == set(CONSOLE_MODES)



def test_the_console_admits_one_tty_session_at_a_time_and_shell_sessions_beside_it(backend, running):
    with ConsoleSession(backend.console_command(running, "tty")) as first:
        activate(first)
        with ConsoleSession(backend.console_command(running, "tty")) as second:
            assert wait_until(lambda: not second.alive, 10)  # liblxc refuses a second client of tty 0
            assert second.returncode == 1
            assert b"Denied access to tty" in read_for(second, 0.5)
        with ConsoleSession(backend.console_command(running, "shell")) as shell:
            assert b"beside-42" in run(ready(shell), "echo beside-$((40+2))")
        assert b"first-42" in run(first, "echo first-$((40+2))")
