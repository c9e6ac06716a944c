"""The metrics history: one fixed-size RRD file per container and one for the host.

RRDtool (Debian's python3-rrdtool), as Proxmox, collectd and Munin keep theirs: a file is
made once at its full size and never grows. Layout (rows per archive, each AVERAGE and MAX):

- the sampling step (LWP_METRICS_INTERVAL) for an hour: the hour range;
- 1 minute for a day: the day range;
- 30 minutes for a month: the week and month ranges;
- 6 hours for a year: the year range.

Counters (CPU ns, network and block I/O bytes) are DERIVE with a minimum of 0, so RRDtool
stores their per-second rate and a reset (a restart) reads as unknown, not as a negative
rate. A sample missing for 3 steps (a stopped container, a hung one, a stopped worker)
leaves unknown rows: the graphs show a gap (null).

Files are named after the validated container name only, under LWP_METRICS_DIR/containers/.
"""

import logging
import math
import os
import time
from dataclasses import dataclass
from pathlib import Path

import rrdtool
from django.conf import settings

from containers.vocabulary import validate_name
from lwp.datadir import FILE_MODE
from lwp.exceptions import InvalidInput

log = logging.getLogger("lwp.metrics")

HEARTBEAT_STEPS = 3
XFF = 0.5  # a consolidated row is known when at least half of its steps are
MINUTE, HOUR, DAY = 60, 3600, 86400
# (resolution in seconds or None for the sampling step, how long it is kept)
ARCHIVES = ((None, HOUR), (MINUTE, DAY), (30 * MINUTE, 30 * DAY), (6 * HOUR, 365 * DAY))
CONSOLIDATIONS = ("AVERAGE", "MAX")
# range name -> (resolution as in ARCHIVES, span in seconds)
RANGES = {"hour": (None, HOUR), "day": (MINUTE, DAY), "week": (30 * MINUTE, 7 * DAY),
          "month": (30 * MINUTE, 30 * DAY), "year": (6 * HOUR, 365 * DAY)}
DEFAULT_RANGE = "hour"


@dataclass(frozen=True)
class Source:
    """A data source of an RRD file: its name in the file, RRDtool type, and the sample's field."""

    ds: str
    kind: str  # GAUGE or DERIVE (a counter: its rate per second is stored)
    field: str


def _sources(*, gauges, counters):
    """Data sources from {name in the file: the sample's field}: gauges stored as they are,
    counters (DERIVE) as their rate per second."""
    return (*(Source(ds, "GAUGE", field) for ds, field in gauges.items()),
            *(Source(ds, "DERIVE", field) for ds, field in counters.items()))


CONTAINER_SOURCES = _sources(
    gauges={"memory": "memory_bytes", "swap": "swap_bytes"},
    counters={"cpu_ns": "cpu_ns", "net_rx": "rx_bytes", "net_tx": "tx_bytes", "disk_read": "blkio_read_bytes",
              "disk_write": "blkio_write_bytes"})
HOST_SOURCES = _sources(
    gauges={"load1": "load1", "cpus": "cpus", "memory_used": "memory_used_bytes", "memory_total": "memory_total_bytes",
            "swap_used": "swap_used_bytes", "disk_used": "disk_used_bytes", "disk_total": "disk_total_bytes"},
    counters={"cpu_busy_ns": "cpu_busy_ns"})


def metrics_dir():
    return Path(settings.LWP_METRICS_DIR)


def container_path(name):
    """The container's file: its name is validated first, so no input makes a path of its own."""
    validate_name(name)
    return metrics_dir() / "containers" / f"{name}.rrd"


def host_path():
    return metrics_dir() / "host.rrd"


def parse_range(value):
    """The range's name (default hour); anything else is a 400 naming the field."""
    value = value or DEFAULT_RANGE
    if value not in RANGES:
        raise InvalidInput(f"range {str(value)[:40]!r} is not one of {', '.join(RANGES)}",
                           fields={"range": f"must be one of {', '.join(RANGES)}"})
    return value


