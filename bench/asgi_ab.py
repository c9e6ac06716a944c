"""Today's server against the gunicorn sync server it replaced, paired: one request to each in turn.

    .venv/bin/python bench/asgi_ab.py --sizes 10,100 --repeat 60 --throughput 6

The sync server is served from a checkout of SYNC_REF (the last commit it served; `--sync-ref`)
extracted to a temporary directory, on the same workspace, database and containers. On a
shared, loaded host two benchmark runs minutes apart differ by more than 10 % on their own;
requests alternated between the two servers see the same load, so their ratio is the figure.
"""

import argparse
import contextlib
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import WARM_UP_REQUESTS, Fleet, fetch, served_workspace, summarize, throughput  # noqa: E402

SYNC_REF = "96d07ac"  # main before the uvicorn workers: lwp/wsgi.py under gunicorn's sync workers


@contextlib.contextmanager
def sync_server(ref, beside):
    """The app of commit `ref` under its own gunicorn config (sync workers), on `beside`'s database."""
    from testing import playground  # noqa: PLC0415

    with tempfile.TemporaryDirectory(prefix="lwp-sync-") as tree:
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref], capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", tree], input=archive, check=True)
        server = playground.LiveServer(database_url=beside.env["DATABASE_URL"], workers=None,
                                       settings_module="lwp.settings", log_dir=beside.log_path.parent, job_workers=0)
        server.root, server.app_argv = tree, ["--config", "python:lwp.gunicorn_conf", "lwp.wsgi"]
        server.start()
        try:
            yield server
        finally:
            server.stop()


def paired(servers, path, headers, repeat):
    for server in servers:
        for _ in range(WARM_UP_REQUESTS):
            fetch(server.port, path, headers)
    times = {server: [] for server in servers}
    for _ in range(repeat):
        for server in servers:
            elapsed, status = fetch(server.port, path, headers)
            if status != 200:
                raise RuntimeError(f"GET {path} answered {status}")
            times[server].append(elapsed)
    return [summarize(times[server]) for server in servers]


def paired_throughput(servers, auth, fleet, rounds):
    totals = {label: [] for label in servers}
    for _ in range(rounds):
        for label, server in servers.items():
            totals[label].append(throughput(server, auth, fleet, 8, 5.0)["requests_per_second"])
    for label, figures in totals.items():
        print(f"throughput {label}: {figures} requests/s, mean {sum(figures) / len(figures):.1f}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10,100")
    parser.add_argument("--repeat", type=int, default=60)
    parser.add_argument("--throughput", type=int, default=0, metavar="ROUNDS",
                        help="then ROUNDS x (5 s of 8 clients on each server in turn), at the largest size")
    parser.add_argument("--sync-ref", default=SYNC_REF, help="the commit whose sync server to compare with")
    args = parser.parse_args(argv)

    with served_workspace() as (auth, backend, bridge, asgi_server), sync_server(args.sync_ref, asgi_server) as sync:
        fleet = Fleet(backend, bridge)
        print(f"{'N':>4} {'route':<20} {'sync median/p95':>18} {'asgi median/p95':>18} {'asgi/sync':>9}")
        for size in sorted(int(s) for s in args.sizes.split(",")):
            fleet.grow_to(size, 0.2)
            api, page = {"private-token": auth["token"]}, {"Cookie": auth["cookie"]}
            for label, path, headers in (("api_list", "/api/v1/containers/", api),
                                         ("api_detail", f"/api/v1/containers/{fleet.running[0]}", api),
                                         ("dashboard", "/", page),
                                         ("dashboard_fragment", "/dashboard/table/", page)):
                old, new = paired([sync, asgi_server], path, headers, args.repeat)
                print(f"{size:>4} {label:<20} {old['median_ms']:>8.1f} / {old['p95_ms']:<7.1f} "
                      f"{new['median_ms']:>8.1f} / {new['p95_ms']:<7.1f} "
                      f"{new['median_ms'] / old['median_ms']:>9.2f}", flush=True)
        if args.throughput:
            paired_throughput({"sync": sync, "asgi": asgi_server}, auth, fleet, args.throughput)


if __name__ == "__main__":
    sys.exit(main())
