"""Deadlines for liblxc calls: each runs in a forked worker that is killed when its time is up.

python3-lxc holds the GIL inside liblxc and retries interrupted syscalls, so a
stuck container monitor would hang the calling thread for ever: neither threads
nor signals can bound it. Each guarded call therefore runs in a forked worker, in
its own session and process group, which the web process kills with everything it
started (a template, a hook) when the deadline passes.

The worker dies with the web process (PR_SET_PDEATHSIG, which follows the forking thread:
the server's view threads live as long as their process, lwp/asgi.py), so a server worker
killed by kill -9, the OOM killer or a restart leaves no call running without a deadline. A call
that changes a container (it holds the container's lock) gets more, as it may start
processes that would outlive the worker: it runs under a supervisor,

    web process ──fork──> supervisor ──fork──> worker: the call (liblxc, its template...)

which dies with the web process too, but first kills the worker's process group and
runs the caller's clean-up (a half-created container is removed) while it still holds
the container's lock. Its death signal is a SIGTERM, as is the parent's own stop (a deadline, a
cancel): the parent writes a note on a pipe before its SIGTERM, so a SIGTERM without one means
the parent is dying, even while getppid() still names it. Lock-free reads, the most frequent calls, start nothing lasting
and are spared the second fork. The worker holds none of the web process's
descriptors (listening socket, database, locks), only its result pipe and output
file; it runs with umask 022. Neither process touches the database; both leave with
os._exit so nothing of Django's runs twice.
"""

import codecs
import contextlib
import ctypes
import dataclasses
import fcntl
import functools
import gc
import os
import pickle
import select
import signal
import struct
import tempfile
import threading
import time

from lwp.exceptions import Cancelled, LWPError, LXCError, LXCTimeout

_OUTPUT_TAIL_BYTES = 4096
_HEADER = struct.Struct("!Q")
_PR_SET_PDEATHSIG = 1
# liblxc and templates create the container's files with the caller's umask: the web
# process's (077, for its data dir) would give modes lxc-create never gives (config 0600,
# a template's files unreadable to users inside the container).
_WORKER_UMASK = 0o022
# How long the supervisor gets to kill the worker's group before it is killed itself.
_STOP_GRACE = 5
# Written on the stop pipe before the parent's own SIGTERM to a supervisor.
_STOP_NOTE = b"s"
# How often a watched call (monitor=) passes on its output and asks whether to stop.
_WATCH_INTERVAL = 0.2
_RESET_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGQUIT, signal.SIGCHLD,
                  signal.SIGUSR1, signal.SIGUSR2, signal.SIGWINCH, signal.SIGTTIN, signal.SIGTTOU)


@functools.cache
def _libc():
    return ctypes.CDLL(None, use_errno=True)


def _die_with_parent(signum, parent):
    """Get `signum` when the parent dies; False if it already has (so the signal never comes)."""
    if _libc().prctl(_PR_SET_PDEATHSIG, ctypes.c_ulong(signum), 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    return os.getppid() == parent


def _default_signal_handlers():
    """The web server's handlers (gunicorn's SIGTERM, SIGCHLD...) must not run in our processes."""
    for signum in _RESET_SIGNALS:
        with contextlib.suppress(ValueError, OSError):
            signal.signal(signum, signal.SIG_DFL)


def _close_all_but(keep):
    """Close every descriptor not in `keep` (close_range(2): cheap however many are open)."""
    low = 0
    for fd in [*sorted(set(keep)), os.sysconf("SC_OPEN_MAX")]:
        if low < fd:  # an empty range would be close_range(low, ~0): every descriptor
            os.closerange(low, fd)
        low = fd + 1


def _above_stdio(fd):
    """fd, or a copy of it numbered 3 or more when it sits where stdin/stdout/stderr go."""
    return fd if fd > 2 else fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 3)


def _write_all(fd, data):
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


@dataclasses.dataclass(frozen=True)
class _Call:
    """What the supervisor and the worker need from the web process."""

    fn: object
    parent: int
    result_fd: int
    output_fd: int
    holding: tuple
    on_abandon: object
    stop_fd: int = -1  # the supervisor's end of the parent's stop notes (stop_supervisor)


def _worker_main(call, parent):
    """Runs in the worker: call fn, send ("ok", value) or ("error", exc) back, exit."""
    status = 1
    try:
        gc.disable()  # closed descriptors must not be closed again by a collected file object
        if not _die_with_parent(signal.SIGKILL, parent):
            return
        os.setsid()  # own group (stopping it stops the template too), away from the server's terminal
        _default_signal_handlers()
        signal.pthread_sigmask(signal.SIG_SETMASK, ())  # templates must not inherit blocked signals
        os.umask(_WORKER_UMASK)
        result_fd, output_fd = _above_stdio(call.result_fd), _above_stdio(call.output_fd)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.dup2(output_fd, 1)
        os.dup2(output_fd, 2)
        _close_all_but({0, 1, 2, result_fd})
        try:
            payload = ("ok", call.fn())
        except BaseException as exc:  # noqa: BLE001 - everything goes back to the parent
            payload = ("error", exc)
        try:
            data = pickle.dumps(payload)
        except Exception as exc:  # an unpicklable result is a bug: say so, do not hang
            data = pickle.dumps(("error", LXCError(f"internal error: {exc!r}")))
        # Length first: the parent stops reading at the end of the message, so a
        # grandchild (a monitor, a template's daemon) holding the pipe cannot hang it.
        _write_all(result_fd, _HEADER.pack(len(data)) + data)
        status = 0
    except BaseException:  # noqa: BLE001
        status = 1
    finally:
        os._exit(status)


