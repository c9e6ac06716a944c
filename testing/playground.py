"""A private LXC playground for tests and benchmarks: lxcpath, bridge, busybox containers.

Nothing here touches the host's own containers or its lxcbr0: each run gets its
own lxcpath and its own bridge, served by its own dnsmasq (DHCP only, no DNS,
no NAT), and everything is removed at the end even when a test failed.
"""

import contextlib
import ipaddress
import os
import random
import shutil
import signal
import subprocess
import time
import uuid
from pathlib import Path

COMMAND_TIMEOUT = 30


def run(argv, **kwargs):
    """Run a fixed argv (never a shell) with a timeout; raises on failure."""
    return subprocess.run(argv, check=True, capture_output=True, text=True,
                          timeout=kwargs.pop("timeout", COMMAND_TIMEOUT), **kwargs)


def wait_for(condition, what, timeout):
    """condition()'s first true value, polled until `timeout` seconds have passed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"no {what} within {timeout} s")


def unique_name(prefix="t"):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def _used_networks():
    out = run(["ip", "-4", "-o", "addr", "show"]).stdout
    return [ipaddress.ip_interface(line.split()[3]).network for line in out.splitlines()]


def _free_subnet():
    used = _used_networks()
    for _ in range(200):
        candidate = ipaddress.ip_network(f"10.{random.randint(100, 250)}.{random.randint(0, 255)}.0/24")
        if not any(candidate.overlaps(net) for net in used):
            return candidate
    raise RuntimeError("no free 10.x.y.0/24 subnet for a test bridge")


class PrivateBridge:
    """A Linux bridge with dnsmasq handing out addresses on a private /24, and no NAT."""

    def __init__(self, workdir):
        self.name = f"lwpt{uuid.uuid4().hex[:6]}"
        self.subnet = _free_subnet()
        hosts = list(self.subnet.hosts())
        self.address = hosts[0]
        self.workdir = Path(workdir)
        self.pid_file = self.workdir / f"{self.name}.dnsmasq.pid"
        self.lease_file = self.workdir / f"{self.name}.leases"

    def up(self):
        run(["ip", "link", "add", self.name, "type", "bridge"])
        try:
            run(["ip", "addr", "add", f"{self.address}/{self.subnet.prefixlen}", "dev", self.name])
            run(["ip", "link", "set", self.name, "up"])
            hosts = list(self.subnet.hosts())
            run(["dnsmasq", "--conf-file=/dev/null", "--strict-order", "--bind-interfaces",
                 "--port=0", "--no-resolv", "--no-hosts",
                 f"--pid-file={self.pid_file}", f"--dhcp-leasefile={self.lease_file}",
                 f"--listen-address={self.address}", f"--interface={self.name}",
                 "--except-interface=lo",
                 f"--dhcp-range={hosts[1]},{hosts[-1]},255.255.255.0,1h",
                 "--dhcp-authoritative", "--dhcp-no-override"])
        except Exception:
            self.down()
            raise
        return self

    def down(self):
        with contextlib.suppress(OSError, ValueError):
            os.kill(int(self.pid_file.read_text().strip()), signal.SIGTERM)
        with contextlib.suppress(subprocess.SubprocessError):
            run(["ip", "link", "del", self.name])


def destroy_all(lxcpath):
    """Stop and destroy every container under lxcpath (the test run's own), then remove it."""
    import lxc  # noqa: PLC0415 - test support, python3-lxc only

    if not os.path.isdir(lxcpath):
        return
    for name in lxc.list_containers(config_path=lxcpath):
        with contextlib.suppress(Exception):
            container = lxc.Container(name, lxcpath)
            if container.state == "FROZEN":
                container.unfreeze()
            if container.running:
                container.stop()
                container.wait("STOPPED", 10)
            for snapshot in container.snapshot_list() or ():
                container.snapshot_destroy(snapshot[0])
            container.destroy()
    for _ in range(20):
        with contextlib.suppress(OSError):
            shutil.rmtree(lxcpath)
        if not os.path.exists(lxcpath):
            return
        time.sleep(0.2)


def free_port():
    import socket  # noqa: PLC0415

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url(settings_dict):
    """The DATABASE_URL (as lwp.settings reads it) of a Django DATABASES entry."""
    from urllib.parse import quote, urlencode  # noqa: PLC0415

    if settings_dict["ENGINE"].endswith("sqlite3"):
        return f"sqlite://{quote(str(settings_dict['NAME']))}"  # an absolute path: sqlite:///var/...
    user = quote(settings_dict["USER"], safe="")
    if settings_dict["PASSWORD"]:
        user += ":" + quote(settings_dict["PASSWORD"], safe="")
    host = settings_dict["HOST"]
    on_socket = host.startswith("/")  # a Unix socket dir goes in ?host=, as lwp.settings reads it
    port = f":{settings_dict['PORT']}" if settings_dict["PORT"] else ""
    query = "?" + urlencode({"host": host}) if on_socket else ""
    return f"postgres://{user}@{'' if on_socket else host}{port}/{quote(settings_dict['NAME'], safe='')}{query}"


def current_test_database_url():
    """The test database's URL: by now pytest-django has set its NAME, SQLite or PostgreSQL."""
    from django.conf import settings  # noqa: PLC0415 - Django is set up only in the tests

    return database_url(settings.DATABASES["default"])


class LiveServer:
    """The app served by gunicorn exactly as bin/lwp-run serves it, on a loopback port.

    It shares the test database with the tests unless given another DATABASE_URL.
    """

    def __init__(self, *, database_url=None, workers=2, extra_env=None, settings_module="testing.settings",
                 log_dir=None, port=None, job_workers=1):
        self.port = port or free_port()  # a port: serve again where a stopped server was
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = dict(os.environ, DJANGO_SETTINGS_MODULE=settings_module,
                        LWP_BIND=f"127.0.0.1:{self.port}",
                        DATABASE_URL=database_url or current_test_database_url(), LWP_TEST_TASKS="database",
                        # Its own queue: its workers take its jobs only, not another server's on the same database.
                        LWP_JOB_QUEUE=f"lwp-{self.port}",
                        **(extra_env or {}))
        if workers:  # None: as many as bin/lwp-run starts
            self.env["LWP_WORKERS"] = str(workers)
        else:
            self.env.pop("LWP_WORKERS", None)
        self.log_path = Path(log_dir or os.environ["LWP_TEST_RUN_DIR"]) / f"gunicorn-{self.port}.log"
        self.process = None
        # What gunicorn runs, and from where: bench/asgi_ab.py serves an older checkout beside this one.
        self.root = Path(__file__).resolve().parent.parent
        self.app_argv = ["--config", "python:lwp.gunicorn_conf", "lwp.asgi:application"]
        self.job_workers = [JobWorker(self.env, self.log_path.with_name(f"worker-{self.port}-{n}.log"))
                            for n in range(job_workers)]

    def process_ids(self):
        """The gunicorn master and its workers, for memory figures."""
        if not self.process:
            return []
        pids = [self.process.pid]
        with contextlib.suppress(OSError):
            for task in os.listdir(f"/proc/{self.process.pid}/task"):
                children = Path(f"/proc/{self.process.pid}/task/{task}/children").read_text().split()
                pids += [int(child) for child in children]
        return pids

    def start(self, timeout=30):
        import sys  # noqa: PLC0415
        import urllib.error  # noqa: PLC0415
        import urllib.request  # noqa: PLC0415

        for worker in self.job_workers:
            worker.start()
        gunicorn = str(Path(sys.executable).with_name("gunicorn"))
        log = open(self.log_path, "ab")  # noqa: SIM115 - handed to the child
        self.process = subprocess.Popen(
            [gunicorn, *self.app_argv], cwd=self.root, env=self.env, stdout=log, stderr=log,
            start_new_session=True)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {self.log_path.read_text()[-2000:]}")
            try:
                # One probe, waited for: a slow first answer (a loaded host) is not left running
                # beside the tests' requests (LWP_WORKER_THREADS counts it).
                urllib.request.urlopen(self.url + "/login/", timeout=timeout)
                return self
            except urllib.error.HTTPError:  # any HTTP answer means it is serving
                return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("gunicorn did not answer in time")

    def stop(self, timeout=15):
        stop_process(self.process, timeout)
        for worker in self.job_workers:
            worker.stop(timeout)

    def log_text(self):
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def stop_process(process, timeout=15):
    """SIGTERM, then SIGKILL to its whole session if it has not exited within `timeout`."""
    if process and process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout)


class JobWorker:
    """A worker (manage.py lwpworker) as bin/lwp-run starts it, running the queued operations."""

    def __init__(self, env, log_path):
        self.env = env
        self.log_path = Path(log_path)
        self.process = None

    def start(self):
        import sys  # noqa: PLC0415

        log = open(self.log_path, "ab")  # noqa: SIM115 - handed to the child
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "lwpworker"], cwd=Path(__file__).resolve().parent.parent,
            env=self.env, stdout=log, stderr=log, start_new_session=True)
        log.close()
        return self

    def kill(self):
        """kill -9, as the OOM killer would."""
        self.process.kill()
        self.process.wait(15)

    def stop(self, timeout=15):
        stop_process(self.process, timeout)

    def log_text(self):
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
