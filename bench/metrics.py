"""What the metrics history costs (a script, not a test): one sampling pass, and the graph data.

Creates N busybox containers (default 500, 100 of them running) in a private lxcpath on a
private bridge, then
- runs sampling passes as the worker does (metrics.sampler.sample_once), each timed in wall
  time and CPU (this process and its children): the engine's usage() pass and the RRD updates
  apart, and the CPU share of one core at LWP_METRICS_INTERVAL;
- requests a container's graph data (GET /api/v1/containers/<name>/metrics?range=...) through
  Django's test client as a superuser, for each range, median and p95 in ms.
Everything it made is removed at the end, also on Ctrl-C.

    sh bench/metrics [--containers 500] [--running 100] [--passes 10] [--rounds 30] [--json out.json]
"""

import argparse
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# Its import sets the private run dir, data dir and lxcpath up (before Django loads).
from bench.dashboard import django_workspace, make_containers  # noqa: E402
from bench.run import report, summarize  # noqa: E402


def cpu_seconds():
    """CPU used so far by this process and its reaped children (the engine may fork)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def measured(call):
    wall, cpu = time.perf_counter(), cpu_seconds()
    value = call()
    return value, time.perf_counter() - wall, cpu_seconds() - cpu


def sampling_passes(passes, interval):
    """`passes` passes at successive ticks (timestamps a step apart, so every update is taken)."""
    from containers import services  # noqa: PLC0415
    from metrics import store  # noqa: PLC0415

    engine = services.get_engine()
    figures = {"usage_wall": [], "usage_cpu": [], "store_wall": [], "store_cpu": []}
    start = int(time.time()) - passes * interval
    start -= start % interval
    for index in range(passes):
        tick = start + index * interval
        usages, wall, cpu = measured(lambda: (engine.usage(), engine.host_usage()))
        figures["usage_wall"].append(wall)
        figures["usage_cpu"].append(cpu)
        containers, host = usages
        _, wall, cpu = measured(lambda: [store.record_container(usage, tick) for usage in containers.values()]
                                + [store.record_host(host, tick)])
        figures["store_wall"].append(wall)
        figures["store_cpu"].append(cpu)
    running = len(containers)
    total_cpu = statistics.median(a + b for a, b in zip(figures["usage_cpu"], figures["store_cpu"]))
    return {
        "running containers sampled": running,
        "usage() pass wall": summarize(figures["usage_wall"]),
        "usage() pass CPU ms (median)": round(statistics.median(figures["usage_cpu"]) * 1000, 2),
        "RRD updates wall": summarize(figures["store_wall"]),
        "RRD updates CPU ms (median)": round(statistics.median(figures["store_cpu"]) * 1000, 2),
        f"CPU share of one core at {interval} s": f"{total_cpu / interval * 100:.2f} %",
        "history file bytes (each)": store.container_path(next(iter(containers))).stat().st_size,
    }


def graph_requests(client, name, rounds):
    found = {}
    for range_name in ("hour", "day", "week", "month", "year"):
        url = f"/api/v1/containers/{name}/metrics?range={range_name}"
        client.get(url)  # warm up
        seconds = []
        for _ in range(rounds):
            started = time.perf_counter()
            response = client.get(url)
            seconds.append(time.perf_counter() - started)
            assert response.status_code == 200, response.status_code
        found[f"GET metrics?range={range_name}"] = {**summarize(seconds), "points": len(response.json()["timestamps"]),
                                                    "KiB": len(response.content) // 1024}
    return found


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--containers", type=int, default=500)
    parser.add_argument("--running", type=int, default=100)
    parser.add_argument("--passes", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--json", dest="json_path", help="also write the figures to this file")
    args = parser.parse_args()
    if args.running < 1 or args.containers < args.running or args.passes < 2 or args.rounds < 1:
        parser.error("need 1 <= running <= containers, passes >= 2 and rounds >= 1")

    with django_workspace() as (admin, bridge):
        from django.conf import settings  # noqa: PLC0415
        from django.test import Client  # noqa: PLC0415

        from containers.engines import get_engine  # noqa: PLC0415

        print(f"creating {args.containers} containers ({args.running} running) ...", flush=True)
        names = make_containers(get_engine(), bridge, args.containers, args.running)
        results = {"containers": args.containers, "running": args.running, "passes": args.passes,
                   **sampling_passes(args.passes, settings.LWP_METRICS_INTERVAL)}
        client = Client()
        client.force_login(admin)
        results.update(graph_requests(client, names[0], args.rounds))
        report(results, args.json_path, 36)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(130)
