"""What operations cost: a create through the worker next to the engine's own create, the time
from a 202 to the first log line, and short actions (start, stop, settings) that stay in the request.

    sh bench/operations                 # 20 of each
    sh bench/operations --repeat 50 --json out.json

A private lxcpath, bridge and database, removed at the end; the app runs as bin/lwp-run runs
it (gunicorn and one `manage.py lwpworker`). Not part of the test suite: it prints figures.
"""

import argparse
import http.client
import json
from datetime import datetime
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import report, served_workspace, summarize  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=20, help="creates (and actions) per measurement")
    parser.add_argument("--json", dest="json_path", help="also write the figures to this file")
    args = parser.parse_args(argv)
    if args.repeat < 3:
        parser.error("--repeat must be at least 3")
    return args


def request(port, method, path, token, body=None, headers=None):
    """One API call on a fresh connection; returns (status, decoded body, seconds)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    all_headers = {"private-token": token, "Content-Type": "application/json", **(headers or {})}
    started = time.perf_counter()
    connection.request(method, path, body=json.dumps(body) if body is not None else None, headers=all_headers)
    response = connection.getresponse()
    data = response.read()
    elapsed = time.perf_counter() - started
    connection.close()
    return response.status, json.loads(data), elapsed


def creates(port, token, backend, repeat):
    """Engine creates and synchronous API creates (through the worker), taken in turns so that
    a drift of the host (page cache, load) weighs on both alike; returns the engine's seconds, the
    API's, and for each API create what it cost beyond its own engine call (HTTP, checks, queue,
    database, waiting): its time less the span between the job's log lines around that call."""
    from testing.playground import unique_name  # noqa: PLC0415

    engine, api, added = [], [], []
    for _ in range(repeat):
        name = unique_name("e")
        started = time.perf_counter()
        backend.create(name, template="busybox")
        engine.append(time.perf_counter() - started)
        backend.destroy(name)
        name = unique_name("a")
        status, body, elapsed = request(port, "PUT", "/api/v1/containers/", token,
                                        {"name": name, "template": "busybox"})
        if status != 200:
            raise SystemExit(f"create answered {status}: {body}")
        api.append(elapsed)
        _, operation, _ = request(port, "GET", f"/api/v1/operations/{body['operation']}", token)
        added.append(elapsed - _engine_span(operation))
        backend.destroy(name)
    return engine, api, added


def _engine_span(operation):
    """Seconds between the job's "LWP: creating" and "LWP: created" lines: its engine call."""
    times = {entry["line"].split()[1]: datetime.fromisoformat(entry["time"].replace("Z", "+00:00"))
             for entry in operation["log"] if entry["line"].startswith("LWP: creat")}
    return (times["created"] - times["creating"]).total_seconds()


def first_log_lines(port, token, backend, repeat):
    """From sending an async create to seeing its first log line through the API (polling every 10 ms)."""
    from testing.playground import unique_name  # noqa: PLC0415

    seconds = []
    for _ in range(repeat):
        name = unique_name("f")
        started = time.perf_counter()
        status, body, _ = request(port, "PUT", "/api/v1/containers/", token, {"name": name, "template": "busybox"},
                                  headers={"Prefer": "respond-async"})
        if status != 202:
            raise SystemExit(f"async create answered {status}: {body}")
        while True:
            _, operation, _ = request(port, "GET", body["url"], token)
            if operation["log"]:
                seconds.append(time.perf_counter() - started)
                break
            time.sleep(0.01)
        while operation["finished"] is None:
            time.sleep(0.05)
            _, operation, _ = request(port, "GET", body["url"], token)
        backend.destroy(name)
    return seconds


def short_actions(port, token, backend, bridge, repeat):
    """start / stop / settings through the API: recorded as operations, never queued."""
    from testing.playground import unique_name  # noqa: PLC0415

    name = unique_name("s")
    backend.create(name, template="busybox")
    backend.update_settings(name, {"network_link": bridge.name})
    figures = {"start": [], "stop": [], "settings": []}
    path = f"/api/v1/containers/{name}"
    try:
        for round_number in range(repeat):
            for action in ("start", "stop"):
                status, body, elapsed = request(port, "POST", path, token, {"action": action, "force": True})
                if status != 200:
                    raise SystemExit(f"{action} answered {status}: {body}")
                figures[action].append(elapsed)
            status, body, elapsed = request(port, "PATCH", path + "/settings", token,
                                            {"description": f"round {round_number}"})
            if status != 200:
                raise SystemExit(f"settings answered {status}: {body}")
            figures["settings"].append(elapsed)
    finally:
        backend.destroy(name, force=True)
    return figures


def main(argv=None):
    args = parse_args(argv)
    try:
        with served_workspace() as (auth, backend, bridge, server):
            measure(args, auth["token"], backend, bridge, server)
    except KeyboardInterrupt:
        print("interrupted; cleaning up", file=sys.stderr)
        return 130
    return 0


def measure(args, token, backend, bridge, server):
    time.sleep(1)  # the worker registers and starts polling
    engine, through_worker, added = creates(server.port, token, backend, args.repeat)
    first_line = first_log_lines(server.port, token, backend, args.repeat)
    actions = short_actions(server.port, token, backend, bridge, args.repeat)
    results = {
        "engine_create": summarize(engine),
        "api_create_via_worker": summarize(through_worker),
        "added_by_operation": summarize(added),
        "accepted_to_first_log_line": summarize(first_line),
        **{f"api_{action}": summarize(seconds) for action, seconds in actions.items()},
    }
    report(results, args.json_path, width=32)

if __name__ == "__main__":
    sys.exit(main())
