"""Backup schedules: when each runs next, and the worker's chore that starts the due ones.

A schedule runs daily or weekly at a time of day in settings.TIME_ZONE (so "03:00" stays
03:00 across a change of daylight saving time).
"""

import datetime
import logging
import zoneinfo

from django.conf import settings
from django.utils import timezone

from backups import services
from backups.models import KEEP_MAX, BackupSchedule
from lwp.exceptions import InvalidInput

log = logging.getLogger("lwp.backups")

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def check(*, frequency, weekday, time, keep):
    """InvalidInput naming every bad field of a schedule."""
    fields = {}
    if frequency not in BackupSchedule.Frequency.values:
        fields["frequency"] = f"must be one of {', '.join(BackupSchedule.Frequency.values)}"
    if frequency == BackupSchedule.Frequency.WEEKLY and (
            isinstance(weekday, bool) or not isinstance(weekday, int) or not 0 <= weekday <= 6):
        fields["weekday"] = "a weekly schedule needs a weekday from 0 (Monday) to 6 (Sunday)"
    if not isinstance(time, datetime.time):
        fields["time"] = "must be a time of day, HH:MM"
    if isinstance(keep, bool) or not isinstance(keep, int) or not 1 <= keep <= KEEP_MAX:
        fields["keep"] = f"must be a whole number from 1 to {KEEP_MAX}"
    if fields:
        raise InvalidInput("invalid schedule: " + "; ".join(f"{k}: {v}" for k, v in fields.items()), fields=fields)


def next_run_after(schedule, now=None):
    """The first time after `now` at which `schedule` is due (aware, in UTC)."""
    now = now or timezone.now()
    zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    local_now = now.astimezone(zone)
    step = 7 if schedule.frequency == BackupSchedule.Frequency.WEEKLY else 1
    day = local_now.date()
    if step == 7:
        day += datetime.timedelta(days=(schedule.weekday - day.weekday()) % 7)
    # The wall-clock time on each candidate day, so that daylight saving time does not shift it.
    while (candidate := datetime.datetime.combine(day, schedule.time, tzinfo=zone)) <= local_now:
        day += datetime.timedelta(days=step)
    return candidate.astimezone(datetime.UTC)


def run_due(now=None):
    """Start a backup for every enabled schedule due by `now`; returns their operations.

    Each due schedule is claimed by moving its next_run with a conditional UPDATE first: of
    two workers running this at once, only the one whose UPDATE changed the row submits.
    """
    now = now or timezone.now()
    started = []
    for schedule in BackupSchedule.objects.filter(enabled=True, next_run__lte=now):
        if not claim(schedule, now):
            continue
        try:
            operation = services.submit_scheduled(schedule)
        except Exception:  # noqa: BLE001 - logged; the other schedules still run
            log.exception("%s: the scheduled backup could not be started", schedule.container)
            continue
        if operation is None:
            continue
        log.info("%s: scheduled backup started (operation %s)", schedule.container, operation.pk)
        started.append(operation)
    return started


def claim(schedule, now):
    """Move a due schedule's next_run on, if no one did since it was read: True for the one caller
    whose UPDATE changed the row (it then starts the backup)."""
    return bool(BackupSchedule.objects.filter(pk=schedule.pk, enabled=True, next_run=schedule.next_run).update(
        next_run=next_run_after(schedule, now), last_run=now))


def describe(schedule):
    """"daily at 03:00" / "weekly on Monday at 03:00" (in TIME_ZONE)."""
    when = f"at {schedule.time:%H:%M}"
    if schedule.frequency == BackupSchedule.Frequency.WEEKLY and schedule.weekday is not None:
        return f"weekly on {WEEKDAYS[schedule.weekday]} {when}"
    return f"daily {when}"