def _create(path, sources, step, start):
    """The file at its final size: every archive's rows are allocated here."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    definitions = [f"DS:{s.ds}:{s.kind}:{step * HEARTBEAT_STEPS}:{0 if s.kind == 'DERIVE' else 'U'}:U"
                   for s in sources]
    for resolution, kept in ARCHIVES:
        archive_step = _archive_step(resolution, step)
        rows = math.ceil(kept / archive_step)
        definitions += [f"RRA:{cf}:{XFF}:{archive_step // step}:{rows}" for cf in CONSOLIDATIONS]
    rrdtool.create(str(path), "--step", str(step), "--start", str(start - 1), "--no-overwrite", *definitions)
    os.chmod(path, FILE_MODE)


def _archive_step(resolution, step):
    """An archive's row in seconds: `resolution` (None: the step) rounded down to whole steps."""
    return max(1, (resolution or step) // step) * step


def _value(sample, source):
    value = getattr(sample, source.field)
    if value is None:
        return "U"
    return str(int(value)) if source.kind == "DERIVE" else repr(float(value))


def record(path, sources, sample, timestamp):
    """Add one sample at `timestamp` (whole seconds), making the file first if it has none.
    False (logged) when RRDtool refuses it, e.g. a second sample within the same second."""
    path = Path(path)
    if not path.exists():
        _create(path, sources, settings.LWP_METRICS_INTERVAL, timestamp)
    values = ":".join(_value(sample, source) for source in sources)
    try:
        rrdtool.update(str(path), f"{int(timestamp)}:{values}")
    except rrdtool.OperationalError as exc:
        log.warning("%s: sample not recorded: %s", path.name, exc)
        return False
    return True


def record_container(sample, timestamp):
    return record(container_path(sample.name), CONTAINER_SOURCES, sample, timestamp)


def record_host(sample, timestamp):
    return record(host_path(), HOST_SOURCES, sample, timestamp)


def forget_container(name):
    """Remove a container's history (destroyed, or its name taken by a new container)."""
    try:
        container_path(name).unlink()
    except FileNotFoundError:
        return False
    log.info("%s: metrics history removed", name)
    return True


def prune(existing):
    """Remove the history of every container not in `existing` (destroyed behind the panel's back)."""
    gone = [name for name in known_containers() if name not in existing]
    for name in gone:
        forget_container(name)
    return gone


def known_containers():
    """The names that have a history file."""
    folder = metrics_dir() / "containers"
    return sorted(path.stem for path in folder.glob("*.rrd")) if folder.is_dir() else []


@dataclass(frozen=True)
class Fetched:
    """One range of a file: the archive's step, the window, and per data source its rows
    (None for unknown), for each consolidation function."""

    step: int
    start: int
    end: int
    timestamps: list
    columns: dict  # {"AVERAGE": {ds: [...]}, "MAX": {ds: [...]}}


def fetch(path, sources, range_name, now=None):
    """The rows of `range_name` ending now, from the archive made for it. A file not made yet (no
    sample so far), or one RRDtool cannot read (logged), reads as all unknown on the same grid."""
    now = int(now or time.time())
    path = Path(path)
    try:
        return _fetch(path, range_name, now)
    except (FileNotFoundError, rrdtool.OperationalError) as exc:
        if path.exists():
            log.warning("%s: history not read: %s", path.name, exc)
        resolution, start, end, timestamps = _grid(range_name, settings.LWP_METRICS_INTERVAL, now)
        empty = {s.ds: [None] * len(timestamps) for s in sources}
        return Fetched(resolution, start, end, timestamps, {cf: empty for cf in CONSOLIDATIONS})


def _grid(range_name, step, now):
    """(resolution, start, end, timestamps) of `range_name` ending at `now`, for a file of `step`."""
    resolution, span = RANGES[range_name]
    resolution = _archive_step(resolution, step)
    end = now - now % resolution
    start = end - span // resolution * resolution
    return resolution, start, end, list(range(start + resolution, end + 1, resolution))


def _fetch(path, range_name, now):
    if not path.exists():
        raise FileNotFoundError(path)
    resolution, start, end, timestamps = _grid(range_name, int(rrdtool.info(str(path))["step"]), now)
    columns = {}
    for cf in CONSOLIDATIONS:
        (first, _, got_step), names, rows = rrdtool.fetch(
            str(path), cf, "-r", str(resolution), "-s", str(start), "-e", str(end))
        columns[cf] = dict(zip(names, _on_grid(rows, (start - first) // got_step, len(timestamps), len(names))))
    return Fetched(resolution, start, end, timestamps, columns)


def _on_grid(rows, offset, count, width):
    """The `count` rows from `offset` on as one list per data source, unknown where RRDtool gave
    none (it widens the window asked for by a row at either end)."""
    unknown = [(None,) * width]
    grid = unknown * max(0, -offset) + rows[max(0, offset):max(0, offset + count)]
    grid += unknown * (count - len(grid))
    return [list(column) for column in zip(*grid)] if count else [[] for _ in range(width)]