def _supervisor_main(call):
    """Runs in the supervisor: start the worker, wait for it, stop it when told or orphaned."""
    status = 1
    abandoned = False
    try:
        gc.disable()  # closed descriptors must not be closed again by a collected file object
        try:
            if _die_with_parent(signal.SIGTERM, call.parent):  # SIGTERM stays blocked: sigwaitinfo takes it
                os.setsid()  # out of the server's session: a Ctrl-C on its terminal is not for us
                _default_signal_handlers()
                status, stopped = _supervise(call)
                abandoned = _orphaned(call) or (stopped and not _stop_was_asked(call))
                if call.on_abandon is not None and abandoned:
                    call.on_abandon()  # e.g. remove a half-created container, lock still held
        finally:
            if abandoned or _orphaned(call):  # nobody else will release the locks now: unlink their files
                for lock in call.holding:
                    lock.release()
    except BaseException:  # noqa: BLE001
        status = 1
    finally:
        os._exit(status)


def _close_pipes(*fds):
    for fd in fds:
        if fd >= 0:  # -1: the stop pipe of an unsupervised call, which has none
            os.close(fd)


def _orphaned(call):
    return os.getppid() != call.parent


def _stop_was_asked(call):
    """Whether the parent wrote a stop note before its SIGTERM (stop_supervisor). A SIGTERM
    without one is the death signal of the parent's thread that forked us: the parent is dying,
    although getppid() may still name it while its other threads exit (the kernel hands us to
    one of them first)."""
    readable, _, _ = select.select([call.stop_fd], [], [], 0)
    return bool(readable) and os.read(call.stop_fd, 1) == _STOP_NOTE


def _supervise(call):
    """Fork the worker, wait for it; (our exit status, which says how it ended, and whether a
    SIGTERM stopped it)."""
    devnull = os.open(os.devnull, os.O_RDWR)
    kept = {call.result_fd, call.output_fd, call.stop_fd, *(lock.fd for lock in call.holding)}
    for fd in (0, 1, 2):
        if fd not in kept:
            os.dup2(devnull, fd)
    _close_all_but(kept | {0, 1, 2})
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGCHLD})
    supervisor = os.getpid()
    worker = os.fork()
    if worker == 0:
        _worker_main(call, supervisor)
    os.close(call.result_fd)  # the worker's death alone must close the pipe
    os.close(call.output_fd)
    wait_status = _wait_or_stop(worker)
    if wait_status is None:
        return 1, True
    if os.WIFSIGNALED(wait_status):
        return 128 + os.WTERMSIG(wait_status), False
    return os.waitstatus_to_exitcode(wait_status), False


def _wait_or_stop(worker):
    """The worker's wait status; None when SIGTERM (deadline, or parent gone) stopped it first."""
    while True:
        pid, wait_status = os.waitpid(worker, os.WNOHANG)
        if pid:
            return wait_status
        # Both signals are blocked: they queue, so none can slip in between waitpid and here.
        if signal.sigwaitinfo({signal.SIGTERM, signal.SIGCHLD}).si_signo == signal.SIGTERM:
            _kill_group(worker)
            return None


def _kill_group(pid):
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, 0)


def _children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as fh:
            return [int(child) for child in fh.read().split()]
    except OSError:
        return []


# Children of finished calls, killed but not yet reaped (per process, a handful at most). The
# web worker's view threads make calls side by side: one reaps at a time, so that no pid is
# waited for by two (the second would be a stranger's once the first reaped it).
_dismissed = set()
_dismissed_lock = threading.Lock()


def _dismiss(pid):
    """The call answered: end its worker or supervisor without waiting for it to exit.

    Nothing must be undone should this process die from now on, so SIGKILL, not SIGTERM
    (the worker has nothing left to do but exit). An exit takes milliseconds (a copy of
    the web process to unmap): a later call reaps it.
    """
    os.kill(pid, signal.SIGKILL)
    with _dismissed_lock:
        _dismissed.add(pid)


def _reap_dismissed():
    with _dismissed_lock:
        for pid in list(_dismissed):
            with contextlib.suppress(ChildProcessError):
                if not os.waitpid(pid, os.WNOHANG)[0]:
                    continue
            _dismissed.discard(pid)


def _stop_supervisor(pid, stop_fd):
    """Have the supervisor kill the worker's group; kill both if it does not answer in time.
    The note first: this SIGTERM is ours, not our death signal (_stop_was_asked)."""
    with contextlib.suppress(OSError):
        os.write(stop_fd, _STOP_NOTE)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + _STOP_GRACE
    pause = 0.001
    while time.monotonic() < deadline:
        if os.waitpid(pid, os.WNOHANG)[0]:
            return
        time.sleep(pause)
        pause = min(2 * pause, 0.05)
    for worker in _children(pid):  # before its supervisor dies, while they are still its children
        _kill_group(worker)
    _kill_group(pid)


