"""LWP benchmark: the app's latency at N containers next to raw liblxc, and its throughput.

    sh bench/run                        # N = 10, 100, 500; a fifth of them running
    sh bench/run --sizes 10,50 --repeat 20 --clients 8 --seconds 10 --json out.json

Everything happens in a private lxcpath with a private bridge (no NAT) and is removed
at the end, also on Ctrl-C. The app is served by gunicorn with the same settings as
bin/lwp-run (lwp/gunicorn_conf.py). Not part of the test suite: it prints figures.
"""

import argparse
import contextlib
import http.client
import json
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10,100,500", help="container counts, comma-separated")
    parser.add_argument("--running-fraction", type=float, default=0.2, help="share of containers started")
    parser.add_argument("--repeat", type=int, default=30, help="requests per measured route and size")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients for the throughput run")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of the throughput run")
    parser.add_argument("--json", dest="json_path", help="also write the figures to this file")
    args = parser.parse_args(argv)
    try:
        args.sizes = sorted({int(size) for size in args.sizes.split(",") if size.strip()})
    except ValueError:
        parser.error("--sizes takes whole numbers such as 10,100,500")
    if not args.sizes or min(args.sizes) < 1 or args.repeat < 1 or args.clients < 1 or args.seconds <= 0:
        parser.error("sizes, repeat, clients and seconds must be positive")
    if not 0 < args.running_fraction <= 1:
        parser.error("--running-fraction must be in (0, 1]")
    return args


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))]


def summarize(seconds):
    return {"median_ms": round(statistics.median(seconds) * 1000, 2),
            "p95_ms": round(percentile(seconds, 0.95) * 1000, 2)}


class Workspace:
    """A private data dir, lxcpath and database, set up before Django is imported."""

    def __init__(self):
        self.root = Path(tempfile.mkdtemp(prefix="lwp-bench-"))
        self.data_dir = self.root / "data"
        self.lxcpath = self.root / "lxc"
        self.database = self.data_dir / "bench.sqlite3"
        self.data_dir.mkdir()
        self.lxcpath.mkdir()
        os.environ.update(DJANGO_SETTINGS_MODULE="lwp.settings", LWP_DATA_DIR=str(self.data_dir),
                          LWP_LXC_PATH=str(self.lxcpath), DATABASE_URL=f"sqlite:///{self.database}")

    def remove(self):
        shutil.rmtree(self.root, ignore_errors=True)


