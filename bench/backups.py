"""What snapshots and backups cost: snapshot, restore and clone-from-snapshot of a busybox
container, and backup and restore throughput on a container holding a few hundred MB of files.

    sh bench/backups                    # 10 snapshot rounds, 3 backup rounds, 300 MB of files
    sh bench/backups --repeat 20 --backup-repeat 5 --megabytes 500 --json out.json

Each figure is taken twice: the engine's own call, and the same job through the API and the
worker (an operation, synchronous). A private lxcpath, bridge, database and backup dir, removed
at the end; the app runs as bin/lwp-run runs it. Not part of the test suite: it prints figures.
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.operations import request  # noqa: E402
from bench.run import report, served_workspace, summarize  # noqa: E402

MEGABYTE = 1024 * 1024


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=10, help="snapshot/restore/clone rounds")
    parser.add_argument("--backup-repeat", type=int, default=3, help="backup/restore rounds")
    parser.add_argument("--megabytes", type=int, default=300, help="size of the files in the backed-up container")
    parser.add_argument("--json", dest="json_path", help="also write the figures to this file")
    args = parser.parse_args(argv)
    if args.repeat < 3 or args.backup_repeat < 1 or args.megabytes < 1:
        parser.error("--repeat must be at least 3, --backup-repeat and --megabytes at least 1")
    return args


def timed(call):
    started = time.perf_counter()
    value = call()
    return value, time.perf_counter() - started


def api_call(port, token, method, path, body=None):
    """A synchronous API request that must succeed; returns (body, seconds)."""
    status, answer, seconds = request(port, method, path, token, body)
    if status != 200:
        raise SystemExit(f"{method} {path} answered {status}: {answer}")
    return answer, seconds


def snapshot_rounds(port, token, backend, repeat):
    """Take, restore, clone from and delete a snapshot of a stopped busybox container."""
    from testing.playground import unique_name  # noqa: PLC0415

    name = unique_name("snap")
    backend.create(name, template="busybox")
    figures = {key: [] for key in ("engine_snapshot", "engine_restore", "engine_clone_from_snapshot",
                                   "api_snapshot", "api_restore")}
    try:
        for _ in range(repeat):
            snapshot, seconds = timed(lambda: backend.take_snapshot(name, comment="bench"))
            figures["engine_snapshot"].append(seconds)
            figures["engine_restore"].append(timed(lambda: backend.restore_snapshot(name, snapshot.name))[1])
            clone = unique_name("from")
            figures["engine_clone_from_snapshot"].append(
                timed(lambda: backend.clone_snapshot(name, snapshot.name, clone))[1])
            backend.destroy(clone)
            backend.destroy_snapshot(name, snapshot.name)
            answer, seconds = api_call(port, token, "POST", f"/api/v1/containers/{name}/snapshots", {"comment": "api"})
            figures["api_snapshot"].append(seconds)
            taken = answer["snapshot"]["name"]
            figures["api_restore"].append(api_call(port, token, "POST", f"/api/v1/containers/{name}/snapshots/{taken}",
                                                   {"action": "restore"})[1])
            api_call(port, token, "DELETE", f"/api/v1/containers/{name}/snapshots/{taken}")
    finally:
        backend.destroy(name, force=True)
    return {key: summarize(seconds) for key, seconds in figures.items()}


def fill_rootfs(rootfs, megabytes):
    """Half the bytes in a few big incompressible files, half in many small text files (a
    system's mix); returns the bytes written."""
    data_dir = Path(rootfs) / "srv" / "bench"
    data_dir.mkdir(parents=True)
    written, big = 0, megabytes * MEGABYTE // 2
    for index in range(4):
        with open(data_dir / f"blob{index}", "wb") as fh:
            for _ in range(big // 4 // MEGABYTE):
                written += fh.write(os.urandom(MEGABYTE))
    line = b"LWP benchmark text line, compressible like logs and configuration files.\n"
    small = line * (16 * 1024 // len(line))
    for index in range(big // len(small)):
        sub = data_dir / f"d{index // 500}"
        sub.mkdir(exist_ok=True)
        written += (sub / f"f{index}.txt").write_bytes(small)
    return written


def backup_rounds(port, token, backend, repeat, megabytes):
    """Backup and restore of a stopped container with `megabytes` of files, in MB/s of its files."""
    from testing.playground import unique_name  # noqa: PLC0415

    name = unique_name("big")
    backend.create(name, template="busybox")
    rootfs = Path(backend.lxcpath) / name / "rootfs"
    files_bytes = fill_rootfs(rootfs, megabytes)
    rates = {key: [] for key in ("engine_backup", "engine_backup_restore", "api_backup", "api_backup_restore")}
    archive = {}
    with tempfile.TemporaryDirectory(prefix="lwp-bench-backup-") as scratch:
        try:
            for round_number in range(repeat):
                path = os.path.join(scratch, f"{round_number}.tar.zst")
                made, seconds = timed(lambda: backend.export_backup(name, path))
                rates["engine_backup"].append(files_bytes / seconds / MEGABYTE)
                archive = {"source_mb": round(made.source_bytes / MEGABYTE, 1),
                           "archive_mb": round(made.size_bytes / MEGABYTE, 1)}
                copy = unique_name("back")
                rates["engine_backup_restore"].append(files_bytes / timed(lambda: backend.restore_backup(path, copy))[1] / MEGABYTE)
                backend.destroy(copy)
                os.unlink(path)
                answer, seconds = api_call(port, token, "POST", f"/api/v1/containers/{name}/backups", {"comment": "bench"})
                rates["api_backup"].append(files_bytes / seconds / MEGABYTE)
                backup_id = answer["backup"]["id"]
                rates["api_backup_restore"].append(files_bytes / api_call(
                    port, token, "PUT", "/api/v1/containers/", {"name": copy, "backup": backup_id})[1] / MEGABYTE)
                backend.destroy(copy)
                api_call(port, token, "DELETE", f"/api/v1/containers/{name}/backups/{backup_id}")
        finally:
            backend.destroy(name, force=True)
    figures = {key: {"median_mb_s": round(sorted(values)[len(values) // 2], 1), "min_mb_s": round(min(values), 1)}
               for key, values in rates.items()}
    return {**figures, "files_mb": round(files_bytes / MEGABYTE, 1), **archive}


def main(argv=None):
    args = parse_args(argv)
    try:
        with served_workspace() as (auth, backend, bridge, server):
            time.sleep(1)  # the worker registers and starts polling
            results = {**snapshot_rounds(server.port, auth["token"], backend, args.repeat),
                       **backup_rounds(server.port, auth["token"], backend, args.backup_repeat, args.megabytes)}
    except KeyboardInterrupt:
        print("interrupted; cleaning up", file=sys.stderr)
        return 130
    report(results, args.json_path, width=28)
    return 0


if __name__ == "__main__":
    sys.exit(main())
