"""The panel's processes as one: gunicorn and LWP_JOB_WORKERS workers (manage.py lwpworker).

`bin/lwp-run` and the systemd unit (bin/lwp-service) exec `python -m lwp.supervisor`. It starts
the web server and the workers, starts a new worker when one exits (after a pause that grows
while workers keep dying young, so a broken one does not spin), and stops them together: when
gunicorn exits, or on SIGTERM, SIGINT or SIGHUP, every child gets SIGTERM and LWP_STOP_GRACE
seconds (a worker finishes its current job), then SIGKILL; a second signal kills at once. It
exits with gunicorn's status, so a web server that died shows as a failure to systemd.

Each child runs in its own process group: a Ctrl-C in the terminal reaches the supervisor only
(a worker that got SIGINT and then our SIGTERM would abort its job), and SIGKILL to the group
also takes gunicorn's own workers when their master is gone. A child dies with the supervisor
(PR_SET_PDEATHSIG) if the supervisor itself is killed: gunicorn gets SIGTERM, its own graceful
stop that takes its workers along (a killed master would leave them listening); a worker gets
SIGKILL, as waiting for its job would keep it running unsupervised, and the supervisor that
deadline.py forks beside each liblxc call then undoes that job. The children's own helpers
(deadline.py's, liblxc's) are theirs to fork and to stop.
"""

import ctypes
import importlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from lwp.datadir import use_private_umask

BASE_DIR = Path(__file__).resolve().parent.parent
STOP_SIGNALS = {signal.SIGTERM, signal.SIGINT, signal.SIGHUP}
# A worker that exits sooner than this after its start died young: the pause before the next
# one doubles (FIRST_PAUSE, 2x... up to MAX_PAUSE); one that ran longer is replaced after FIRST_PAUSE.
YOUNG = 10.0
FIRST_PAUSE = 0.5
MAX_PAUSE = 10.0

_PR_SET_PDEATHSIG = 1
_libc = ctypes.CDLL(None, use_errno=True)  # loaded here: the child must not dlopen between fork and exec


def log(message):
    print(f"lwp: {message}", file=sys.stderr, flush=True)


def describe(returncode):
    return f"was killed by {signal.Signals(-returncode).name}" if returncode < 0 else f"exited with status {returncode}"


def exit_status(returncode):
    """A shell's figure for the child's end: its status, or 128 + the signal that killed it."""
    return 128 - returncode if returncode < 0 else returncode


def _in_child(death_signal, parent):
    """Runs in the child between fork and exec (the supervisor has one thread, so this is safe)."""
    signal.pthread_sigmask(signal.SIG_SETMASK, ())  # the signals the supervisor waits for are its own
    if _libc.prctl(_PR_SET_PDEATHSIG, ctypes.c_ulong(death_signal), 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    if os.getppid() != parent:  # the supervisor died before prctl: the signal would never come
        os.kill(os.getpid(), death_signal)


class Child:
    def __init__(self, name, argv, death_signal):
        self.name, self.argv, self.death_signal = name, argv, death_signal
        self.process = None
        self.started = 0.0
        self.pause = 0.0  # before the next start, after an exit
        self.restart_at = None  # when the next start is due, once an exit has been seen

    def start(self):
        parent = os.getpid()
        # close_fds (the default): nothing of the supervisor's but stdio reaches the child.
        self.process = subprocess.Popen(self.argv, cwd=BASE_DIR, stdin=subprocess.DEVNULL, process_group=0,
                                        preexec_fn=lambda: _in_child(self.death_signal, parent))
        self.started = time.monotonic()
        self.restart_at = None

    def exited(self):
        """True once the process has ended (it is then reaped); False while it runs or before a start."""
        return self.process is not None and self.process.poll() is not None

class Supervisor:
    def __init__(self, web_argv, worker_argv, workers, grace):
        self.web = Child("gunicorn", web_argv, signal.SIGTERM)
        self.workers = [Child(f"worker {n}", worker_argv, signal.SIGKILL) for n in range(1, workers + 1)]
        self.grace = grace

    def run(self):
        """Serve until gunicorn exits or a stop signal comes; returns the exit status."""
        # Blocked, the signals queue up for sigtimedwait: no handler runs between two steps.
        signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS | {signal.SIGCHLD})
        self.web.start()
        for worker in self.workers:
            worker.start()
        while True:
            due = [worker.restart_at for worker in self.workers if worker.restart_at is not None]
            timeout = max(0.0, min(due) - time.monotonic()) if due else 3600
            got = signal.sigtimedwait(STOP_SIGNALS | {signal.SIGCHLD}, timeout)
            if got is not None and got.si_signo != signal.SIGCHLD:
                return self.stop(f"got {signal.Signals(got.si_signo).name}")
            if self.web.exited():
                return self.stop(f"gunicorn {describe(self.web.process.returncode)}")
            self._replace_workers()

    def _replace_workers(self):
        now = time.monotonic()
        for worker in self.workers:
            if worker.restart_at is not None and worker.restart_at <= now:
                worker.start()
            elif worker.restart_at is None and worker.exited():
                lived = now - worker.started
                worker.pause = min(MAX_PAUSE, worker.pause * 2 or FIRST_PAUSE) if lived < YOUNG else FIRST_PAUSE
                worker.restart_at = now + worker.pause
                log(f"{worker.name} (pid {worker.process.pid}) {describe(worker.process.returncode)} "
                    f"after {lived:.1f} s; starting another in {worker.pause:.1f} s")

    def stop(self, reason):
        """SIGTERM to every child's group, LWP_STOP_GRACE seconds to end, then SIGKILL to what is left."""
        children = [self.web, *self.workers]
        log(f"{reason}: stopping gunicorn and the workers (up to {self.grace} s)")
        self._signal_groups(signal.SIGTERM)
        deadline = time.monotonic() + self.grace
        while not all(child.exited() for child in children):
            left = deadline - time.monotonic()
            if left <= 0:
                log(f"still running after {self.grace} s: killing")
                break
            got = signal.sigtimedwait(STOP_SIGNALS | {signal.SIGCHLD}, left)
            if got is not None and got.si_signo != signal.SIGCHLD:
                log(f"got {signal.Signals(got.si_signo).name} again: killing")
                break
        self._signal_groups(signal.SIGKILL)
        for child in children:
            child.process.wait()
        status = exit_status(self.web.process.returncode)
        log(f"stopped; exiting with gunicorn's status {status}")
        return status

    def _signal_groups(self, signum):
        """To the group of each child still running, and to gunicorn's in any case: its workers
        outlive a master that was killed. (A group left empty frees its number for reuse.)"""
        groups = {child.process.pid for child in self.workers if not child.exited()} | {self.web.process.pid}
        for group in groups:
            try:
                os.killpg(group, signum)
            except ProcessLookupError:
                pass


def main():
    use_private_umask()  # as bin/lwp-run and the unit set it: what the children create is root's alone
    name = os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lwp.settings")
    try:
        settings = importlib.import_module(name)
    except ImproperlyConfigured as exc:
        log(str(exc))
        return 2
    python = sys.executable
    supervisor = Supervisor(
        web_argv=[str(Path(python).with_name("gunicorn")), "--config", "python:lwp.gunicorn_conf", "lwp.asgi:application"],
        worker_argv=[python, str(BASE_DIR / "manage.py"), "lwpworker"],
        workers=settings.LWP_JOB_WORKERS, grace=settings.LWP_STOP_GRACE)
    return supervisor.run()


if __name__ == "__main__":
    sys.exit(main())
