"""What the panel remembers of every change: operations (jobs, with their logs) and audit events.

Operations are updated as they run; events are append-only (only pruning removes them).
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q


class Source(models.TextChoices):
    API = "api", "API"
    PANEL = "panel", "panel"
    ADMIN = "admin", "admin"
    CLI = "cli", "command line"
    WORKER = "worker", "worker"  # jobs the worker starts on its own (schedules, clean-ups)


class Status(models.TextChoices):
    PENDING = "pending"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


FINISHED = (Status.SUCCEEDED, Status.FAILED, Status.CANCELLED)
UNFINISHED = (Status.PENDING, Status.RUNNING)


class Operation(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=32)
    container = models.CharField(max_length=64, blank=True, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+")
    username = models.CharField(max_length=150, blank=True)  # kept when the user is deleted
    token = models.CharField("token description", max_length=100, blank=True)  # never the secret
    source = models.CharField(max_length=8, choices=Source.choices)
    client_address = models.CharField(max_length=45, blank=True)
    params = models.JSONField(default=dict, blank=True)  # what the job needs (no secrets)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    progress = models.PositiveSmallIntegerField(null=True, blank=True)  # 0-100, null when unknown
    result = models.JSONField(null=True, blank=True)
    error_code = models.CharField(max_length=32, blank=True)
    error_message = models.TextField(blank=True)
    error_fields = models.JSONField(default=dict, blank=True)
    cancel_requested = models.BooleanField(default=False)
    worker = models.CharField(max_length=64, blank=True)  # the worker running it (see Worker)
    created = models.DateTimeField(auto_now_add=True, db_index=True)
    started = models.DateTimeField(null=True, blank=True)
    finished = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created"]
        constraints = [models.CheckConstraint(condition=Q(progress__lte=100), name="progress_at_most_100")]

    def __str__(self):
        return f"{self.kind} {self.container} ({self.status})"

    @property
    def is_finished(self):
        return self.status in FINISHED

    @property
    def kind_label(self):
        """The kind as people read it: "snapshot restore", not "snapshot_restore"."""
        return self.kind.replace("_", " ")


class LogLine(models.Model):
    """One line of an operation's output (a template's, a tool's, or the panel's own)."""

    operation = models.ForeignKey(Operation, on_delete=models.CASCADE, related_name="log_lines")
    time = models.DateTimeField()
    line = models.TextField()

    class Meta:
        ordering = ["id"]


class Worker(models.Model):
    """A worker process, so others can tell whether it still lives (heartbeat, pid)."""

    id = models.CharField(max_length=64, primary_key=True)
    hostname = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    pid_started = models.BigIntegerField()  # the process's start time in clock ticks: pids get reused
    started = models.DateTimeField()
    last_seen = models.DateTimeField()

    def __str__(self):
        return f"{self.hostname}:{self.pid}"


class AppendOnly(Exception):
    pass


class Event(models.Model):
    """One audit record: who did what to what, from where, and how it ended. Never changed."""

    time = models.DateTimeField(db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+")
    username = models.CharField(max_length=150, blank=True)
    token = models.CharField("token description", max_length=100, blank=True)
    source = models.CharField(max_length=8, choices=Source.choices)
    client_address = models.CharField(max_length=45, blank=True)
    action = models.CharField(max_length=64, db_index=True)
    target = models.CharField(max_length=200, blank=True, db_index=True)
    outcome = models.CharField(max_length=16)
    message = models.TextField(blank=True)
    operation = models.UUIDField(null=True, blank=True)

    class Meta:
        ordering = ["-time", "-id"]

    def __str__(self):
        return f"{self.time:%Y-%m-%d %H:%M:%S} {self.username or '-'} {self.action} {self.target} {self.outcome}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnly("audit events cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnly("audit events cannot be deleted (they are pruned after LWP_AUDIT_DAYS)")
