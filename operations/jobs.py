"""Operations: every change runs as one, recorded with who asked, its log, and how it ended.

Short ones (start, freeze, settings) run right away in the request (run_now): a queue
would only add its polling delay. Long ones (create, clone, destroy, and later jobs)
are submitted to the worker (submit), through django-tasks' database queue; the caller
may wait for the result (the LXC-Web-Panel routes do) or answer at once with the
operation. Each kind of job is a function registered with @job_kind; it gets a Job to
log lines, report progress and learn that it was cancelled.
"""

import logging
import time

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from lwp.exceptions import (
    Cancelled, InternalError, Interrupted, LWPError, OperationFinished, WorkerUnavailable, error_for_code,
)
from operations import audit
from operations.models import FINISHED, UNFINISHED, LogLine, Operation, Status
from operations.origin import CLI, Origin

log = logging.getLogger("lwp.operations")

_KINDS = {}

# How often a running job looks for a cancel request, at most (one small query each time).
CANCEL_CHECK_SECONDS = 0.5
# A synchronous caller polls (a read by primary key): every 20 ms for the first seconds, where
# a busybox create ends, then less often as a long job goes on.
_FAST_POLL, _FAST_SECONDS, _SLOW_POLL = 0.02, 5, 0.25


def job_kind(kind, *, undo=None):
    """Register fn(job) -> result dict as the job run for operations of `kind`.

    `undo(operation)` removes what a job of this kind may have left when its worker died mid-way.
    """
    def register(fn):
        _KINDS[kind] = (fn, undo)
        return fn
    return register


def undo_for(kind):
    return _KINDS.get(kind, (None, None))[1]


def event_action(operation):
    return f"container.{operation.kind}"


# ----- creating and finishing operations ------------------------------------------------------


def _new_operation(*, kind, container, user, origin, params, status, started=None):
    origin = origin or CLI
    named = user is not None and user.is_authenticated
    return Operation.objects.create(
        kind=kind, container=container or "", user=user if named else None,
        username=user.get_username() if named else "", token=origin.token, source=origin.source,
        client_address=origin.address, params=params or {}, status=status, started=started)


def finish(operation, status, *, result=None, error=None, only_from=UNFINISHED):
    """Record the end of `operation` (if it is still in one of `only_from`) and its audit event."""
    fields = {"status": status, "finished": timezone.now(), "result": result}
    if status == Status.SUCCEEDED:
        fields["progress"] = 100
    if error is not None:
        fields.update(error_code=error.code, error_message=error.message, error_fields=error.fields or {})
        output = getattr(error, "output", "")
        if output:
            fields["result"] = {"output": output}
    with transaction.atomic():  # one commit for the end and its event
        ended = Operation.objects.filter(pk=operation.pk, status__in=only_from).update(**fields)
        if ended:
            for name, value in fields.items():
                setattr(operation, name, value)
            _record_outcome(operation)
    return bool(ended)


def _record_outcome(operation):
    outcome = {Status.SUCCEEDED: audit.SUCCEEDED, Status.CANCELLED: audit.CANCELLED}.get(
        operation.status, audit.FAILED)
    audit.record_event(action=event_action(operation), target=operation.container, outcome=outcome,
                       user=operation.user, username=operation.username, origin=_origin_of(operation),
                       message=operation.error_message, operation=operation)


def _origin_of(operation):
    return Origin(source=operation.source, address=operation.client_address, token=operation.token)


def failure(operation):
    """The typed error a failed or cancelled operation ended with."""
    output = (operation.result or {}).get("output", "") if isinstance(operation.result, dict) else ""
    if operation.status == Status.CANCELLED:
        return Cancelled(operation.error_message or "the operation was cancelled")
    return error_for_code(operation.error_code or "error", operation.error_message, operation.error_fields,
                          output)


def outcome(operation):
    """An operation's result, or its error raised: what a synchronous caller answers with."""
    if operation.status == Status.SUCCEEDED:
        return operation.result
    raise failure(operation)


# ----- short operations: right away, in the caller ---------------------------------------------


def run_now(*, kind, container, user, origin=None, params=None, work):
    """Run work() as a recorded operation in this process; returns (work's value, operation)."""
    operation = _new_operation(kind=kind, container=container, user=user, origin=origin, params=params,
                               status=Status.RUNNING, started=timezone.now())
    try:
        value = work()
    except LWPError as error:
        finish(operation, Status.FAILED, error=error)
        raise
    except BaseException as error:
        finish(operation, Status.FAILED, error=InternalError(f"{type(error).__name__}: {error}"))
        raise
    finish(operation, Status.SUCCEEDED)
    return value, operation


# ----- long operations: in the worker ----------------------------------------------------------


def submit(*, kind, container, user, origin=None, params=None, wait=False):
    """Queue a job for the worker; with wait, return once it finished (see wait_for)."""
    from operations.tasks import run_operation  # noqa: PLC0415 - tasks import this module

    if kind not in _KINDS:
        raise ValueError(f"no job registered for operations of kind {kind!r}")
    with transaction.atomic():
        operation = _new_operation(kind=kind, container=container, user=user, origin=origin, params=params,
                                   status=Status.PENDING)
    # After the commit: the worker must see the operation.
    run_operation.enqueue(str(operation.pk))
    operation.refresh_from_db()
    return wait_for(operation) if wait else operation


