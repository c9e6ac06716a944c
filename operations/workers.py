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
    """The process's start time (field 22 of /proc/PID/stat); None when it is gone or a zombie
    (dead, waiting for its parent to reap it)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            stat = fh.read()
    except OSError:
        return None
    fields = stat[stat.rindex(b")") + 2:].split()
    return None if fields[0] in (b"Z", b"X") else int(fields[19])


def register(worker_id):
    now = timezone.now()
    Worker.objects.update_or_create(id=worker_id, defaults={
        "hostname": socket.gethostname(), "pid": os.getpid(),
        "pid_started": process_start_ticks(os.getpid()) or 0, "started": now, "last_seen": now})


def beat(worker_id):
    if not Worker.objects.filter(id=worker_id).update(last_seen=timezone.now()):
        register(worker_id)  # its row was removed (a flushed table): say it lives again


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


def recover_interrupted(only=None):
    """Fail the running operations whose worker died, undo what they left, then forget the dead
    workers (not before: a running operation with no worker row counts as alive for a while)."""
    running = Operation.objects.filter(status=Status.RUNNING)
    if only is not None:
        running = running.filter(pk__in=only)
    workers = {worker.id: is_alive(worker) for worker in Worker.objects.all()}
    recovered = []
    for operation in running.select_related("user"):
        if not _died(operation, workers):
            continue
        error = Interrupted("the worker running this operation died before it finished")
        if jobs.finish(operation, Status.FAILED, error=error, only_from=[Status.RUNNING]):
            log.warning("operation %s (%s of %r) was interrupted", operation.pk, operation.kind,
                        operation.container)
            _undo(operation)
            recovered.append(operation)
    if only is None:
        Worker.objects.filter(id__in=[worker_id for worker_id, alive in workers.items() if not alive]).delete()
    return recovered


def _died(operation, workers):
    """Whether the operation's worker is dead: its row says so, or it has none and the job
    started longer ago than a heartbeat would take to bring the row back."""
    if operation.worker in workers:
        return not workers[operation.worker]
    return operation.started is None or operation.started < timezone.now() - STALE


def _undo(operation):
    undo = jobs.undo_for(operation.kind)
    if undo is None:
        return
    try:
        undo(operation)
    except Exception:  # noqa: BLE001 - recovery goes on with the others
        log.exception("could not undo interrupted operation %s", operation.pk)


def worker_checks():
    """The host page's word on the workers: without one, long operations never run."""
    from containers.engines.types import MISSING, OK, Check, CheckGroup  # noqa: PLC0415

    alive = live_workers()
    if alive:
        detail = ", ".join(f"pid {worker.pid} on {worker.hostname} (up since {worker.started:%Y-%m-%d %H:%M})"
                           for worker in alive)
        check = Check(name="Job workers", status=OK, detail=f"{len(alive)} alive: {detail}")
    else:
        check = Check(name="Job workers", status=MISSING, detail="no worker is running",
                      hint="creating, cloning and deleting containers wait for a worker: run bin/lwp-run "
                           "(or systemctl start lwp), which starts LWP_JOB_WORKERS of them")
    return CheckGroup(title="LWP worker", checks=[check])
