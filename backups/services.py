"""Backups once, for the API, the panel and the worker's schedules.

Keyword-only arguments; each function checks the user's permission on the Container model
(as containers.services does), calls only the engine's backup methods (export_backup,
check_backup, restore_backup) and records the Backup rows. Long work (a backup, a restore)
is a job in the worker; whatever the arguments alone can show is refused before it is queued.
"""

import datetime
import logging
import os
import shutil
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import OuterRef, Subquery

from backups.models import Backup, BackupSchedule
from containers import services as containers
from containers.engines.archive import staging_dir
from containers.vocabulary import validate_name, validate_snapshot_comment
from lwp.exceptions import (
    BackupNotFound, ContainerExists, ContainerNotFound, InvalidInput, InvalidState, PermissionDenied,
)
from operations import audit, jobs
from operations.jobs import job_kind
from operations.models import Status as OperationStatus
from operations.origin import WORKER

log = logging.getLogger("lwp.backups")

DOWNLOAD = "containers.download_backup"
SUFFIX = ".tar.zst"
PARTIAL = ".part"
UNFINISHED = (Backup.Status.PENDING, Backup.Status.RUNNING)


def _engine():
    # containers.services' getter: the one the fake_engine fixture replaces in tests.
    return containers.get_engine()


def _require_download(user):
    if user is None or not user.is_active or not user.has_perm(DOWNLOAD):
        raise PermissionDenied("you do not have permission to download backups")


# ----- where the archives are ------------------------------------------------------------------


def backup_dir():
    return Path(settings.LWP_BACKUP_DIR)


def final_path(backup_id):
    return backup_dir() / f"{backup_id}{SUFFIX}"


def partial_path(backup_id):
    return backup_dir() / f"{backup_id}{SUFFIX}{PARTIAL}"


def _discard(path):
    """Remove an archive, with what a killed writer staged beside it (base.export_backup)."""
    Path(path).unlink(missing_ok=True)
    shutil.rmtree(staging_dir(path), ignore_errors=True)


# ----- reading ----------------------------------------------------------------------------------


def _settle_orphans():
    """A backup whose operation ended without it (never picked up, cancelled before it ran) failed.

    Read first: pages that poll must not take the database's write lock for nothing."""
    orphans = Backup.objects.filter(status__in=UNFINISHED, operation__status__in=[
        OperationStatus.FAILED, OperationStatus.CANCELLED])
    if orphans.exists():
        orphans.update(status=Backup.Status.FAILED)


def list_backups(*, name, user):
    """The backups kept of container `name`, newest first (also once the container is gone)."""
    containers.require_permission(user, containers.VIEW)
    validate_name(name)
    _settle_orphans()
    return list(Backup.objects.filter(container=name).select_related("created_by"))


def all_backups(*, user):
    """Every backup kept, of every container (also the destroyed ones), newest first: a queryset,
    for the lists to filter and page through."""
    containers.require_permission(user, containers.VIEW)
    _settle_orphans()
    return Backup.objects.select_related("created_by")


def container_exists(*, name, user):
    """Whether container `name` is still there (a backup outlives it)."""
    containers.require_permission(user, containers.VIEW)
    try:
        validate_name(name)
    except InvalidInput:
        return False  # never a container's name
    return _engine().exists(name)


def get_backup(*, name, backup_id, user):
    containers.require_permission(user, containers.VIEW)
    return _find(name, backup_id)


def _find(name, backup_id):
    validate_name(name)
    _settle_orphans()
    backup = Backup.objects.select_related("created_by").filter(container=name, pk=backup_id).first()
    if backup is None:
        raise BackupNotFound(f"container {name!r} has no backup {backup_id}")
    return backup


def open_download(*, name, backup_id, user, origin=None):
    """The archive of a ready backup, opened for reading, and its Backup; the download is an event
    (the archive holds the container's whole filesystem)."""
    _require_download(user)
    backup = _find(name, backup_id)
    if backup.status != Backup.Status.READY:
        raise InvalidState(f"backup {backup.pk} is {backup.status}, not ready")
    try:
        archive = open(final_path(backup.pk), "rb")  # noqa: SIM115 - the response closes it
    except FileNotFoundError:
        raise InvalidState(f"the archive of backup {backup.pk} is missing") from None
    audit.record_event(action="container.backup_download", target=name, user=user, origin=origin,
                       message=f"backup {backup.pk}")
    return archive, backup


# ----- backing up --------------------------------------------------------------------------------


def start_backup(*, name, user, comment="", origin=None, wait=True):
    """Back up container `name` in the worker; returns (Backup, its Operation, finished with wait)."""
    containers.require_permission(user, containers.CHANGE)
    validate_name(name)
    validate_snapshot_comment(comment)
    if not _engine().exists(name):
        raise ContainerNotFound(f"container {name!r} does not exist")
    return _submit_backup(name=name, user=user, comment=comment, scheduled=False, origin=origin, wait=wait)


