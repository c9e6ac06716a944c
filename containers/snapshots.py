"""Snapshots of a container: list, take, restore, delete, and clone a new container from one.

Services as in containers.services (keyword-only, permission first, each change an
operation with its audit event). Taking and restoring copy the whole root filesystem, so
they run in the worker; deleting one is short and runs right away. What the arguments and
the container's state can refuse is refused before anything is queued.
"""

import logging

from containers import services
from containers.engines.base import check_snapshot_clone
from containers.services import ADD, CHANGE, VIEW, require_permission
from containers.vocabulary import validate_snapshot_comment, validate_snapshot_name
from lwp.exceptions import ContainerExists, InvalidInput, InvalidState, SnapshotNotFound
from operations import jobs
from operations.jobs import job_kind

log = logging.getLogger("lwp.containers")


def _engine():
    # The services' engine, looked up there each time: one place to swap it (the tests' fake).
    return services.get_engine()


def snapshot_fields(snapshot):
    """A Snapshot as the API answers it and a job's result keeps it (size: null where unknown)."""
    return {"name": snapshot.name, "comment": snapshot.comment, "created": snapshot.created,
            "size": snapshot.size_bytes}


def list_snapshots(*, name, user):
    """The container's snapshots, oldest first."""
    require_permission(user, VIEW)
    return _engine().snapshots(name)


def take_snapshot(*, name, user, comment="", origin=None, wait=True):
    """Snapshot a stopped container in the worker; returns its Operation (finished, with wait)."""
    require_permission(user, CHANGE)
    comment = validate_snapshot_comment(comment)
    _require_stopped(name, "a snapshot is taken of a stopped container only (its files must not change "
                           "during the copy); stop it first")
    return jobs.submit(kind="snapshot", container=name, user=user, origin=origin, params={"comment": comment},
                       wait=wait)


def restore_snapshot(*, name, snapshot, user, force=False, origin=None, wait=True):
    """Bring the container back to `snapshot` in the worker (force: stop it first); returns its Operation."""
    require_permission(user, CHANGE)
    _require_snapshot(name, snapshot)
    if not force:
        _require_stopped(name, "stop it first or ask for a forced restore")
    return jobs.submit(kind="snapshot_restore", container=name, user=user, origin=origin,
                       params={"snapshot": snapshot, "force": force}, wait=wait)


def delete_snapshot(*, name, snapshot, user, origin=None):
    """Delete one snapshot right away; returns the operation that records it."""
    require_permission(user, CHANGE)
    validate_snapshot_name(snapshot)
    _, operation = jobs.run_now(kind="snapshot_delete", container=name, user=user, origin=origin,
                                params={"snapshot": snapshot},
                                work=lambda: _engine().destroy_snapshot(name, snapshot))
    log.info("%s: snapshot %s deleted by %s", name, snapshot, user)
    return operation


def clone_from_snapshot(*, source, snapshot, name, user, origin=None, store=None, description="", wait=True):
    """A new container `name` from `source`'s `snapshot`, in the worker (a clone job, so it shows in
    the source's history too); returns its Operation (finished, with wait)."""
    require_permission(user, ADD)
    if store:
        message = "a clone from a snapshot is made in the source's own store"
        raise InvalidInput(f"store: {message}", fields={"store": message})
    engine = _engine()
    check_snapshot_clone(engine, source, snapshot, name)
    _require_snapshot(source, snapshot)
    if engine.exists(name):
        raise ContainerExists(f"container {name!r} already exists")
    params = {"source": source, "snapshot": snapshot, "store": None, "description": description}
    return jobs.submit(kind="clone", container=name, user=user, origin=origin, params=params, wait=wait)


def _require_stopped(name, why):
    state = _engine().state(name)  # ContainerNotFound for an unknown one
    if state != "STOPPED":
        raise InvalidState(f"container {name!r} is {state}: {why}")


def _require_snapshot(name, snapshot):
    validate_snapshot_name(snapshot)
    if snapshot not in {taken.name for taken in _engine().snapshots(name)}:
        raise SnapshotNotFound(f"container {name!r} has no snapshot {snapshot!r}")


@job_kind("snapshot")
def _snapshot_job(job):
    name = job.operation.container
    job.log(f"LWP: taking a snapshot of {name!r}")
    snapshot = _engine().take_snapshot(name, comment=job.operation.params["comment"], monitor=job)
    job.log(f"LWP: took {snapshot.name} of {name!r}")
    log.info("%s: snapshot %s taken by %s", name, snapshot.name, job.operation.username)
    return {"name": name, "snapshot": snapshot_fields(snapshot)}


@job_kind("snapshot_restore")
def _restore_job(job):
    name, params = job.operation.container, job.operation.params
    job.log(f"LWP: restoring {name!r} to {params['snapshot']}" + (" (stopping it first)" if params["force"] else ""))
    _engine().restore_snapshot(name, params["snapshot"], force=params["force"], monitor=job)
    job.log(f"LWP: restored {name!r} to {params['snapshot']}")
    log.info("%s: restored to %s by %s", name, params["snapshot"], job.operation.username)
    return {"name": name, "snapshot": params["snapshot"]}
