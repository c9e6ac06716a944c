"""Deadlines and per-container locks for liblxc calls.

python3-lxc holds the GIL inside liblxc and retries interrupted syscalls, so a
stuck container monitor would hang the calling thread for ever: neither threads
nor signals can bound it. Each guarded call therefore runs in a forked child of
the web process, which the parent kills (with everything it started, such as a
template script) when the deadline passes. The child never touches the database
and leaves with os._exit so nothing of Django's runs twice.
"""

import contextlib
import errno
import fcntl
import hashlib
import os
import pickle
import select
import struct
import signal
import tempfile
import time

from containers.exceptions import ContainerBusy, LWPError, LXCError, LXCTimeout

_OUTPUT_TAIL_BYTES = 4096
_HEADER = struct.Struct("!Q")


def _write_all(fd, data):
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _child_main(fn, result_fd, output_file):
    """Runs in the child: call fn, send ("ok", value) or ("error", exc) back, exit."""
    status = 0
    try:
        os.setsid()  # own process group: a timeout kills the template with us
        # The web server's handlers (gunicorn's SIGTERM/SIGCHLD...) must not run here.
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGQUIT,
                       signal.SIGCHLD, signal.SIGUSR1, signal.SIGUSR2):
            with contextlib.suppress(ValueError, OSError):
                signal.signal(signum, signal.SIG_DFL)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        if output_file is not None:
            os.dup2(output_file.fileno(), 1)
            os.dup2(output_file.fileno(), 2)
        try:
            payload = ("ok", fn())
        except BaseException as exc:  # noqa: BLE001 - everything goes back to the parent
            payload = ("error", exc)
        try:
            data = pickle.dumps(payload)
        except Exception as exc:  # an unpicklable result is a bug: say so, do not hang
            data = pickle.dumps(("error", LXCError(f"internal error: {exc!r}")))
        # Length first: the parent stops reading at the end of the message, so a
        # grandchild (a monitor, a template's daemon) holding the pipe cannot hang it.
        _write_all(result_fd, _HEADER.pack(len(data)) + data)
    except BaseException:  # noqa: BLE001
        status = 1
    finally:
        os._exit(status)


def _read_output_tail(output_file):
    if output_file is None:
        return ""
    output_file.seek(0, os.SEEK_END)
    size = output_file.tell()
    output_file.seek(max(0, size - _OUTPUT_TAIL_BYTES))
    return output_file.read().decode("utf-8", "replace")


def _kill_child(pid):
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, 0)


def run_with_deadline(fn, *, timeout, what, capture_output=False):
    """Run fn() in a forked child and return its result, or raise what it raised.

    On timeout the child's process group is killed and LXCTimeout raised. With
    capture_output, the child's stdout/stderr tail is returned as a second value.
    An exception that is not one of ours comes back as LXCError (typed, never raw).
    """
    output_file = tempfile.TemporaryFile() if capture_output else None
    read_fd, write_fd = os.pipe2(os.O_CLOEXEC)
    try:
        pid = os.fork()
    except OSError as exc:
        os.close(read_fd)
        os.close(write_fd)
        raise LXCError(f"{what} failed: cannot fork a liblxc worker ({exc.strerror})") from None
    if pid == 0:
        os.close(read_fd)
        _child_main(fn, write_fd, output_file)
    os.close(write_fd)
    reaped = False
    try:
        data = _read_message(read_fd, pid, timeout, what, output_file)
        _, wait_status = os.waitpid(pid, 0)
        reaped = True
    finally:
        os.close(read_fd)
        if not reaped:  # timeout, or the caller was interrupted: never leave the child behind
            _kill_child(pid)
    output = _read_output_tail(output_file)
    if output_file is not None:
        output_file.close()
    if data is None:
        raise LXCError(f"{what} failed: the liblxc worker died ({_describe_exit(wait_status)})",
                       output=output)
    return _unpack(data, what, output, capture_output)


def _read_message(read_fd, pid, timeout, what, output_file):
    """The child's length-prefixed message; None when it exited without one."""
    poller = select.poll()
    poller.register(read_fd, select.POLLIN)
    buffer = b""
    expected = None
    deadline = time.monotonic() + timeout
    while expected is None or len(buffer) < expected:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise LXCTimeout(f"{what} did not finish within {timeout:g} s and was stopped",
                             output=_read_output_tail(output_file))
        if not poller.poll(max(1, int(remaining * 1000))):
            continue
        chunk = os.read(read_fd, 1 << 16)
        if not chunk:
            return None
        buffer += chunk
        if expected is None and len(buffer) >= _HEADER.size:
            expected = _HEADER.size + _HEADER.unpack_from(buffer)[0]
    return buffer[_HEADER.size:expected]


def _unpack(data, what, output, capture_output):
    try:
        status, value = pickle.loads(data)
    except Exception as exc:  # noqa: BLE001 - e.g. an exception class that cannot be rebuilt
        raise LXCError(f"{what} failed: unreadable result from the liblxc worker ({exc!r})",
                       output=output) from None
    if status == "error":
        if isinstance(value, LXCError) and output and not value.output:
            value.output = output
            value.args = (value.message, value.fields, output)
        if not isinstance(value, LWPError):
            raise LXCError(f"{what} failed: {type(value).__name__}: {value}", output=output) from value
        raise value
    return (value, output) if capture_output else value


def _describe_exit(wait_status):
    if os.WIFSIGNALED(wait_status):
        return f"killed by signal {os.WTERMSIG(wait_status)}"
    return f"exit status {os.waitstatus_to_exitcode(wait_status)}"


class ContainerLocks:
    """One operation at a time per container, across every process of the server.

    flock on a file per (lxcpath, name): the kernel drops it when its holder dies,
    so a killed worker never leaves a container locked. The file is opened
    close-on-exec, so templates and monitors never inherit the lock.
    """

    def __init__(self, lock_dir, lxcpath):
        digest = hashlib.sha256(os.fsencode(lxcpath)).hexdigest()[:16]
        self.directory = os.path.join(lock_dir, digest)

    def path_for(self, name):
        return os.path.join(self.directory, f"{name}.lock")

    @contextlib.contextmanager
    def hold(self, names, *, wait):
        """Hold the locks of `names` (sorted, so two holders never deadlock)."""
        os.makedirs(self.directory, mode=0o700, exist_ok=True)
        with contextlib.ExitStack() as stack:
            deadline = time.monotonic() + wait
            for name in sorted(set(names)):
                fd = os.open(self.path_for(name), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
                stack.callback(os.close, fd)
                self._acquire(fd, name, deadline, wait)
            yield

    @staticmethod
    def _acquire(fd, name, deadline, wait):
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except OSError as exc:
                if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN):
                    raise
            if time.monotonic() >= deadline:
                raise ContainerBusy(
                    f"container {name!r} is busy with another operation; "
                    f"still busy after {wait:g} s, try again shortly")
            time.sleep(0.05)

    def is_held(self, name):
        """True when some process holds the lock of `name` (for tests and health checks)."""
        try:
            fd = os.open(self.path_for(name), os.O_RDWR | os.O_CLOEXEC)
        except FileNotFoundError:
            return False
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            fcntl.flock(fd, fcntl.LOCK_UN)
            return False
        except OSError:
            return True
        finally:
            os.close(fd)
