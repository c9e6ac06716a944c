"""Request and response shapes of the backup routes (they also write the OpenAPI schema)."""

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from backups.models import KEEP_MAX, Backup, BackupSchedule
from containers.vocabulary import SNAPSHOT_COMMENT_MAX
from lwp.api.fields import RefuseUnknownFields, TextField


class BackupSerializer(serializers.ModelSerializer):
    created_by = serializers.SerializerMethodField()
    operation = serializers.UUIDField(source="operation_id", allow_null=True,
                                      help_text="the operation that made it (/api/v1/operations/<id>)")
    download = serializers.SerializerMethodField(help_text="where a ready backup's archive is downloaded")

    class Meta:
        model = Backup
        fields = ["id", "container", "comment", "created", "created_by", "scheduled", "status", "size_bytes",
                  "sha256", "source_bytes", "manifest", "operation", "download"]

    def get_created_by(self, backup) -> str | None:
        return backup.created_by.get_username() if backup.created_by else None

    def get_download(self, backup) -> str | None:
        if backup.status != Backup.Status.READY:
            return None
        return reverse("backups-api:download", args=[backup.container, backup.pk])


class ListedBackupSerializer(BackupSerializer):
    """A backup in the list of all of them; context["existing"] holds the names of the containers
    that exist (read once for the whole page)."""

    container_exists = serializers.SerializerMethodField(
        help_text="false once its container is destroyed (the backup is kept: a new one can be made from it)")

    class Meta(BackupSerializer.Meta):
        fields = [*BackupSerializer.Meta.fields, "container_exists"]

    def get_container_exists(self, backup) -> bool:
        return backup.container in self.context["existing"]


class BackupStartSerializer(RefuseUnknownFields, serializers.Serializer):
    comment = TextField(required=False, allow_blank=True, trim_whitespace=False, max_length=SNAPSHOT_COMMENT_MAX)


class BackupStartedSerializer(serializers.Serializer):
    status = serializers.CharField(default="ok")
    backup = BackupSerializer()
    operation = serializers.UUIDField()


class ImportSerializer(RefuseUnknownFields, serializers.Serializer):
    file = serializers.FileField(required=False, help_text="the archive (.tar.zst) a backup of LWP made")
    name = TextField(trim_whitespace=False, help_text="the new container's name")
    description = TextField(required=False, allow_blank=True, trim_whitespace=False, max_length=2000)


class RestoredSerializer(serializers.Serializer):
    status = serializers.CharField(default="ok")
    name = serializers.CharField()
    output = serializers.CharField()
    backup = serializers.UUIDField(help_text="the backup it was restored from")
    operation = serializers.UUIDField()


@extend_schema_field({"type": "string", "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$", "example": "03:00"})
class HourMinuteField(serializers.TimeField):
    """A time of day as HH:MM (OpenAPI's `time` format would want seconds and an offset)."""

    def __init__(self, **kwargs):
        super().__init__(format="%H:%M", input_formats=["%H:%M"], **kwargs)


class ScheduleSerializer(serializers.ModelSerializer):
    time = HourMinuteField(help_text="time of day, HH:MM, in the panel's time zone")
    last_status = serializers.SerializerMethodField(help_text="how the last scheduled backup's operation ended")

    class Meta:
        model = BackupSchedule
        fields = ["container", "enabled", "frequency", "weekday", "time", "keep", "next_run", "last_run",
                  "last_operation", "last_status"]

    def get_last_status(self, schedule) -> str | None:
        return schedule.last_operation.status if schedule.last_operation_id else None


class ScheduleChangeSerializer(RefuseUnknownFields, serializers.Serializer):
    enabled = serializers.BooleanField()
    frequency = serializers.ChoiceField(choices=BackupSchedule.Frequency.choices)
    weekday = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=6,
                                       help_text="weekly: 0 Monday .. 6 Sunday")
    time = HourMinuteField(help_text="HH:MM, in the panel's time zone")
    keep = serializers.IntegerField(min_value=1, max_value=KEEP_MAX, help_text="scheduled backups kept")


class StatusOperationSerializer(serializers.Serializer):
    status = serializers.CharField(default="ok")
    operation = serializers.UUIDField(help_text="the operation that recorded this change")
