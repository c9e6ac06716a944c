"""How long listing N containers takes through LXCEngine, next to `lxc-ls -f` on the same set.

    python bench/list_containers.py --count 200 --running 40 --repeat 10 [--json]

Creates N busybox containers in a private lxcpath (the running ones on a private
bridge with its own dnsmasq), times LXCEngine.list_containers() in-process and
`lxc-ls -f -P <lxcpath>` as a subprocess, and the figures the metrics read (usage() of
every running container, host_usage(), info() of one), prints median and p95 of the repeats,
and removes everything at the end, also after Ctrl-C or a failure.
"""

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from containers.engines.lxc.container_ops import wait_until  # noqa: E402
from containers.engines.lxc.engine import LXCEngine  # noqa: E402
from testing import playground  # noqa: E402

LXC_LS_TIMEOUT = 120


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=200, help="containers to create (default 200)")
    parser.add_argument("--running", type=int, default=40, help="of which running (default 40)")
    parser.add_argument("--repeat", type=int, default=10, help="timed runs of each lister (default 10)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args(argv)
    if not 0 <= args.running <= args.count or args.repeat < 1:
        parser.error("need 0 <= --running <= --count and --repeat >= 1")
    return args


def interrupt_as_keyboard_interrupt():
    """SIGTERM (and SIGHUP) clean up like Ctrl-C does."""
    def handler(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")
    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGHUP, handler)


def log(message):
    print(message, file=sys.stderr, flush=True)


def populate(backend, bridge, count, running):
    """count busybox containers; the first `running` linked to the bridge and started."""
    names = [f"bench-{index:04d}" for index in range(count)]
    started = time.monotonic()
    for index, name in enumerate(names):
        backend.create(name, template="busybox")
        if index < running:
            backend.update_settings(name, {"network_link": bridge.name})
            backend.start(name)
        if (index + 1) % 25 == 0:
            log(f"  {index + 1}/{count} created ({time.monotonic() - started:.0f} s)")
    return names


def wait_for_addresses(backend, names, timeout=60):
    """Let DHCP finish so both listers see the same IPs (lxc-ls -f prints them)."""
    def all_addressed():
        rows = {row.name: row for row in backend.list_containers(details=True)}
        return all(rows[name].ipv4 for name in names)
    return wait_until(all_addressed, timeout, interval=0.5)


def lxc_ls(lxcpath):
    return subprocess.run(["lxc-ls", "-f", "-P", lxcpath], capture_output=True, text=True,
                          check=True, timeout=LXC_LS_TIMEOUT).stdout


def lxc_ls_states(output):
    rows = output.splitlines()[1:]
    return {fields[0]: fields[1] for fields in (row.split() for row in rows) if len(fields) > 1}


def timed(fn, repeat):
    fn()  # warm-up: page cache, imports, liblxc's first use
    durations = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        durations.append(time.perf_counter() - started)
    return durations


def p95(values):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, -(-95 * len(ordered) // 100) - 1))]


def summarise(durations):
    return {"median_ms": round(statistics.median(durations) * 1000, 2),
            "p95_ms": round(p95(durations) * 1000, 2),
            "min_ms": round(min(durations) * 1000, 2), "runs": len(durations)}


def measure(backend, repeat, running=None):
    listers = {
        "LXCEngine.list_containers()": backend.list_containers,
        "LXCEngine.list_containers(details=True)": lambda: backend.list_containers(details=True),
        "lxc-ls -f -P <lxcpath> (subprocess)": lambda: lxc_ls(backend.lxcpath),
        "LXCEngine.usage() (every running one)": backend.usage,
        "LXCEngine.host_usage()": backend.host_usage,
    }
    if running:
        listers["LXCEngine.info(<a running one>)"] = lambda: backend.info(running)
    return {label: summarise(timed(fn, repeat)) for label, fn in listers.items()}


def states_agree(backend):
    ours = {row.name: row.state for row in backend.list_containers()}
    return ours == lxc_ls_states(lxc_ls(backend.lxcpath))


def print_table(args, results, agree):
    log("")
    print(f"{args.count} containers ({args.running} running), {args.repeat} timed runs each")
    print(f"{'lister':<44} {'median ms':>10} {'p95 ms':>10} {'min ms':>10}")
    for label, figures in results.items():
        print(f"{label:<44} {figures['median_ms']:>10.2f} {figures['p95_ms']:>10.2f} "
              f"{figures['min_ms']:>10.2f}")
    baseline = results["lxc-ls -f -P <lxcpath> (subprocess)"]["median_ms"]
    ours = results["LXCEngine.list_containers()"]["median_ms"]
    print(f"backend list is {baseline / ours:.1f}x faster than lxc-ls -f; same names and states: "
          f"{'yes' if agree else 'NO'}")


def main(argv=None):
    args = parse_args(argv)
    interrupt_as_keyboard_interrupt()
    workdir = tempfile.mkdtemp(prefix="lwp-bench-")
    lxcpath = os.path.join(workdir, "lxc")
    os.makedirs(lxcpath)
    backend = LXCEngine(lxcpath, lock_dir=os.path.join(workdir, "locks"))
    bridge = None
    try:
        bridge = playground.PrivateBridge(workdir).up()
        log(f"creating {args.count} containers in {lxcpath} ({args.running} running on {bridge.name})")
        names = populate(backend, bridge, args.count, args.running)
        if not wait_for_addresses(backend, names[:args.running]):
            log("  (some running containers have no address yet; measuring anyway)")
        results = measure(backend, args.repeat, names[0] if args.running else None)
        agree = states_agree(backend)
        if args.json:
            print(json.dumps({"count": args.count, "running": args.running, "repeat": args.repeat,
                              "states_agree": agree, "results": results}, indent=2))
        else:
            print_table(args, results, agree)
        return 0 if agree else 1
    except KeyboardInterrupt:
        log("interrupted: cleaning up")
        return 130
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not stop the clean-up
        log("removing the benchmark's containers and bridge")
        playground.destroy_all(lxcpath)
        if bridge is not None:
            bridge.down()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