def prepare_database():
    """Migrate, and return (token, session cookie) of a bench superuser."""
    import django  # noqa: PLC0415 - after the workspace set the environment

    django.setup()
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model  # noqa: PLC0415
    from django.contrib.sessions.backends.db import SessionStore  # noqa: PLC0415
    from django.core.management import call_command  # noqa: PLC0415

    from tokens.models import Token  # noqa: PLC0415

    call_command("migrate", verbosity=0)
    user = get_user_model().objects.create_superuser("bench", password=None)
    _, raw_token = Token.issue(user=user, description="benchmark")
    session = SessionStore()
    session.update({SESSION_KEY: str(user.pk), HASH_SESSION_KEY: user.get_session_auth_hash(),
                    BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend"})
    session.create()
    return raw_token, f"sessionid={session.session_key}"


class Fleet:
    """Busybox containers in the workspace's lxcpath; grows to a size, a share of them running."""

    def __init__(self, backend, bridge):
        self.backend = backend
        self.bridge = bridge
        self.names = []
        self.running = []

    def grow_to(self, count, running_fraction):
        from testing.playground import unique_name  # noqa: PLC0415

        while len(self.names) < count:
            name = unique_name("b")
            self.backend.create(name, template="busybox")
            self.backend.update_settings(name, {"network_link": self.bridge.name})
            self.names.append(name)
        wanted_running = max(1, round(count * running_fraction))
        for name in self.names:
            if len(self.running) >= wanted_running:
                break
            if name not in self.running:
                self.backend.start(name)
                self.running.append(name)


class MemorySampler(threading.Thread):
    """Samples the summed RSS of the server's processes until stopped; keeps the peak."""

    def __init__(self, server):
        super().__init__(daemon=True)
        self.server = server
        self.peak_total = 0
        self.peak_process = 0
        self.stopping = threading.Event()

    def run(self):
        while not self.stopping.wait(0.05):
            sizes = [rss_bytes(pid) for pid in self.server.process_ids()]
            self.peak_total = max(self.peak_total, sum(sizes))
            self.peak_process = max([self.peak_process, *sizes])

    def stop(self):
        self.stopping.set()
        self.join()


def rss_bytes(pid):
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def fetch(port, path, headers):
    """One GET on a fresh connection (as the sync workers' clients did: figures stay comparable)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        started = time.perf_counter()
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        response.read()
        return time.perf_counter() - started, response.status
    finally:
        connection.close()


WARM_UP_REQUESTS = 20  # enough to reach every worker: imports, first database connection


def time_route(port, path, headers, repeat):
    for _ in range(WARM_UP_REQUESTS):
        fetch(port, path, headers)
    durations = []
    for _ in range(repeat):
        elapsed, status = fetch(port, path, headers)
        if status != 200:
            raise RuntimeError(f"GET {path} answered {status}")
        durations.append(elapsed)
    return summarize(durations)


def time_raw_listing(backend, repeat):
    """liblxc's own listing with each container's state, as lxc-ls asks it (not the engine's,
    which reads states from files and so lists faster than this)."""
    import lxc  # noqa: PLC0415 - the host's python3-lxc

    durations = []
    for _ in range(repeat):
        started = time.perf_counter()
        [(container.name, container.state) for container in lxc.list_containers(config_path=backend.lxcpath,
                                                                                 as_object=True)]
        durations.append(time.perf_counter() - started)
    return summarize(durations)


def measure_size(fleet, server, auth, repeat):
    api_headers = {"private-token": auth["token"]}
    page_headers = {"Cookie": auth["cookie"]}
    running = fleet.running[0]
    sampler = MemorySampler(server)
    sampler.start()
    try:
        figures = {
            "containers": len(fleet.names),
            "running": len(fleet.running),
            "raw_list": time_raw_listing(fleet.backend, repeat),
            "api_list": time_route(server.port, "/api/v1/containers/", api_headers, repeat),
            "api_detail": time_route(server.port, f"/api/v1/containers/{running}", api_headers, repeat),
            "dashboard": time_route(server.port, "/", page_headers, repeat),
            "dashboard_fragment": time_route(server.port, "/dashboard/table/", page_headers, repeat),
        }
    finally:
        sampler.stop()
    figures["ratio_api_list_to_raw"] = round(figures["api_list"]["median_ms"] / figures["raw_list"]["median_ms"], 2)
    figures["peak_rss_total_mib"] = round(sampler.peak_total / 2**20, 1)
    figures["peak_rss_process_mib"] = round(sampler.peak_process / 2**20, 1)
    return figures


def throughput(server, auth, fleet, clients, seconds):
    """C clients alternate list and detail for T seconds; counts answers and errors."""
    headers = {"private-token": auth["token"]}
    paths = ["/api/v1/containers/", f"/api/v1/containers/{fleet.running[0]}"]
    counts = {"requests": 0, "errors": 0}
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def client(offset):
        done = errors = 0
        while time.monotonic() < deadline:
            try:
                _, status = fetch(server.port, paths[(done + offset) % 2], headers)
                errors += status != 200
            except OSError:
                errors += 1
            done += 1
        with lock:
            counts["requests"] += done
            counts["errors"] += errors

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    return {"clients": clients, "seconds": round(elapsed, 1), "requests": counts["requests"],
            "errors": counts["errors"], "requests_per_second": round(counts["requests"] / elapsed, 1)}


def print_table(results, load):
    header = (f"{'N':>5} {'run':>4} {'raw list':>9} {'API list':>15} {'app/raw':>7} {'API detail':>15} "
              f"{'dashboard':>15} {'fragment':>15} {'peak RSS':>14}")
    print(header)
    print(f"{'':>5} {'':>4} {'median':>9} {'median / p95':>15} {'':>7} {'median / p95':>15} "
          f"{'median / p95':>15} {'median / p95':>15} {'all / worker':>14}")
    for row in results:
        def pair(key):
            return f"{row[key]['median_ms']:.1f} / {row[key]['p95_ms']:.1f}"
        print(f"{row['containers']:>5} {row['running']:>4} {row['raw_list']['median_ms']:>7.1f}ms "
              f"{pair('api_list'):>15} {row['ratio_api_list_to_raw']:>7.2f} {pair('api_detail'):>15} "
              f"{pair('dashboard'):>15} {pair('dashboard_fragment'):>15} "
              f"{row['peak_rss_total_mib']:>6.0f} / {row['peak_rss_process_mib']:<4.0f}MiB")
    print("(times in ms; peak RSS of the gunicorn master and workers, in MiB)")
    if len(results) > 1:
        per_container = ", ".join(
            f"N={row['containers']}: {row['api_list']['median_ms'] / row['containers']:.3f} ms"
            for row in results)
        print(f"API list cost per container: {per_container}")
    print(f"throughput at N={load['containers']}: {load['clients']} clients for {load['seconds']} s on "
          f"list and detail: {load['requests_per_second']} requests/s, {load['errors']} errors "
          f"of {load['requests']}")


def report(results, json_path, width):
    """Print figures one per line, and write them as JSON to `json_path` when given."""
    for key, value in results.items():
        print(f"{key:{width}} {value}")
    if json_path:
        Path(json_path).write_text(json.dumps(results, indent=2) + "\n")


@contextlib.contextmanager
def served_workspace(extra_env=None):
    """A Workspace, migrated, with a private bridge and the app served as bin/lwp-run serves it
    (gunicorn and a worker), its environment plus `extra_env`; yields (auth, backend, bridge, server). Everything goes at the end."""
    workspace = Workspace()
    from testing import playground  # noqa: PLC0415

    bridge = server = None
    try:
        auth_token, cookie = prepare_database()
        from containers.engines.lxc.engine import LXCEngine  # noqa: PLC0415
        from django.conf import settings  # noqa: PLC0415

        backend = LXCEngine(str(workspace.lxcpath), lock_dir=settings.LWP_LOCK_DIR)
        bridge = playground.PrivateBridge(workspace.root).up()
        server = playground.LiveServer(database_url=f"sqlite:///{workspace.database}", workers=None,
                                       settings_module="lwp.settings", log_dir=workspace.root,
                                       extra_env=extra_env).start()
        yield {"token": auth_token, "cookie": cookie}, backend, bridge, server
    finally:
        if server:
            server.stop()
        playground.destroy_all(str(workspace.lxcpath))
        if bridge:
            bridge.down()
        workspace.remove()


def main(argv=None):
    args = parse_args(argv)
    try:
        with served_workspace() as (auth, backend, bridge, server):
            run_benchmark(args, auth, backend, bridge, server)
    except KeyboardInterrupt:
        print("interrupted; cleaning up", file=sys.stderr)
        return 130
    return 0


def run_benchmark(args, auth, backend, bridge, server):
    fleet = Fleet(backend, bridge)
    results = []
    for size in args.sizes:
        print(f"... {size} containers", file=sys.stderr, flush=True)
        fleet.grow_to(size, args.running_fraction)
        results.append(measure_size(fleet, server, auth, args.repeat))
    load = throughput(server, auth, fleet, args.clients, args.seconds)
    load["containers"] = len(fleet.names)
    print_table(results, load)
    if args.json_path:
        Path(args.json_path).write_text(json.dumps({"sizes": results, "throughput": load}, indent=2) + "\n")


if __name__ == "__main__":
    sys.exit(main())
