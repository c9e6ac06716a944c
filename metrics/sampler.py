"""The sampler: every LWP_METRICS_INTERVAL seconds, one engine pass into the history files.

It runs in the worker (manage.py lwpworker) on a thread of its own, so a slow pass never
delays the heartbeat. Of several workers on this host, one samples: the one holding the
sampler lock (a flock on a file in LWP_METRICS_DIR, let go when its process dies, so
another worker takes over at its next tick).
"""

import fcntl
import logging
import os
import time
from dataclasses import dataclass

from django.conf import settings

from containers import services as containers
from metrics import store

log = logging.getLogger("lwp.metrics")

LOCK_NAME = "sampler.lock"
# A pass costing more than this share of the interval is logged as a warning.
COSTLY_SHARE = 0.1
# Seconds between two sweeps of the histories of containers destroyed behind the panel's back.
PRUNE_EVERY = 3600


@dataclass(frozen=True)
class Pass:
    """What one sampling pass did and cost."""

    timestamp: int
    containers: int
    recorded: int
    wall_seconds: float
    cpu_seconds: float


def sample_once(timestamp=None):
    """One pass: the running containers' usage and the host's, one update per file."""
    timestamp = int(timestamp or time.time())
    wall, cpu = time.perf_counter(), time.thread_time()
    engine = containers.get_engine()
    usages = engine.usage()  # a hung container is left out by usage() itself
    recorded = sum(_record(store.record_container, usage, timestamp) for usage in usages.values())
    recorded += _record(store.record_host, engine.host_usage(), timestamp)
    done = Pass(timestamp, len(usages), recorded, time.perf_counter() - wall, time.thread_time() - cpu)
    _log_cost(done)
    return done


def _record(record, sample, timestamp):
    try:
        return int(record(sample, timestamp))
    except Exception:  # noqa: BLE001 - one bad file must not cost the others their sample
        log.exception("metrics: could not record %s", getattr(sample, "name", "the host"))
        return 0


def _log_cost(done):
    level = logging.WARNING if done.wall_seconds > settings.LWP_METRICS_INTERVAL * COSTLY_SHARE else logging.DEBUG
    log.log(level, "metrics: %d running containers sampled in %.1f ms (%.1f ms CPU)", done.containers,
            done.wall_seconds * 1000, done.cpu_seconds * 1000)


class SamplerLock:
    """The host's one sampler: a non-blocking flock, held for as long as this process samples."""

    def __init__(self):
        self._fd = None

    def acquire(self):
        if self._fd is not None:
            return True
        store.metrics_dir().mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(store.metrics_dir() / LOCK_NAME, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def release(self):
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def prune():
    """Remove the histories of containers that no longer exist (one engine listing)."""
    existing = {summary.name for summary in containers.get_engine().list_containers()}
    return store.prune(existing)


def next_tick(now, interval):
    """The next multiple of the interval: samples fall on the RRD's step boundaries."""
    return (int(now) // interval + 1) * interval


def run(stop):
    """The worker's sampler thread: until `stop` is set, sample at every tick while holding the lock."""
    lock = SamplerLock()
    interval = settings.LWP_METRICS_INTERVAL
    pruned = 0.0
    try:
        while True:
            tick = next_tick(time.time(), interval)
            if stop.wait(max(0.0, tick - time.time())):
                break
            if not lock.acquire():
                continue  # another worker samples; take over if it goes
            try:
                sample_once(tick)
                if time.monotonic() - pruned >= PRUNE_EVERY:
                    prune()
                    pruned = time.monotonic()
            except Exception:  # noqa: BLE001 - logged; the next tick tries again
                log.exception("metrics: sampling pass failed")
    finally:
        lock.release()