def _submit_backup(*, name, user, comment, scheduled, origin, wait):
    named = user if user is not None and user.is_authenticated else None
    backup = Backup.objects.create(container=name, comment=comment, scheduled=scheduled, created_by=named)
    operation = jobs.submit(kind="backup", container=name, user=user, origin=origin,
                            params={"backup": str(backup.pk), "scheduled": scheduled}, wait=wait)
    Backup.objects.filter(pk=backup.pk).update(operation=operation)
    backup.refresh_from_db()
    return backup, operation


def _mark_failed(backup_id):
    Backup.objects.filter(pk=backup_id, status__in=UNFINISHED).update(status=Backup.Status.FAILED)


def _undo_backup(operation):
    """After a worker died mid-backup: no partial archive stays, and the backup is failed."""
    backup_id = operation.params.get("backup")
    if backup_id:
        _discard(partial_path(backup_id))
        _mark_failed(backup_id)


@job_kind("backup", undo=_undo_backup)
def _backup_job(job):
    backup = Backup.objects.get(pk=job.operation.params["backup"])
    name = backup.container
    Backup.objects.filter(pk=backup.pk).update(status=Backup.Status.RUNNING, operation=job.operation)
    job.log(f"LWP: backing up {name!r} as backup {backup.pk}")
    partial = partial_path(backup.pk)
    try:
        archive = _engine().export_backup(name, str(partial), comment=backup.comment, monitor=job)
        os.replace(partial, final_path(backup.pk))  # only a whole archive has the final name
    except BaseException:
        _discard(partial)
        _mark_failed(backup.pk)
        raise
    Backup.objects.filter(pk=backup.pk).update(
        status=Backup.Status.READY, file_name=final_path(backup.pk).name, size_bytes=archive.size_bytes,
        sha256=archive.sha256, source_bytes=archive.source_bytes, manifest=archive.manifest)
    job.log(f"LWP: backed up {name!r}: {archive.size_bytes} bytes, sha256 {archive.sha256}")
    log.info("%s: backed up (%s) by %s", name, backup.pk, job.operation.username or "its schedule")
    if backup.scheduled:
        _prune_scheduled(name, job)
    return {"backup": str(backup.pk), "size_bytes": archive.size_bytes, "sha256": archive.sha256}


def _prune_scheduled(name, job):
    """Keep the newest `keep` scheduled backups of `name` (and drop the failed ones before them)."""
    schedule = BackupSchedule.objects.filter(container=name).first()
    if schedule is None:
        return
    made = Backup.objects.filter(container=name, scheduled=True)
    kept = list(made.filter(status=Backup.Status.READY).values_list("pk", flat=True)[:schedule.keep])
    newest = made.filter(pk__in=kept).order_by("created").first()
    stale = made.exclude(pk__in=kept).exclude(status__in=UNFINISHED)
    if newest is not None:
        stale = stale.filter(created__lte=newest.created)
    for backup in stale:
        _remove(backup)
        job.log(f"LWP: removed scheduled backup {backup.pk} of {backup.created:%Y-%m-%d %H:%M} "
                f"(the schedule keeps {schedule.keep})")


# ----- deleting ---------------------------------------------------------------------------------


def delete_backup(*, name, backup_id, user, origin=None):
    """Remove a backup's archive and record; returns the operation (short: it runs right away).

    Needs the delete permission: the backup may be the last copy of a destroyed container.
    """
    containers.require_permission(user, containers.DELETE)
    backup = _find(name, backup_id)
    if backup.status in UNFINISHED:
        raise InvalidState(f"backup {backup.pk} is {backup.status}; cancel its operation first")
    _, operation = jobs.run_now(kind="backup_delete", container=name, user=user, origin=origin,
                                params={"backup": str(backup.pk)}, work=lambda: _remove(backup))
    return operation


def _remove(backup):
    _discard(final_path(backup.pk))
    backup.delete()


# ----- restoring --------------------------------------------------------------------------------


def restore_backup(*, backup_id, name, user, origin=None, description="", wait=True):
    """A new container `name` from a ready backup, in the worker; returns its Operation."""
    containers.require_permission(user, containers.ADD)
    validate_name(name)
    backup = Backup.objects.filter(pk=backup_id).first()
    if backup is None or backup.status != Backup.Status.READY:
        message = "no backup with this id" if backup is None else f"backup {backup_id} is {backup.status}, not ready"
        raise InvalidInput(f"backup {message}", fields={"backup": message})
    if not final_path(backup.pk).is_file():
        message = f"the archive of backup {backup_id} is missing"
        raise InvalidInput(message, fields={"backup": message})
    if _engine().exists(name):
        raise ContainerExists(f"container {name!r} already exists")
    params = {"backup": str(backup.pk), "source": backup.container, "trusted": user.is_superuser,
              "description": description}
    return jobs.submit(kind="backup_restore", container=name, user=user, origin=origin, params=params, wait=wait)


