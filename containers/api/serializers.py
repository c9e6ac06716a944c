"""Request and response shapes of the container routes (they also write the OpenAPI schema)."""

import shlex

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from containers.vocabulary import (
    CONSOLE_MODES, MAX_STOP_TIMEOUT, POWER_ACTIONS, SNAPSHOT_ACTIONS, SNAPSHOT_COMMENT_MAX, validate_name,
)
from lwp.api.fields import RefuseUnknownFields, TextField
from lwp.exceptions import InvalidName

MAX_XARGS_TEXT = 4096


def _optional_text(**kwargs):
    # Not trimmed: "name\n" is refused by the name rules rather than quietly repaired.
    return TextField(required=False, allow_blank=True, trim_whitespace=False, **kwargs)


# ----- list and detail --------------------------------------------------------------------


class ContainerStateSerializer(serializers.Serializer):
    container = serializers.CharField(source="name")
    state = serializers.SerializerMethodField()

    def get_state(self, row) -> str:
        return row.state.lower()


class RawFiguresSerializer(serializers.Serializer):
    """The detail figures as plain numbers; null where a figure does not apply."""

    pid = serializers.IntegerField(allow_null=True)
    cpu_ns = serializers.IntegerField(allow_null=True, help_text="CPU time used, nanoseconds")
    memory_bytes = serializers.IntegerField(allow_null=True)
    kmem_bytes = serializers.IntegerField(allow_null=True, help_text="cgroup v1 hosts only")
    blkio_bytes = serializers.IntegerField(allow_null=True)
    rx_bytes = serializers.IntegerField(allow_null=True, help_text="received by the container")
    tx_bytes = serializers.IntegerField(allow_null=True, help_text="sent by the container")
    total_bytes = serializers.IntegerField(allow_null=True)


def _figure(example):
    return serializers.CharField(allow_null=True, help_text=f'as lxc-info prints it, e.g. "{example}"')


class ContainerDetailSerializer(serializers.Serializer):
    """LWP's documented keys (lxc-info's strings), then machine-readable extras."""

    name = serializers.CharField()
    state = serializers.CharField(help_text='upper case, e.g. "RUNNING"')
    pid = serializers.CharField(allow_null=True, help_text='init PID as a string, e.g. "4548"')
    ip = serializers.CharField(allow_null=True, help_text="the first IPv4 address (else the first address)")
    link = serializers.CharField(allow_null=True, help_text="bridge of the first network interface")
    cpu_use = _figure("0.67 seconds")
    memory_use = _figure("2.02 MiB")
    kmem_use = _figure("0 bytes")
    blkio_use = _figure("7.66 MiB")
    rx_bytes = _figure("81.08 KiB")
    tx_bytes = _figure("0 bytes")
    total_bytes = _figure("81.08 KiB")
    ips = serializers.ListField(child=serializers.CharField(), help_text="every address")
    ipv4 = serializers.ListField(child=serializers.CharField())
    ipv6 = serializers.ListField(child=serializers.CharField())
    host_interface = serializers.CharField(allow_null=True, help_text="host side veth (lxc-info's Link)")
    values = RawFiguresSerializer()

    def to_representation(self, info):
        raw = {"pid": info.pid, "cpu_ns": info.cpu_ns, "memory_bytes": info.memory_bytes,
               "kmem_bytes": info.kmem_bytes, "blkio_bytes": info.blkio_bytes,
               "rx_bytes": info.rx_bytes, "tx_bytes": info.tx_bytes, "total_bytes": info.total_bytes}
        return super().to_representation({
            "name": info.name,
            "state": info.state,
            "pid": str(info.pid) if info.pid is not None else None,
            "ip": (info.ipv4 or info.ips or [None])[0],
            "link": info.link or None,
            **info.formatted(),
            "ips": info.ips,
            "ipv4": info.ipv4,
            "ipv6": info.ipv6,
            "host_interface": info.host_interface or None,
            "values": raw,
        })


# ----- power actions ----------------------------------------------------------------------


class ActionSerializer(RefuseUnknownFields, serializers.Serializer):
    action = serializers.ChoiceField(choices=POWER_ACTIONS)
    timeout = serializers.IntegerField(
        required=False, allow_null=True, min_value=0, max_value=MAX_STOP_TIMEOUT,
        help_text="stop and restart: seconds of graceful shutdown before the container is forced off")
    force = serializers.BooleanField(required=False, default=False,
                                     help_text="stop and restart: skip the graceful shutdown")


