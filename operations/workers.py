"""Worker processes: who is alive (heartbeat and pid), and what their deaths left behind.

Each worker (manage.py lwpworker) registers itself and beats every HEARTBEAT seconds.
A worker counts as dead when its heartbeat is STALE, or, on this machine, when its
process is gone (the pid and its start time, since pids get reused). A running
operation whose worker is dead is failed as interrupted and its half-made work undone;
the liblxc call's own supervisor has usually undone it already (engines/lxc/deadline.py).
"""

import logging
import os
import socket
from datetime import timedelta

from django.utils import timezone

from lwp.exceptions import Interrupted
from operations import jobs
from operations.models import Operation, Status, Worker

log = logging.getLogger("lwp.operations")

HEARTBEAT = 5
STALE = timedelta(seconds=30)


def process_start_ticks(pid):
    """The process's start time (field 22 of /proc/PID/stat), or None when it does not exist."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            stat = fh.read()
    except OSError:
        return None
    return int(stat[stat.rindex(b")") + 2:].split()[19])


def register(worker_id):
    now = timezone.now()
    fields = {"hostname": socket.gethostname(), "pid": os.getpid(),
              "pid_started": process_start_ticks(os.getpid()) or 0, "started": now, "last_seen": now}
    # Two statements, no transaction: SQLite fails a transaction that read and then writes ("database
    # is locked", at once) when another wrote meanwhile, as workers started together by bin/lwp-run do.
    if not Worker.objects.filter(id=worker_id).update(**fields):
        Worker.objects.create(id=worker_id, **fields)


def beat(worker_id):
    Worker.objects.filter(id=worker_id).update(last_seen=timezone.now())


def unregister(worker_id):
    Worker.objects.filter(id=worker_id).delete()


def is_alive(worker):
    if worker.last_seen < timezone.now() - STALE:
        return False
    if worker.hostname == socket.gethostname():
        return process_start_ticks(worker.pid) == worker.pid_started
    return True


def live_workers():
    return [worker for worker in Worker.objects.all() if is_alive(worker)]


def forget_dead_workers():
    dead = [worker.id for worker in Worker.objects.all() if not is_alive(worker)]
    Worker.objects.filter(id__in=dead).delete()


def recover_interrupted(only=None):
    """Fail the running operations whose worker died, and undo what they left; returns them."""
    running = Operation.objects.filter(status=Status.RUNNING)
    if only is not None:
        running = running.filter(pk__in=only)
    alive = {worker.id for worker in live_workers()}
    recovered = []
    for operation in running.exclude(worker__in=alive).select_related("user"):
        error = Interrupted("the worker running this operation died before it finished")
        if jobs.finish(operation, Status.FAILED, error=error, only_from=[Status.RUNNING]):
            log.warning("operation %s (%s of %r) was interrupted", operation.pk, operation.kind,
                        operation.container)
            _undo(operation)
            recovered.append(operation)
    return recovered


def _undo(operation):
    undo = jobs.undo_for(operation.kind)
    if undo is None:
        return
    try:
        undo(operation)
    except Exception:  # noqa: BLE001 - recovery goes on with the others
        log.exception("could not undo interrupted operation %s", operation.pk)
