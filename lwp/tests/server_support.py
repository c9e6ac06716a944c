"""Run the real `bin/lwp-run` on a private data dir and a chosen bind, and stop it whole.

The script runs as a sysadmin runs it (setup, then bin/lwp-prepare: check, migrate, collectstatic,
ensureadmin, ensuretls; then exec lwp/supervisor.py, which runs gunicorn and the job workers),
with LWP_NO_LXCBR0=1 so it leaves the host's lxcbr0 alone.
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
    """bin/lwp-run (or another `command`) in its own process group; `output` is everything it printed."""

    def __init__(self, env, log_path, command=("sh", str(REPO / "bin/lwp-run"))):
        self.env = env
        self.command = list(command)
        self.log_path = Path(log_path)
        host, _, port = env.get("LWP_BIND", "127.0.0.1:5000").rpartition(":")
        self.host, self.port = host.strip("[]"), int(port)
        self.process = None

    @property
    def output(self):
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def start(self, pass_fds=()):
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(self.command, cwd=REPO, env=self.env,
                                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                                            pass_fds=pass_fds)
        return self

    def wait_listening(self, timeout=START_TIMEOUT):
        """Returns once gunicorn accepts connections; raises with the output if the script exits."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"{self.command} exited {self.process.returncode}:\n{self.output[-3000:]}")
            if "Listening at:" in self.output:
                with contextlib.suppress(OSError), socket.create_connection((self.host, self.port), timeout=2):
                    return self
            time.sleep(0.2)
        raise AssertionError(f"{self.command} did not listen in {timeout} s:\n{self.output[-3000:]}")

    def wait_exit(self, timeout=START_TIMEOUT):
        return self.process.wait(timeout)

    def pids(self):
        """The supervisor (the script exec'd it) and every process under it."""
        return [self.process.pid, *descendants(self.process.pid)]

    def stop(self, timeout=20):
        """SIGTERM to its group (the supervisor then stops its children), SIGKILL if it lingers
        (the children die with the supervisor: PR_SET_PDEATHSIG)."""
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


def children(pid):
    """The processes whose parent is `pid` (none once it is gone)."""
    found = []
    with contextlib.suppress(OSError):
        for task in os.listdir(f"/proc/{pid}/task"):
            with contextlib.suppress(OSError):
                found += [int(child) for child in Path(f"/proc/{pid}/task/{task}/children").read_text().split()]
    return found


def descendants(pid):
    found = []
    for child in children(pid):
        found += [child, *descendants(child)]
    return found


def command_line(pid):
    """The argv of `pid` as one string ("" once it is gone)."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def start_ticks(pid):
    """When `pid` started (field 22 of /proc/PID/stat), or None when there is no such process:
    with the pid, it names one process even after the pid is reused."""
    try:
        stat_line = Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return None
    return int(stat_line[stat_line.rindex(b")") + 2:].split()[19])


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
            try:
                found[str(full.relative_to(path))] = _kind_and_mode(full)
            except FileNotFoundError:
                continue  # gone since listed: SQLite drops its -shm/-wal as connections close
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
