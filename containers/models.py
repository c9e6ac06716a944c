from django.conf import settings
from django.db import models


class Container(models.Model):
    """What the panel owns about a container; its live state always comes from liblxc.

    Containers created outside the panel have no row until someone edits their
    metadata; their permissions are still checked against this model.
    """

    name = models.CharField(max_length=64, unique=True)
    template = models.CharField(max_length=100, blank=True)
    # The source's name, with "@snapN" for a clone of one of its snapshots.
    clone_of = models.CharField("cloned from", max_length=80, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(null=True, blank=True)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]
        # A backup holds the container's whole filesystem: downloading one is a right of its own.
        permissions = [("download_backup", "Can download a container's backup"),
                       ("console_container", "Can open a console in a container")]

    def __str__(self):
        return self.name

    @staticmethod
    def clone_origin(source, snapshot=None):
        """What clone_of holds for a clone of `source`, or of its `snapshot`."""
        return f"{source}@{snapshot}" if snapshot else source

    @property
    def clone_source(self):
        return self.clone_of.partition("@")[0]

    @property
    def clone_snapshot(self):
        return self.clone_of.partition("@")[2]


class ConsoleTicket(models.Model):
    """A one-time pass to a console socket for an API client (containers/consoles.py): the
    socket's handshake carries the secret, which only its SHA-256 digest here can match.

    In the database so that whichever server process gets the socket can check it; consumed by
    a conditional delete, so exactly one connection wins it."""

    digest = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    container = models.CharField(max_length=64)
    mode = models.CharField(max_length=8)
    token = models.CharField("token description", max_length=100, blank=True)  # who asked, for the audit
    expires = models.DateTimeField(db_index=True)


class ConsoleRecord(models.Model):
    """A console session as every server process sees it (the per-user limit counts the open
    ones): open while `ended` is empty and its server beat within consoles.STALE."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    container = models.CharField(max_length=64)
    mode = models.CharField(max_length=8)
    client_address = models.CharField(max_length=45, blank=True)
    server = models.CharField(max_length=300)  # hostname:pid of the server process holding it
    started = models.DateTimeField()
    seen = models.DateTimeField(db_index=True)  # its server's last heartbeat
    ended = models.DateTimeField(null=True, blank=True, db_index=True)
    reason = models.CharField(max_length=32, blank=True)

    class Meta:
        ordering = ["-started"]

    def __str__(self):
        return f"{self.mode} console of {self.container} ({self.user})"
