from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from operations.models import Event, LogLine, Operation


class LogLineSerializer(serializers.ModelSerializer):
    class Meta:
        model = LogLine
        fields = ["time", "line"]


class OperationErrorSerializer(serializers.Serializer):
    # Not "ErrorSerializer": the schema would have two components named Error (lwp.api.schema's).

    code = serializers.CharField()
    message = serializers.CharField()
    fields = serializers.DictField(child=serializers.CharField(), required=False)


class OperationSerializer(serializers.ModelSerializer):
    """An operation as the API shows it (its log only in the detail, see OperationDetailSerializer)."""

    user = serializers.CharField(source="username", help_text="who asked for it")
    token = serializers.CharField(help_text="the description of the token used, if one was")
    error = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()

    class Meta:
        model = Operation
        fields = ["id", "kind", "container", "status", "progress", "user", "token", "source",
                  "client_address", "created", "started", "finished", "result", "error", "url"]

    @extend_schema_field(OperationErrorSerializer(allow_null=True))
    def get_error(self, operation):
        if not operation.error_code:
            return None
        error = {"code": operation.error_code, "message": operation.error_message}
        if operation.error_fields:
            error["fields"] = operation.error_fields
        return error

    def get_url(self, operation) -> str:
        return operation_path(operation)


class OperationDetailSerializer(OperationSerializer):
    log = LogLineSerializer(source="log_lines", many=True, read_only=True)

    class Meta(OperationSerializer.Meta):
        fields = [*OperationSerializer.Meta.fields, "log"]


def operation_path(operation):
    return f"/api/v1/operations/{operation.pk}"


class EventSerializer(serializers.ModelSerializer):
    user = serializers.CharField(source="username")
    token = serializers.CharField(help_text="the description of the token used, if one was")

    class Meta:
        model = Event
        fields = ["id", "time", "user", "token", "source", "client_address", "action", "target", "outcome",
                  "message", "operation"]
