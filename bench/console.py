"""What a browser console costs: the keystroke round trip (a byte sent on the socket, its echo
back from the shell in a running busybox container) and the memory and CPU of idle sessions.

    sh bench/console                    # 500 keystrokes, 20 idle sessions for 30 s
    sh bench/console --keys 2000 --sessions 20 --idle-seconds 60 --json out.json

Sessions are opened as a script would: a ticket from the API (token), then the socket URL it
gives. A private lxcpath, bridge and database, removed at the end; the app runs as bin/lwp-run
runs it. Not part of the test suite: it prints figures.
"""

import argparse
import contextlib
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.operations import request  # noqa: E402
from bench.run import report, rss_bytes, served_workspace, summarize  # noqa: E402

PROMPT = b"# "
CLEAR_LINE = b"\x15"  # Ctrl-U: the shell's line editor drops what was typed
MEBIBYTE = 1024 * 1024


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--keys", type=int, default=500, help="keystrokes timed")
    parser.add_argument("--sessions", type=int, default=20, help="idle sessions held open at once")
    parser.add_argument("--idle-seconds", type=float, default=30.0, help="how long the idle sessions are watched")
    parser.add_argument("--json", dest="json_path", help="also write the figures to this file")
    args = parser.parse_args(argv)
    if args.keys < 10 or args.sessions < 1 or args.idle_seconds <= 0:
        parser.error("--keys must be at least 10, --sessions and --idle-seconds positive")
    return args


@contextlib.contextmanager
def open_console(port, token, name):
    """A socket to a shell in `name`, past its first prompt (busybox ash drops earlier input)."""
    from websockets.sync.client import connect  # noqa: PLC0415

    status, answer, _ = request(port, "POST", f"/api/v1/containers/{name}/console", token, {"mode": "shell"})
    if status != 201:
        raise SystemExit(f"console ticket answered {status}: {answer}")
    with connect(answer["url"], max_size=None, open_timeout=30) as socket:
        read_until(socket, PROMPT)
        yield socket


def read_until(socket, wanted, timeout=30):
    """Terminal output up to and including `wanted`; JSON status frames are skipped."""
    seen = b""
    deadline = time.monotonic() + timeout
    while wanted not in seen:
        frame = socket.recv(timeout=max(0.001, deadline - time.monotonic()))
        if isinstance(frame, bytes):
            seen += frame
        elif json.loads(frame).get("event") == "ended":
            raise SystemExit(f"the session ended: {frame}")
    return seen


def keystroke_round_trips(socket, keys):
    """Seconds from sending one byte to receiving its echo; the line is cleared every 50 keys."""
    seconds = []
    for index in range(keys):
        key = b"abcdefghijklmnopqrstuvwxyz"[index % 26:index % 26 + 1]
        started = time.perf_counter()
        socket.send(key)
        read_until(socket, key)
        seconds.append(time.perf_counter() - started)
        if index % 50 == 49:
            socket.send(CLEAR_LINE)
            time.sleep(0.01)
            drain(socket)
    return seconds


def drain(socket):
    from websockets.exceptions import ConnectionClosed  # noqa: PLC0415

    try:
        while True:
            socket.recv(timeout=0.05)
    except (TimeoutError, ConnectionClosed):
        pass


def process_tree(root_pids):
    """The given processes and all their descendants (the sessions' lxc-attach and shells)."""
    children = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], list(root_pids)
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def pss_bytes(pid):
    """The process's proportional share of its memory: shared pages (liblxc, busybox, Python)
    divided among their users, so that a sum over processes does not count them many times."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def memory(pids):
    return sum(rss_bytes(pid) for pid in pids), sum(pss_bytes(pid) for pid in pids)


def cpu_seconds(pids):
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def idle_sessions(port, token, server, name, count, idle_seconds):
    """RSS and CPU of the server's process tree before and while `count` shells sit idle."""
    before_pids = process_tree(server.process_ids())
    before_rss, before_pss = memory(before_pids)
    with contextlib.ExitStack() as sockets:
        for _ in range(count):
            sockets.enter_context(open_console(port, token, name))
        time.sleep(2)  # let the sessions settle
        pids = process_tree(server.process_ids())
        rss, pss = memory(pids)
        cpu_before = cpu_seconds(pids)
        time.sleep(idle_seconds)
        cpu_used = cpu_seconds(pids) - cpu_before
    return {"sessions": count, "processes_added": len(pids) - len(before_pids),
            "rss_before_mib": round(before_rss / MEBIBYTE, 1), "rss_with_sessions_mib": round(rss / MEBIBYTE, 1),
            "rss_per_session_mib": round((rss - before_rss) / count / MEBIBYTE, 2),
            "pss_before_mib": round(before_pss / MEBIBYTE, 1), "pss_with_sessions_mib": round(pss / MEBIBYTE, 1),
            "pss_per_session_mib": round((pss - before_pss) / count / MEBIBYTE, 2),
            "cpu_percent_while_idle": round(100 * cpu_used / idle_seconds, 2)}


def main(argv=None):
    args = parse_args(argv)
    from testing.playground import unique_name  # noqa: PLC0415

    try:
        with served_workspace(extra_env={"LWP_CONSOLE_SESSIONS": str(args.sessions + 1)}) as (
                auth, backend, bridge, server):
            name = unique_name("con")
            backend.create(name, template="busybox")
            backend.update_settings(name, {"network_link": bridge.name})  # the host may have no lxcbr0
            backend.start(name)
            with open_console(server.port, auth["token"], name) as socket:
                results = {"keystroke_round_trip": summarize(keystroke_round_trips(socket, args.keys))}
            results["idle"] = idle_sessions(server.port, auth["token"], server, name, args.sessions,
                                            args.idle_seconds)
    except KeyboardInterrupt:
        print("interrupted; cleaning up", file=sys.stderr)
        return 130
    report(results, args.json_path, width=22)
    return 0


if __name__ == "__main__":
    sys.exit(main())