def _read_output_tail(output_file):
    if output_file is None:
        return ""
    output_file.seek(0, os.SEEK_END)
    size = output_file.tell()
    output_file.seek(max(0, size - _OUTPUT_TAIL_BYTES))
    return output_file.read().decode("utf-8", "replace")


def _pass_on_to_stderr(output_file):
    """Output of a call nobody captures goes to the server's log, as it did before workers had their own."""
    text = _read_output_tail(output_file)
    if text:
        with contextlib.suppress(OSError):
            _write_all(2, text.encode("utf-8", "replace"))


def run_with_deadline(fn, *, timeout, what, capture_output=False, holding=(), on_abandon=None, monitor=None):
    """Run fn() in a forked worker and return its result, or raise what it raised.

    On timeout the worker's process group is killed and LXCTimeout raised. With
    capture_output, the worker's stdout/stderr tail is returned as a second value.
    An exception that is not one of ours comes back as LXCError (typed, never raw).
    With `holding` (the HeldLocks of this call) or `on_abandon`, the call runs under a
    supervisor, which keeps the locks until it is done and, should this process die
    before the call finished, runs on_abandon (forked: liblxc and files, no database).
    A `monitor` (engines.base.JobMonitor) gets the output as it comes, and stops the call
    (Cancelled, its group killed) once its should_stop() says so.
    """
    supervised = bool(holding) or on_abandon is not None
    _libc()  # loaded here, never for the first time in a forked child
    _reap_dismissed()
    output_file = tempfile.TemporaryFile()
    read_fd, write_fd = os.pipe2(os.O_CLOEXEC)
    stop_read, stop_write = os.pipe2(os.O_CLOEXEC) if supervised else (-1, -1)
    call = _Call(fn=fn, parent=os.getpid(), result_fd=write_fd, output_fd=output_file.fileno(),
                 holding=tuple(holding), on_abandon=on_abandon, stop_fd=stop_read)
    # Blocked across fork: a SIGTERM for the supervisor waits until it is ready to take it.
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
    try:
        pid = os.fork()
    except OSError as exc:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        _close_pipes(read_fd, write_fd, stop_read, stop_write)
        output_file.close()
        raise LXCError(f"{what} failed: cannot fork a liblxc worker ({exc.strerror})") from None
    if pid == 0:
        os.close(read_fd)
        if supervised:
            _supervisor_main(call)
        _worker_main(call, call.parent)
    signal.pthread_sigmask(signal.SIG_SETMASK, mask)
    _close_pipes(write_fd, stop_read)
    captured = output_file if capture_output else None
    with output_file:
        reaped = False
        try:
            watch = _OutputRelay(output_file.fileno(), monitor) if monitor is not None else None
            data = _read_message(read_fd, timeout, what, captured, watch)
            if watch is not None:
                watch.relay()
            if data is not None:
                _dismiss(pid)
            else:
                _, wait_status = os.waitpid(pid, 0)  # the worker died (its supervisor says how)
            reaped = True
        finally:
            os.close(read_fd)
            if not reaped and supervised:  # timeout, or the caller was interrupted: stop it all
                _stop_supervisor(pid, stop_write)
            elif not reaped:
                _kill_group(pid)
            _close_pipes(stop_write)
        if not capture_output:
            _pass_on_to_stderr(output_file)
        output = _read_output_tail(captured)
    if data is None:
        raise LXCError(f"{what} failed: the liblxc worker died ({_describe_exit(wait_status)})",
                       output=output)
    return _unpack(data, what, output, capture_output)


class _OutputRelay:
    """Passes a call's new output to its monitor. pread, not read: the worker writes through the
    same open file, and moving the shared offset would make it write in the wrong place."""

    def __init__(self, fd, monitor):
        self.fd = fd
        self.monitor = monitor
        self.offset = 0
        self.decoder = codecs.getincrementaldecoder("utf-8")("replace")

    def relay(self):
        while chunk := os.pread(self.fd, 1 << 16, self.offset):
            self.offset += len(chunk)
            self.monitor.output(self.decoder.decode(chunk))

    def check(self, what):
        self.relay()
        if self.monitor.should_stop():
            raise Cancelled(f"{what} was cancelled")


def _read_message(read_fd, timeout, what, output_file, watch=None):
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
        wait = min(remaining, _WATCH_INTERVAL) if watch is not None else remaining
        ready = poller.poll(max(1, int(wait * 1000)))
        if watch is not None:
            watch.check(what)
        if not ready:
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
    """How the worker ended, from its supervisor's exit status (128 + N: killed by signal N)."""
    code = os.waitstatus_to_exitcode(wait_status)
    if code > 128:
        return f"killed by signal {code - 128}"
    if code < 0:  # the supervisor itself was killed
        return f"killed by signal {-code}"
    return f"exit status {code}"