@job_kind("backup_restore", undo=containers._undo_make)
def _restore_job(job):
    params, name = containers._note_target(job), job.operation.container
    job.log(f"LWP: restoring backup {params['backup']} of {params['source']!r} as {name!r}")
    result = _engine().restore_backup(str(final_path(params["backup"])), name, trusted=params["trusted"],
                                      monitor=job)
    containers._record_creation(
        name=name, user=job.operation.user,
        description=params["description"] or f"restored from backup {params['backup']} of {params['source']}")
    job.log(f"LWP: restored {name!r}")
    log.info("%s: restored from backup %s by %s", name, params["backup"], job.operation.username)
    return {"name": result.name, "output": result.output, "backup": params["backup"]}


def import_backup(*, upload, name, user, origin=None, description="", wait=True):
    """A new container `name` from an uploaded archive (an Upload already in LWP_BACKUP_DIR).

    The archive is checked before anything is queued; a bad one is refused and its file removed.
    A good one is kept as a backup of the new container (it is one: the restored container
    has a backup from its first minute, and a failed restore can be retried from it without
    a second upload), then restored as any backup is.
    """
    try:
        containers.require_permission(user, containers.ADD)
        validate_name(name)
        if _engine().exists(name):
            raise ContainerExists(f"container {name!r} already exists")
        manifest = _engine().check_backup(str(upload.path), trusted=user.is_superuser)
        with transaction.atomic():
            backup = Backup.objects.create(
                container=name, comment=f"imported from {upload.original_name}"[:1000], created_by=user,
                status=Backup.Status.READY, file_name=final_path("x").name, size_bytes=upload.size,
                sha256=upload.sha256, manifest=manifest, source_bytes=_source_bytes(manifest))
            backup.file_name = final_path(backup.pk).name
            backup.save(update_fields=["file_name"])
            os.replace(upload.path, final_path(backup.pk))
    finally:
        _discard(upload.path)  # gone either way: renamed, or refused
    return restore_backup(backup_id=backup.pk, name=name, user=user, origin=origin, description=description,
                          wait=wait)


def _source_bytes(manifest):
    value = manifest.get("source_bytes") if isinstance(manifest, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


# ----- schedules --------------------------------------------------------------------------------


def get_schedule(*, name, user):
    """The schedule of container `name`, or an unsaved disabled one (daily at 03:00, keep 7)."""
    containers.require_permission(user, containers.VIEW)
    validate_name(name)
    return BackupSchedule.objects.filter(container=name).first() or BackupSchedule(
        container=name, enabled=False, time=datetime.time(3, 0))


def set_schedule(*, name, user, enabled, frequency, time, keep, weekday=None, origin=None):
    """Save the schedule of container `name` (checked here for every surface); returns it."""
    from backups import schedules  # noqa: PLC0415 - schedules imports this module

    containers.require_permission(user, containers.CHANGE)
    validate_name(name)
    schedules.check(frequency=frequency, weekday=weekday, time=time, keep=keep)
    if not _engine().exists(name):
        raise ContainerNotFound(f"container {name!r} does not exist")

    def save():
        schedule = BackupSchedule.objects.filter(container=name).first() or BackupSchedule(container=name)
        schedule.enabled, schedule.frequency, schedule.time, schedule.keep = bool(enabled), frequency, time, keep
        schedule.weekday = weekday if frequency == BackupSchedule.Frequency.WEEKLY else None
        schedule.next_run = schedules.next_run_after(schedule) if schedule.enabled else None
        schedule.save()
        return schedule

    params = {"enabled": bool(enabled), "frequency": frequency, "weekday": weekday, "time": time.strftime("%H:%M"),
              "keep": keep}
    schedule, _ = jobs.run_now(kind="backup_schedule", container=name, user=user, origin=origin, params=params,
                               work=save)
    return schedule


def submit_scheduled(schedule):
    """The worker's backup of a due schedule (no user: the schedule asked for it); None, and the
    schedule disabled, once its container is gone (nobody could turn it off from its page)."""
    if not _engine().exists(schedule.container):
        BackupSchedule.objects.filter(pk=schedule.pk).update(enabled=False, next_run=None)
        log.warning("%s: the container is gone; its backup schedule is disabled", schedule.container)
        return None
    _, operation = _submit_backup(name=schedule.container, user=None, comment="scheduled", scheduled=True,
                                  origin=WORKER, wait=False)
    BackupSchedule.objects.filter(pk=schedule.pk).update(last_operation=operation)
    return operation


def failed_schedules(*, user):
    """The containers whose latest scheduled backup failed (the dashboard's notice)."""
    if user is None or not user.has_perm(containers.VIEW):
        return []
    _settle_orphans()
    latest = Backup.objects.filter(scheduled=True, container=OuterRef("container")).order_by("-created")
    return sorted(set(Backup.objects.filter(scheduled=True, status=Backup.Status.FAILED,
                                            pk=Subquery(latest.values("pk")[:1]))
                      .values_list("container", flat=True)))