def wait_for(operation, *, pickup_timeout=None):
    """Poll until `operation` finished. Never hangs: a job no worker takes within
    LWP_WORKER_WAIT seconds fails with WorkerUnavailable; one whose worker died is interrupted."""
    from operations import workers  # noqa: PLC0415

    pickup_timeout = settings.LWP_WORKER_WAIT if pickup_timeout is None else pickup_timeout
    started = time.monotonic()
    pickup_deadline = started + pickup_timeout
    next_liveness_check = started + 2
    while True:
        operation.refresh_from_db(fields=["status", "worker", "result", "error_code", "error_message",
                                          "error_fields", "progress", "started", "finished"])
        if operation.status in FINISHED:
            return operation
        now = time.monotonic()
        if operation.status == Status.PENDING and now >= pickup_deadline:
            _give_up_unclaimed(operation, pickup_timeout)
            continue
        if operation.status == Status.RUNNING and now >= next_liveness_check:
            workers.recover_interrupted(only=[operation.pk])
            next_liveness_check = now + 2
        time.sleep(_FAST_POLL if now - started < _FAST_SECONDS else _SLOW_POLL)


def _give_up_unclaimed(operation, waited):
    error = WorkerUnavailable(f"no worker took the job within {waited:g} s: is the LWP worker running? "
                              "(the host page says)")
    finish(operation, Status.FAILED, error=error, only_from=[Status.PENDING])  # unless a worker took it just now


def execute(operation_id, worker_id):
    """Run a queued operation in this worker, unless it was cancelled or given up meanwhile."""
    claimed = Operation.objects.filter(pk=operation_id, status=Status.PENDING).update(
        status=Status.RUNNING, started=timezone.now(), worker=worker_id)
    if not claimed:
        return
    operation = Operation.objects.select_related("user").get(pk=operation_id)
    fn, _ = _KINDS[operation.kind]
    job = Job(operation)
    try:
        result = fn(job)
    except Cancelled as error:
        job.flush()
        finish(operation, Status.CANCELLED, error=error)
    except LWPError as error:
        job.flush()
        finish(operation, Status.FAILED, error=error)
    except (SystemExit, KeyboardInterrupt):
        job.flush()
        finish(operation, Status.FAILED, error=Interrupted("the worker was stopped while the job ran"))
        raise
    except Exception as error:
        log.exception("operation %s (%s) failed", operation.pk, operation.kind)
        job.flush()
        finish(operation, Status.FAILED, error=InternalError(f"{type(error).__name__}: {error}"))
    else:
        job.flush()
        finish(operation, Status.SUCCEEDED, result=result)


class Job:
    """What a running job reports through: log lines as they come, progress, cancellation.

    The engine calls output()/set_progress()/should_stop() while a long liblxc call runs.
    """

    def __init__(self, operation):
        self.operation = operation
        self._partial = ""
        self._next_cancel_check = 0.0
        self._cancelled = False

    def log(self, line):
        """One line of the panel's own (a step of the job)."""
        self.output(line.rstrip("\n") + "\n")

    def output(self, text):
        """Output as it comes (any chunking): complete lines go to the log, a partial one waits."""
        lines = (self._partial + text).split("\n")
        self._partial = lines.pop()
        self._store(lines)

    def flush(self):
        if self._partial:
            self._store([self._partial])
            self._partial = ""

    def _store(self, lines):
        lines = [line.rstrip("\r") for line in lines]
        if lines:
            now = timezone.now()
            LogLine.objects.bulk_create(LogLine(operation=self.operation, time=now, line=line[:4000])
                                        for line in lines)

    def remember(self, **facts):
        """Keep facts in the operation's params (what recovery needs should its worker die)."""
        self.operation.params.update(facts)
        Operation.objects.filter(pk=self.operation.pk).update(params=self.operation.params)

    def set_progress(self, percent):
        percent = max(0, min(100, int(percent)))
        self.operation.progress = percent
        Operation.objects.filter(pk=self.operation.pk).update(progress=percent)

    def should_stop(self):
        """True once someone cancelled this operation (asks the database at most twice a second)."""
        if not self._cancelled and time.monotonic() >= self._next_cancel_check:
            self._next_cancel_check = time.monotonic() + CANCEL_CHECK_SECONDS
            self._cancelled = Operation.objects.filter(pk=self.operation.pk, cancel_requested=True).exists()
        return self._cancelled


# ----- cancelling ------------------------------------------------------------------------------


def cancel(operation, *, user, origin=None):
    """Cancel a pending operation at once, or ask the worker to stop a running one."""
    if operation.status in FINISHED:
        raise OperationFinished(f"operation {operation.pk} already {operation.status}")
    audit.record_event(action="operation.cancel", target=operation.container, user=user, origin=origin,
                       operation=operation)
    Operation.objects.filter(pk=operation.pk).update(cancel_requested=True)
    # Still pending: it ends here (a worker that claims it now finds it cancelled). Running: the
    # worker's job sees cancel_requested within CANCEL_CHECK_SECONDS and undoes its work.
    error = Cancelled(f"cancelled by {user.get_username()} before it started")
    finish(operation, Status.CANCELLED, error=error, only_from=[Status.PENDING])
    operation.refresh_from_db()
    return operation