class ActionResultSerializer(serializers.Serializer):
    status = serializers.CharField(default="ok")
    name = serializers.CharField()
    state = serializers.CharField(help_text="the state that now holds, upper case")
    operation = serializers.UUIDField(help_text="the operation that recorded this change (/api/v1/operations/<id>)")


# ----- create and clone -------------------------------------------------------------------


@extend_schema_field({"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}],
                      "description": "template arguments: a string split as a shell would split it "
                                     "(never run by one), or a list of strings"})
class TemplateArgsField(serializers.Field):
    default_error_messages = {
        "invalid": "must be a string or a list of strings",
        "unbalanced": "cannot be split into arguments: {reason}",
        "too_long": f"must be at most {MAX_XARGS_TEXT} characters",
    }

    def to_internal_value(self, data):
        if isinstance(data, str):
            if len(data) > MAX_XARGS_TEXT:
                self.fail("too_long")
            try:
                return shlex.split(data)
            except ValueError as exc:
                self.fail("unbalanced", reason=str(exc).lower())
        if isinstance(data, list) and all(isinstance(item, str) for item in data):
            return data
        self.fail("invalid")

    def to_representation(self, value):
        return value


class CreateSerializer(RefuseUnknownFields, serializers.Serializer):
    name = TextField(trim_whitespace=False, help_text="the new container's name")
    template = _optional_text(help_text="a template this host has (GET /api/v1/templates)")
    clone = _optional_text(help_text="the stopped container to copy (any state with `snapshot`)")
    snapshot = _optional_text(help_text="with clone: copy this snapshot of it (snap0, snap1...) instead")
    store = _optional_text(help_text="backing store (GET /api/v1/templates lists them); default dir")
    xargs = TemplateArgsField(required=False, help_text="arguments handed to the template")
    description = _optional_text(max_length=2000)
    backup = serializers.UUIDField(required=False, help_text="a backup's id: the new container is restored from it")

    def validate_name(self, value):
        return _checked_name(value, "name")

    def validate_clone(self, value):
        return _checked_name(value, "clone") if value else value

    def validate(self, data):
        if "backup" in data:
            return _only_backup(data)
        template, clone = data.get("template"), data.get("clone")
        if data.get("snapshot") and not clone:
            raise serializers.ValidationError({"snapshot": "only a clone comes from a snapshot: give clone too"})
        if bool(template) == bool(clone):
            message = "give either template or clone" if template else "template or clone is required"
            raise serializers.ValidationError({"template": message, "clone": message})
        if clone and data.get("xargs"):
            raise serializers.ValidationError({"xargs": "only a template takes arguments"})
        return data


def _only_backup(data):
    """A restore from a backup takes only a name and a description."""
    others = sorted(set(data) - {"name", "backup", "description"})
    if others:
        raise serializers.ValidationError({field: "not with backup" for field in others})
    return data


def _checked_name(value, field):
    """LXC's name rules, defined once in the backend (a pure check: no liblxc call)."""
    try:
        return validate_name(value, field)
    except InvalidName as exc:
        raise serializers.ValidationError(exc.fields[field]) from None


class CreateResultSerializer(serializers.Serializer):
    status = serializers.CharField(default="ok")
    name = serializers.CharField()
    output = serializers.CharField(help_text="the last lines the template or clone printed")
    operation = serializers.UUIDField(help_text="the operation that recorded this change (/api/v1/operations/<id>)")


# ----- shared -----------------------------------------------------------------------------


class StatusOkSerializer(serializers.Serializer):
    status = serializers.CharField(default="ok")


class OperationResultSerializer(StatusOkSerializer):
    operation = serializers.UUIDField(help_text="the operation that recorded this change (/api/v1/operations/<id>)")


class DestroyResultSerializer(OperationResultSerializer):
    """A destroy's answer: done, and its operation."""


class TemplatesSerializer(serializers.Serializer):
    status = serializers.CharField(default="ok")
    templates = serializers.ListField(child=serializers.CharField())
    stores = serializers.ListField(child=serializers.CharField(), help_text="backing stores this host supports")
    arguments = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField(), allow_null=True),
        help_text="per template, the options `xargs` may give (each followed by a plain word); "
                  "null: a template LWP does not vet, offered to superusers, which takes any")


# ----- snapshots --------------------------------------------------------------------------


class SnapshotSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="snap0, snap1... (liblxc names them)")
    comment = serializers.CharField()
    created = serializers.CharField(help_text="ISO 8601, the host's local time")
    size = serializers.IntegerField(allow_null=True, help_text="bytes; null where the backing store cannot tell")


class SnapshotListSerializer(serializers.Serializer):
    status = serializers.CharField(default="ok")
    snapshots = SnapshotSerializer(many=True, help_text="oldest first")


class SnapshotTakeSerializer(RefuseUnknownFields, serializers.Serializer):
    comment = _optional_text(max_length=SNAPSHOT_COMMENT_MAX, help_text="plain text kept with the snapshot")


class SnapshotTakenSerializer(OperationResultSerializer):
    snapshot = SnapshotSerializer()


class SnapshotActionSerializer(RefuseUnknownFields, serializers.Serializer):
    action = serializers.ChoiceField(choices=SNAPSHOT_ACTIONS)
    force = serializers.BooleanField(required=False, default=False,
                                     help_text="stop a running or frozen container first (else a 409)")


class SnapshotRestoredSerializer(OperationResultSerializer):
    name = serializers.CharField()
    snapshot = serializers.CharField(help_text="the snapshot the container is now back to")


# ----- settings ---------------------------------------------------------------------------


@extend_schema_field({"oneOf": [{"type": "integer", "minimum": 0}, {"type": "string"}], "nullable": True})
class SizeField(serializers.Field):
    """Bytes as a number, or text such as "512M" or "2G"; null (or "max") removes the limit.

    Only the type is checked here: the backend checks the value against the host.
    """

    default_error_messages = {"invalid": "must be a number of bytes, a size such as 512M, or null"}

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, (int, str)):
            self.fail("invalid")
        return data

    def to_representation(self, value):
        return value


class SettingsSerializer(serializers.Serializer):
    """The settings users edit, as stored in the container's LXC config (sizes in bytes)."""

    memory_limit = serializers.IntegerField(allow_null=True, help_text="bytes; null: no limit")
    swap_limit = serializers.IntegerField(allow_null=True, help_text="bytes of swap on top of memory")
    cpuset = serializers.CharField(help_text='CPUs it may use, e.g. "0-1,3"; empty: all')
    cpu_shares = serializers.IntegerField(allow_null=True, help_text="2..262144 (cpu.weight on cgroup v2)")
    autostart = serializers.BooleanField()
    start_delay = serializers.IntegerField(help_text="seconds to wait after starting it at boot")
    start_order = serializers.IntegerField()
    network_link = serializers.CharField(help_text="bridge of the first network interface")
    description = serializers.CharField(help_text="the panel's free-text note")


class SettingsChangeSerializer(RefuseUnknownFields, serializers.Serializer):
    """Only the fields given change; the others keep their value."""

    memory_limit = SizeField(required=False, allow_null=True)
    swap_limit = SizeField(required=False, allow_null=True)
    cpuset = _optional_text(max_length=200)
    cpu_shares = serializers.IntegerField(required=False, allow_null=True)
    autostart = serializers.BooleanField(required=False)
    start_delay = serializers.IntegerField(required=False)
    start_order = serializers.IntegerField(required=False)
    network_link = _optional_text(max_length=15)
    description = _optional_text(max_length=2000)


class SettingsResultSerializer(serializers.Serializer):
    status = serializers.CharField(default="ok")
    settings = SettingsSerializer()
    changed = serializers.ListField(child=serializers.CharField(), help_text="the settings that changed")
    restart_needed = serializers.BooleanField(help_text="true when a restart applies a change to the "
                                                        "running container")
    operation = serializers.UUIDField(required=False, help_text="after a change: the operation that recorded it")


# ----- console ------------------------------------------------------------------------------


class ConsoleTicketRequestSerializer(RefuseUnknownFields, serializers.Serializer):
    mode = serializers.ChoiceField(choices=CONSOLE_MODES, default="shell",
                                   help_text="shell: a login shell as root; tty: the container's own console")


class ConsoleTicketSerializer(serializers.Serializer):
    status = serializers.CharField(default="ok")
    ticket = serializers.CharField(help_text="one connection, within 30 seconds; already in `url`")
    url = serializers.CharField(help_text="the console socket to open (ws:// or wss://), ticket included")
    mode = serializers.CharField()
    expires = serializers.DateTimeField()
