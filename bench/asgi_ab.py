"""Sync workers against the ASGI prototype, paired (ASGI-NOTES.md): one request to each in turn.

    .venv-asgi/bin/python bench/asgi_ab.py --sizes 10,100 --repeat 60

On a shared, loaded host two benchmark runs minutes apart differ by more than 10 % on their
own; requests alternated between the two servers (same workspace, database and containers)
see the same load, so their ratio is the figure to judge.
"""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.run import WARM_UP_REQUESTS, Fleet, fetch, served_workspace, summarize  # noqa: E402


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


def paired_throughput(sync_server, asgi_server, auth, fleet, rounds):
    from bench.run import throughput  # noqa: PLC0415

    totals = {"sync": [], "asgi": []}
    for _ in range(rounds):
        for label, server in (("sync", sync_server), ("asgi", asgi_server)):
            totals[label].append(throughput(server, auth, fleet, 8, 5.0)["requests_per_second"])
    for label, figures in totals.items():
        print(f"throughput {label}: {figures} requests/s, mean {sum(figures) / len(figures):.1f}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10,100")
    parser.add_argument("--repeat", type=int, default=60)
    parser.add_argument("--throughput", type=int, default=0, metavar="ROUNDS",
                        help="then ROUNDS x (5 s of 8 clients on each server in turn), at the largest size")
    args = parser.parse_args(argv)
    from testing import playground  # noqa: PLC0415

    with served_workspace() as (auth, backend, bridge, sync_server):
        asgi_server = playground.LiveServer(database_url=sync_server.env["DATABASE_URL"], workers=None,
                                            settings_module="lwp.settings", log_dir=sync_server.log_path.parent,
                                            asgi=True, job_workers=0).start()
        try:
            fleet = Fleet(backend, bridge)
            print(f"{'N':>4} {'route':<20} {'sync median/p95':>18} {'asgi median/p95':>18} {'asgi/sync':>9}")
            for size in sorted(int(s) for s in args.sizes.split(",")):
                fleet.grow_to(size, 0.2)
                api, page = {"private-token": auth["token"]}, {"Cookie": auth["cookie"]}
                for label, path, headers in (("api_list", "/api/v1/containers/", api),
                                             ("api_detail", f"/api/v1/containers/{fleet.running[0]}", api),
                                             ("dashboard", "/", page),
                                             ("dashboard_fragment", "/dashboard/table/", page)):
                    sync, asgi = paired([sync_server, asgi_server], path, headers, args.repeat)
                    print(f"{size:>4} {label:<20} {sync['median_ms']:>8.1f} / {sync['p95_ms']:<7.1f} "
                          f"{asgi['median_ms']:>8.1f} / {asgi['p95_ms']:<7.1f} "
                          f"{asgi['median_ms'] / sync['median_ms']:>9.2f}", flush=True)
            if args.throughput:
                paired_throughput(sync_server, asgi_server, auth, fleet, args.throughput)
        finally:
            asgi_server.stop()


if __name__ == "__main__":
    sys.exit(main())
