"""A console session on the host: an engine's console command run under a new pseudo-terminal.

The engine gives the argv (ContainerEngine.console_command); a ConsoleSession runs it and is
the only holder of its terminal. Its owner (later the WebSocket consumer) relays bytes both
ways, resizes, ends a session idle for LWP_CONSOLE_IDLE seconds (idle_for(): only the user's
input and resizes count, so a forgotten `top` does not keep a root shell open), and closes it.

For an event loop: `fd` is the terminal's master end, non-blocking, for loop.add_reader(); read()
and write() never block. close() may wait up to HANGUP_GRACE seconds: run it in a thread.

The command runs as `setsid --ctty -- argv`, so it leads a session and a process group of its
own with the terminal as its controlling one (resizes then reach it as SIGWINCH, and its whole
group can be ended); Popen's start_new_session cannot give a controlling terminal, and a Python
preexec_fn is unsafe in a threaded server. close_fds=True, and an environment of its own, so
no socket, secret or setting of the server reaches it.

What ends on close: on the host, the command's whole group (lxc-attach or lxc-console and what
they forked); in the container, the shell and its foreground command, hung up with the
container-side terminal lxc-attach held. Jobs put in the background (`cmd &`, nohup) live on,
as after an SSH logout: busybox's ash, like bash without huponexit, does not hang them up.
"""

import errno
import fcntl
import os
import signal
import struct
import subprocess
import termios
import time

from lwp.exceptions import InvalidInput, InvalidState, LXCError

MAX_SIZE = 1000  # columns or rows a terminal may have
READ_CHUNK = 64 * 1024
HANGUP_GRACE = 2.0  # seconds between SIGHUP and SIGKILL on close
SESSION_WAIT = 5.0  # seconds the command may take to lead its own session
SETSID = "/usr/bin/setsid"
ENVIRONMENT = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "TERM": "xterm-256color", "LANG": "C.UTF-8"}


def check_size(cols, rows):
    """(cols, rows) when both are whole numbers from 1 to MAX_SIZE, else InvalidInput naming resize."""
    for value in (cols, rows):
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_SIZE:
            message = f"columns and rows must be whole numbers from 1 to {MAX_SIZE}"
            raise InvalidInput(f"resize: {message}", fields={"resize": message})
    return cols, rows


def _set_size(fd, cols, rows):
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


def _status(siginfo):
    """Popen's returncode from waitid's answer: the exit code, or minus the killing signal."""
    return siginfo.si_status if siginfo.si_code == os.CLD_EXITED else -siginfo.si_status


class ConsoleSession:
    """`argv` (an engine's console command) running under a pseudo-terminal of cols × rows."""

    def __init__(self, argv, *, cols=80, rows=24, clock=time.monotonic):
        if not argv or not all(isinstance(arg, str) for arg in argv):
            raise TypeError("argv must be a non-empty list of strings")
        check_size(cols, rows)
        self._clock = clock
        master, slave = os.openpty()
        try:
            _set_size(master, cols, rows)  # before the start: the command reads its size once
            self._process = subprocess.Popen(
                [SETSID, "--ctty", "--", *argv], stdin=slave, stdout=slave, stderr=slave,
                close_fds=True, env=ENVIRONMENT, cwd="/")
        except OSError as exc:
            os.close(master)
            raise LXCError(f"cannot start the console: {exc.strerror}") from None
        finally:
            os.close(slave)
        os.set_blocking(master, False)
        self._master = master
        self._exited = None  # waitid's answer once the command ended (kept unreaped until close)
        self._closed = False
        self.pid = self._process.pid
        self.started = self.last_activity = clock()
        self._await_session()

    def _await_session(self):
        """Return once the command leads its own session with the terminal as its controlling one,
        its group in the foreground (so resizes reach it and close() can end its group), or ended.

        setsid makes the session before it takes the terminal: wait for the second step too."""
        deadline = time.monotonic() + SESSION_WAIT
        while self._peek() is None and os.tcgetpgrp(self._master) != self.pid:
            if time.monotonic() > deadline:
                self.close()
                raise LXCError("the console command did not start")
            time.sleep(0.001)

    def _peek(self):
        """waitid's answer if the command ended, without reaping it: while it is a zombie its pid,
        and so its process group's id, cannot be given to another process."""
        if self._exited is None:
            self._exited = os.waitid(os.P_PID, self.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        return self._exited

    # ----- what the owner uses ---------------------------------------------------------

    @property
    def fd(self):
        """The terminal's master end (non-blocking), -1 once closed."""
        return self._master

    @property
    def alive(self):
        return not self._closed and self._peek() is None

    @property
    def returncode(self):
        """None while the command runs; then its exit code, or minus the signal that ended it."""
        if self._closed:
            return self._process.returncode
        exited = self._peek()
        return None if exited is None else _status(exited)

    def idle_for(self):
        """Seconds since the user last typed or resized."""
        return self._clock() - self.last_activity

    def read(self):
        """What the terminal printed since the last read: b"" when nothing yet, None once the
        command ended and everything it printed was read (or the session is closed)."""
        if self._closed:
            return None
        try:
            data = os.read(self._master, READ_CHUNK)
        except BlockingIOError:
            return b""
        except OSError as exc:
            if exc.errno == errno.EIO:  # Linux: no process holds the terminal any more
                return None
            raise
        return data or None

    def write(self, data):
        """Type `data` (bytes); returns how many bytes the terminal took, fewer when its buffer is
        full (send the rest when `fd` is writable). InvalidState once the session ended."""
        if not self.alive:
            raise InvalidState("the console session has ended")
        self.last_activity = self._clock()
        try:
            return os.write(self._master, data)
        except BlockingIOError:
            return 0
        except OSError as exc:
            if exc.errno == errno.EIO:
                raise InvalidState("the console session has ended") from None
            raise

    def resize(self, cols, rows):
        """Make the terminal cols × rows; the command gets SIGWINCH (lxc-attach passes it on)."""
        check_size(cols, rows)
        if not self.alive:
            raise InvalidState("the console session has ended")
        self.last_activity = self._clock()
        _set_size(self._master, cols, rows)

    def close(self, grace=HANGUP_GRACE):
        """End the command's whole process group (SIGHUP, then SIGKILL after `grace` seconds),
        reap it and close the terminal; returns its exit status. Closing twice does nothing more."""
        if self._closed:
            return self._process.returncode
        os.close(self._master)
        self._master = -1
        self._signal_group(signal.SIGHUP)
        deadline = time.monotonic() + grace
        while self._peek() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        # Also when the leader ended: what it forked may linger in its group. The leader is not
        # reaped yet, so the group's id still names this group only.
        self._signal_group(signal.SIGKILL)
        self._process.wait()
        self._closed = True
        return self._process.returncode

    def _signal_group(self, signum):
        try:
            os.killpg(self.pid, signum)
        except ProcessLookupError:  # the group is gone (or the command died before leading one)
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()
