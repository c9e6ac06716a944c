"""Run the real `bin/lwp-run` on a private data dir and a chosen bind, and stop it whole.

The script runs as a sysadmin runs it (setup, check, migrate, collectstatic, ensureadmin,
ensuretls, then exec gunicorn), with LWP_NO_LXCBR0=1 so it leaves the host's lxcbr0 alone.
"""

import contextlib
import os
import signal
import socket
import stat
import subprocess
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
START_TIMEOUT = 120  # lwp-setup's checks, migrations and collectstatic on a busy 2-core machine
ADMIN_PASSWORD = "a-Long-test-Passw0rd"


def free_port_on(address):
    with socket.socket(socket.AF_INET6 if ":" in str(address) else socket.AF_INET) as sock:
        sock.bind((str(address), 0))
        return sock.getsockname()[1]


def script_env(data_dir, bind, lxcpath, **extra):
    """The environment of a fresh install: nothing from the test settings but the lxcpath."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("LWP_", "DJANGO_")) and key != "DATABASE_URL"}
    env.update(LWP_DATA_DIR=str(data_dir), DATABASE_URL=f"sqlite:///{data_dir}/lwp.sqlite3", LWP_BIND=bind,
               LWP_LXC_PATH=str(lxcpath), LWP_ADMIN_PASSWORD=ADMIN_PASSWORD, LWP_WORKERS="2",
               LWP_NO_LXCBR0="1", **extra)
    return env


def manage(env, *args, timeout=60):
    """manage.py in its own process with the script's environment (as a sysadmin would run it)."""
    return subprocess.run([str(REPO / ".venv/bin/python"), "manage.py", *args], cwd=REPO,
                          env=dict(env, DJANGO_SETTINGS_MODULE="lwp.settings"),
                          capture_output=True, text=True, timeout=timeout)


class LwpRun:
    """bin/lwp-run in its own process group; `output` is everything it printed."""

    def __init__(self, env, log_path):
        self.env = env
        self.log_path = Path(log_path)
        host, _, port = env["LWP_BIND"].rpartition(":")
        self.host, self.port = host.strip("[]"), int(port)
        self.process = None

    @property
    def output(self):
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def start(self):
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(["sh", str(REPO / "bin/lwp-run")], cwd=REPO, env=self.env,
                                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        return self

    def wait_listening(self, timeout=START_TIMEOUT):
        """Returns once gunicorn accepts connections; raises with the output if the script exits."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"bin/lwp-run exited {self.process.returncode}:\n{self.output[-3000:]}")
            if "Listening at:" in self.output:
                with contextlib.suppress(OSError), socket.create_connection((self.host, self.port), timeout=2):
                    return self
            time.sleep(0.2)
        raise AssertionError(f"bin/lwp-run did not listen in {timeout} s:\n{self.output[-3000:]}")

    def wait_exit(self, timeout=START_TIMEOUT):
        return self.process.wait(timeout)

    def pids(self):
        """The gunicorn master (the script exec'd it) and its workers."""
        pids = [self.process.pid]
        with contextlib.suppress(OSError):
            pids += [int(pid) for pid in Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
                     .read_text().split()]
        return pids

    def stop(self, timeout=20):
        """SIGTERM to the whole group (script, gunicorn and workers), SIGKILL if it lingers."""
        if self.process is None or self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout)


@contextlib.contextmanager
def lwp_run(env, log_path):
    server = LwpRun(env, log_path).start()
    try:
        yield server.wait_listening()
    finally:
        server.stop()


def curl(*args, timeout=30):
    """curl with an argv (never a shell); returns the CompletedProcess (rc, body, error)."""
    return subprocess.run(["curl", "--silent", "--show-error", "--max-time", "20", *args],
                          capture_output=True, text=True, timeout=timeout)


def modes_under(path):
    """{relative path: (kind, mode)} for the dir itself and everything in it (symlinks not followed)."""
    path = Path(path)
    found = {".": _kind_and_mode(path)}
    for root, dirs, files in os.walk(path):
        for name in [*dirs, *files]:
            full = Path(root) / name
            found[str(full.relative_to(path))] = _kind_and_mode(full)
    return found


def _kind_and_mode(path):
    info = os.lstat(path)
    kind = "dir" if stat.S_ISDIR(info.st_mode) else "link" if stat.S_ISLNK(info.st_mode) else "file"
    return kind, stat.S_IMODE(info.st_mode)


def not_private(path):
    """Every path under `path` whose mode is not 0700 (dirs) or 0600 (anything else but symlinks)."""
    wanted = {"dir": 0o700, "file": 0o600}
    return {name: oct(mode) for name, (kind, mode) in modes_under(path).items()
            if kind in wanted and mode != wanted[kind]}
