"""Fork safety of the server's view threads: start/stop loops through the HTTP API.

    .venv/bin/python bench/forkloop.py --rounds 20 [--containers 3]

One client per container runs start, GET detail, stop, GET list in a loop, all at once, while
another polls the list: several liblxc calls fork from each server process at the same time.
Counts answers other than 200, the slowest request, and checks every container is stopped
and no liblxc worker is left behind.
"""

import argparse
import contextlib
import json
import os
import sys
import threading
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.run import served_workspace  # noqa: E402


def call(port, token, method, path, body=None):
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method,
                                     data=json.dumps(body).encode() if body else None,
                                     headers={"private-token": token, "Content-Type": "application/json"})
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            response.read()
            status = response.status
    except urllib.error.HTTPError as exc:
        status = exc.code
        print(f"{method} {path}: {status} {exc.read()[:200]!r}", file=sys.stderr)
    return status, time.perf_counter() - started


def descendants(pid):
    """The command names of every process under pid (the gunicorn master's workers and theirs)."""
    names = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            names.append(Path(f"/proc/{child}/comm").read_text().strip())
            names += descendants(int(child))
    return names


def sockets_of_monitors(lxcpath):
    """For each process whose command line names the workspace's lxcpath (the containers'
    monitors), the sockets it holds: none may be the server's (listening or client)."""
    found = {}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            if str(lxcpath) not in cmdline or "python" in cmdline or "gunicorn" in cmdline:
                continue
            links = [os.readlink(fd) for fd in (proc / "fd").iterdir()]
        except OSError:
            continue
        found[f"{proc.name} {cmdline[:60]}"] = [link for link in links if link.startswith("socket:")]
    return found


def server_sockets(pid):
    """The socket inodes the server's processes hold."""
    inodes = set()
    for task in [pid, *map(int, Path(f"/proc/{pid}/task/{pid}/children").read_text().split())]:
        for fd in Path(f"/proc/{task}/fd").iterdir():
            with contextlib.suppress(OSError):
                link = os.readlink(fd)
                if link.startswith("socket:"):
                    inodes.add(link)
    return inodes


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--containers", type=int, default=3)
    args = parser.parse_args(argv)
    from testing.playground import unique_name  # noqa: PLC0415

    with served_workspace() as (auth, backend, bridge, server):
        names = [unique_name("f") for _ in range(args.containers)]
        for name in names:
            backend.create(name, template="busybox")
            backend.update_settings(name, {"network_link": bridge.name})
        token, results, lock, done = auth["token"], [], threading.Lock(), threading.Event()

        def record(status, seconds):
            with lock:
                results.append((status, seconds))

        def cycle(name):
            for _ in range(args.rounds):
                for method, path, body in (("POST", f"/api/v1/containers/{name}", {"action": "start"}),
                                           ("GET", f"/api/v1/containers/{name}", None),
                                           ("POST", f"/api/v1/containers/{name}", {"action": "stop", "timeout": 5}),
                                           ("GET", "/api/v1/containers/", None)):
                    record(*call(server.port, token, method, path, body))

        def poll():
            while not done.is_set():
                record(*call(server.port, token, "GET", "/api/v1/containers/"))

        started = time.monotonic()
        poller = threading.Thread(target=poll)
        poller.start()
        cyclers = [threading.Thread(target=cycle, args=(name,)) for name in names]
        for thread in cyclers:
            thread.start()
        for thread in cyclers:
            thread.join()
        done.set()
        poller.join()
        elapsed = time.monotonic() - started
        bad = [status for status, _ in results if status != 200]
        states = {name: backend.state(name) for name in names}
        time.sleep(1)  # dismissed liblxc workers are reaped by the next call: give them their exit
        tree = descendants(server.process.pid)
        print(f"{len(results)} requests in {elapsed:.1f} s, {len(bad)} not 200 {bad[:10]}, "
              f"slowest {max(s for _, s in results):.2f} s")
        print(f"states after: {states}")
        print(f"server's process tree: {len(tree)} processes: {sorted(set(tree))}")
        call(server.port, token, "POST", f"/api/v1/containers/{names[0]}", {"action": "start"})
        monitors = sockets_of_monitors(os.environ["LWP_LXC_PATH"])
        shared = {name: set(socks) & server_sockets(server.process.pid) for name, socks in monitors.items()}
        print(f"monitors of a container started through the API: {len(monitors)}; "
              f"sockets shared with the server: {sum(map(len, shared.values()))} {shared}")


if __name__ == "__main__":
    sys.exit(main())
