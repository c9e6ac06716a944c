"""manage.py lwpworker: the worker that runs LWP's long operations.

django-tasks' database worker (db_worker), plus what LWP needs around it: it registers
itself and beats (so the host page and the web server can tell it lives), fails and
undoes the operations a dead worker left running, prunes the audit log daily, starts
the backups whose schedule is due, and samples the metrics history (metrics.sampler, on a
thread of its own: one of the host's workers samples at a time).
"""

import logging
import os
import socket
import threading
import time

from django.conf import settings
from django.db import close_old_connections, connection
from django_tasks_db.management.commands import db_worker

from backups import schedules
from metrics import sampler
from operations import audit, workers

log = logging.getLogger("lwp.operations")

PRUNE_EVERY = 24 * 3600
RECOVER_EVERY = 10
SCHEDULES_EVERY = 1  # at each heartbeat: a schedule starts within HEARTBEAT seconds of its time


class Command(db_worker.Command):
    help = "Run LWP's worker: long operations (create, clone, destroy...), recovery and pruning"

    def add_arguments(self, parser):
        super().add_arguments(parser)
        # Polling a local database twenty times a second costs little (a read of an index) and
        # keeps the wait for a job short.
        parser.set_defaults(interval=0.05, startup_delay=False, reload=False, queue_name=settings.LWP_JOB_QUEUE,
                            worker_id=f"{socket.gethostname()}-{os.getpid()}"[:64])

    def handle(self, *args, **options):
        worker_id = options["worker_id"]
        workers.register(worker_id)
        workers.recover_interrupted()
        stop = threading.Event()
        beating = threading.Thread(target=self._keep_beating, args=(worker_id, stop), daemon=True,
                                   name="lwp-heartbeat")
        beating.start()
        sampling = threading.Thread(target=sampler.run, args=(stop,), daemon=True, name="lwp-metrics")
        sampling.start()
        try:
            super().handle(*args, **options)
        finally:
            stop.set()
            beating.join(timeout=workers.HEARTBEAT + 1)
            sampling.join(timeout=settings.LWP_METRICS_INTERVAL + 1)
            workers.unregister(worker_id)

    def _keep_beating(self, worker_id, stop):
        chores = {"recovery": [RECOVER_EVERY, 0.0, workers.recover_interrupted],
                  "pruning": [PRUNE_EVERY, 0.0, audit.prune_events],
                  "backup schedules": [SCHEDULES_EVERY, 0.0, schedules.run_due]}
        try:
            while not stop.wait(workers.HEARTBEAT):
                # A failed beat (a locked or unreachable database) must not end the beating: a
                # worker that stops beating is declared dead and its jobs interrupted.
                try:
                    close_old_connections()
                    workers.beat(worker_id)
                    _do_due_chores(chores)
                except Exception:  # noqa: BLE001 - logged; the next beat tries again
                    log.exception("worker %s: heartbeat failed", worker_id)
        finally:
            connection.close()


def _do_due_chores(chores):
    now = time.monotonic()
    for chore in chores.values():
        every, last, run = chore
        if now - last >= every:
            run()
            chore[1] = now
