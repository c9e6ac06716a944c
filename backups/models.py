"""What the panel owns about backups: each archive's record, and each container's schedule.

The archives themselves are files in settings.LWP_BACKUP_DIR. A backup is kept by the name of
its container, not a link to it: it outlives the container, and is how one is rebuilt.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

KEEP_MAX = 100  # scheduled backups a schedule may keep


class Backup(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending"
        RUNNING = "running"
        READY = "ready"
        FAILED = "failed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    container = models.CharField(max_length=64, db_index=True)
    comment = models.TextField(blank=True)
    created = models.DateTimeField(default=timezone.now, db_index=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    scheduled = models.BooleanField(default=False, help_text="made by the container's schedule")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    file_name = models.CharField(max_length=100, blank=True, help_text="inside LWP_BACKUP_DIR")
    size_bytes = models.BigIntegerField(null=True, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    source_bytes = models.BigIntegerField(null=True, blank=True)
    manifest = models.JSONField(default=dict, blank=True)
    operation = models.ForeignKey("operations.Operation", null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+")

    class Meta:
        ordering = ["-created"]

    def __str__(self):
        return f"{self.container} {self.created:%Y-%m-%d %H:%M:%S} ({self.status})"

    @property
    def download_name(self):
        """The file name a download suggests: the container's name (validated) and the time."""
        return f"{self.container}-{timezone.localtime(self.created):%Y%m%d-%H%M%S}.tar.zst"


class BackupSchedule(models.Model):
    class Frequency(models.TextChoices):
        DAILY = "daily"
        WEEKLY = "weekly"

    container = models.CharField(max_length=64, unique=True)
    enabled = models.BooleanField(default=True)
    frequency = models.CharField(max_length=8, choices=Frequency.choices, default=Frequency.DAILY)
    weekday = models.PositiveSmallIntegerField(null=True, blank=True, help_text="0 Monday .. 6 Sunday (weekly)")
    time = models.TimeField(help_text="time of day in settings.TIME_ZONE")
    keep = models.PositiveSmallIntegerField(default=7)
    next_run = models.DateTimeField(null=True, blank=True, db_index=True)
    last_run = models.DateTimeField(null=True, blank=True)
    last_operation = models.ForeignKey("operations.Operation", null=True, blank=True, on_delete=models.SET_NULL,
                                       related_name="+")

    class Meta:
        ordering = ["container"]

    def __str__(self):
        return f"{self.container}: {self.frequency} at {self.time:%H:%M}"
