"""Container routes of API v1: thin views over containers.services.

Each view validates its input with a serializer, calls one service function and
serializes the result; every error is a typed exception that the API's one
handler (lwp/api/exception_handler.py) turns into the JSON error shape.
"""

import dataclasses
from urllib.parse import urlencode

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from backups import services as backup_services
from containers import consoles, services, snapshots
from containers.api import serializers as api
from containers.filtersets import STATE_CHOICES, ContainerFilterSet
from lwp.api.exception_handler import lwp_error_response
from lwp.api.schema import errors
from lwp.api.views import ApiViewMixin
from lwp.exceptions import ContainerNotFound
from lwp import ws
from lwp.flags import parse_flag
from operations import jobs
from operations.api.responses import accepted, wants_async
from operations.api.serializers import OperationSerializer
from operations.origin import api_origin


def query_flag(request, name):
    """A yes/no query parameter (?force=1); anything else is a 400 naming it."""
    try:
        return parse_flag(request.query_params.get(name, ""))
    except ValueError:
        raise ValidationError({name: "must be 1/0, true/false, yes/no or on/off"}) from None


NAME_PARAMETER = OpenApiParameter("name", OpenApiTypes.STR, OpenApiParameter.PATH,
                                  description="container name")
ASYNC_PARAMETER = OpenApiParameter("async", OpenApiTypes.BOOL,
                                   description="answer 202 at once with the operation (as `Prefer: respond-async`)")


class ContainerViewSet(ApiViewMixin, viewsets.ViewSet):
    @extend_schema(
        summary="List containers",
        description="Every container, sorted by name, with its state in lower case.",
        parameters=[
            OpenApiParameter("state", OpenApiTypes.STR, enum=[state for state, _ in STATE_CHOICES],
                             description="only containers in this state (any case)"),
            OpenApiParameter("search", OpenApiTypes.STR, description="part of the name or description"),
        ],
        responses={200: api.ContainerStateSerializer(many=True), **errors(400, 401, 403)},
    )
    def list(self, request):
        rows = services.list_containers(user=request.user)
        filterset = ContainerFilterSet(request.query_params, rows=rows)
        if not filterset.is_valid():
            raise ValidationError(filterset.errors)
        return Response(api.ContainerStateSerializer(filterset.qs, many=True).data)

    @extend_schema(
        summary="Show one container",
        description="The figures as lxc-info prints them, null where they do not apply "
                    "(a stopped container), plus every address and each figure as a number.",
        parameters=[NAME_PARAMETER],
        responses={200: api.ContainerDetailSerializer, **errors(400, 401, 403, 404)},
    )
    def retrieve(self, request, name):
        info = services.get_container_info(name=name, user=request.user)
        return Response(api.ContainerDetailSerializer(info).data)

    @extend_schema(
        summary="Start, stop, freeze, unfreeze or restart a container",
        operation_id="containers_change_state",
        description="Answers once the new state holds. An unknown container is a 409, as in "
                    "LXC-Web-Panel; so are an action the current state forbids and a container "
                    "busy with another operation.",
        parameters=[NAME_PARAMETER],
        request=api.ActionSerializer,
        responses={200: api.ActionResultSerializer, **errors(400, 401, 403, 409)},
    )
    def change_state(self, request, name):
        params = _validated(api.ActionSerializer, request.data)
        try:
            done = services.perform_action(name=name, user=request.user, action=params["action"],
                                           timeout=params.get("timeout"), force=params["force"],
                                           origin=api_origin(request))
        except ContainerNotFound as exc:
            return lwp_error_response(exc, status_code=status.HTTP_409_CONFLICT)
        return Response({"status": "ok", "name": name, "state": done.value, "operation": str(done.operation.pk)})

    @extend_schema(
        summary="Create a container from a template, clone one (or one of its snapshots), or restore a backup",
        operation_id="containers_create",
        description="Runs as an operation in the worker. `clone` with `snapshot` makes the new "
                    "container from that snapshot of `clone` (which may be running; an unknown "
                    "snapshot is a 404). Answers once the container exists; with "
                    "`Prefer: respond-async` (or `?async=1`) answers 202 at once with the operation "
                    "and its URL in `Location`. A template that fails, times out or is cancelled "
                    "leaves nothing behind; the error carries the tail of its output.",
        parameters=[ASYNC_PARAMETER],
        request=api.CreateSerializer,
        responses={200: api.CreateResultSerializer, 202: OperationSerializer,
                   **errors(400, 401, 403, 404, 409, 422, 503, 504)},
    )
    def create(self, request):
        params = _validated(api.CreateSerializer, request.data)
        common = {"name": params["name"], "user": request.user, "store": params.get("store") or None,
                  "description": params.get("description", ""), "origin": api_origin(request),
                  "wait": not wants_async(request)}
        if params.get("backup"):
            operation = backup_services.restore_backup(
                backup_id=params["backup"], name=params["name"], user=request.user, origin=common["origin"],
                description=common["description"], wait=common["wait"])
        elif params.get("snapshot"):
            operation = snapshots.clone_from_snapshot(source=params["clone"], snapshot=params["snapshot"], **common)
        elif params.get("clone"):
            operation = services.clone_container(source=params["clone"], **common)
        else:
            operation = services.create_container(template=params["template"],
                                                  extra_args=params.get("xargs") or (), **common)
        if not common["wait"]:
            return accepted(operation)
        result = jobs.outcome(operation)
        return Response({"status": "ok", "name": result["name"], "output": result["output"],
                         "operation": str(operation.pk)})

    @extend_schema(
        summary="Destroy a container and its snapshots",
        description="Runs as an operation in the worker; answers when done, or 202 at once with "
                    "`Prefer: respond-async` (or `?async=1`).",
        parameters=[NAME_PARAMETER, ASYNC_PARAMETER, OpenApiParameter(
            "force", OpenApiTypes.BOOL, description="stop a running or frozen container first")],
        responses={200: api.DestroyResultSerializer, 202: OperationSerializer,
                   **errors(400, 401, 403, 404, 409, 503)},
    )
    def destroy(self, request, name):
        wait = not wants_async(request)
        operation = services.destroy_container(name=name, user=request.user, force=query_flag(request, "force"),
                                               origin=api_origin(request), wait=wait)
        if not wait:
            return accepted(operation)
        jobs.outcome(operation)
        return Response({"status": "ok", "operation": str(operation.pk)})


def _validated(serializer_class, data):
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class TemplatesView(ApiViewMixin, APIView):
    @extend_schema(summary="Templates and backing stores this host offers",
                   responses={200: api.TemplatesSerializer, **errors(401, 403)})
    def get(self, request):
        choices = services.template_choices(user=request.user)
        return Response({"status": "ok", "templates": choices.templates, "arguments": choices.arguments,
                         "stores": choices.stores})


def _settings_body(editable):
    """A container's EditableSettings as the settings routes answer them."""
    settings = {**dataclasses.asdict(editable.settings), "description": editable.description}
    return {"status": "ok", "settings": settings, "changed": list(editable.changed),
            "restart_needed": editable.restart_needed}


class ContainerSettingsView(ApiViewMixin, APIView):
    @extend_schema(summary="A container's settings", parameters=[NAME_PARAMETER],
                   responses={200: api.SettingsResultSerializer, **errors(400, 401, 403, 404, 409)})
    def get(self, request, name):
        editable = services.get_container_settings(name=name, user=request.user)
        return Response(api.SettingsResultSerializer(_settings_body(editable)).data)

    @extend_schema(
        summary="Change a container's settings",
        description="Memory and swap limits, cpuset, CPU shares, autostart with delay and order, "
                    "network link, description. Only the fields given change; values are checked "
                    "against this host and written with the keys its LXC accepts, so the container "
                    "still starts. `restart_needed` says when a running container must restart.",
        parameters=[NAME_PARAMETER], request=api.SettingsChangeSerializer,
        responses={200: api.SettingsResultSerializer, **errors(400, 401, 403, 404, 409)},
    )
    def patch(self, request, name):
        changes = _validated(api.SettingsChangeSerializer, request.data)
        done = services.update_container_settings(name=name, user=request.user, changes=changes,
                                                  origin=api_origin(request))
        body = api.SettingsResultSerializer(_settings_body(done.value)).data
        return Response({**body, "operation": str(done.operation.pk)})


SNAPSHOT_PARAMETER = OpenApiParameter("snapshot", OpenApiTypes.STR, OpenApiParameter.PATH,
                                      description="snapshot name: snap0, snap1...")


def _answer_when_done(request, operation, body):
    """202 with the operation when the client asked for it, else body(result) once it is done."""
    if wants_async(request):
        return accepted(operation)
    return Response({"status": "ok", **body(jobs.outcome(operation)), "operation": str(operation.pk)})


class SnapshotListView(ApiViewMixin, APIView):
    @extend_schema(summary="A container's snapshots", operation_id="containers_snapshots_list",
                   parameters=[NAME_PARAMETER],
                   responses={200: api.SnapshotListSerializer, **errors(400, 401, 403, 404, 409)})
    def get(self, request, name):
        taken = snapshots.list_snapshots(name=name, user=request.user)
        return Response({"status": "ok", "snapshots": [snapshots.snapshot_fields(s) for s in taken]})

    @extend_schema(
        summary="Take a snapshot of a container",
        operation_id="containers_snapshots_take",
        description="Copies the stopped container's root filesystem and configuration, as an "
                    "operation in the worker. A running or frozen container is a 409 (liblxc copies "
                    "a stopped one only): stop it first. Answers once taken; with `Prefer: "
                    "respond-async` (or `?async=1`) answers 202 at once with the operation.",
        parameters=[NAME_PARAMETER, ASYNC_PARAMETER], request=api.SnapshotTakeSerializer,
        responses={200: api.SnapshotTakenSerializer, 202: OperationSerializer,
                   **errors(400, 401, 403, 404, 409, 503)},
    )
    def post(self, request, name):
        params = _validated(api.SnapshotTakeSerializer, request.data)
        operation = snapshots.take_snapshot(name=name, user=request.user, comment=params.get("comment", ""),
                                            origin=api_origin(request), wait=not wants_async(request))
        return _answer_when_done(request, operation, lambda result: {"snapshot": result["snapshot"]})


class SnapshotView(ApiViewMixin, APIView):
    @extend_schema(
        summary="Restore a container to one of its snapshots",
        operation_id="containers_snapshot_restore",
        description="`{\"action\": \"restore\"}` brings back the snapshot's files and configuration, "
                    "as an operation in the worker. A running or frozen container is a 409 unless "
                    "`force`, which stops it first; it stays stopped. Answers when done, or 202 at "
                    "once with `Prefer: respond-async` (or `?async=1`).",
        parameters=[NAME_PARAMETER, SNAPSHOT_PARAMETER, ASYNC_PARAMETER], request=api.SnapshotActionSerializer,
        responses={200: api.SnapshotRestoredSerializer, 202: OperationSerializer,
                   **errors(400, 401, 403, 404, 409, 503)},
    )
    def post(self, request, name, snapshot):
        params = _validated(api.SnapshotActionSerializer, request.data)
        operation = snapshots.restore_snapshot(name=name, snapshot=snapshot, user=request.user,
                                               force=params["force"], origin=api_origin(request),
                                               wait=not wants_async(request))
        return _answer_when_done(request, operation, lambda result: {"name": name, "snapshot": snapshot})

    @extend_schema(summary="Delete a snapshot", operation_id="containers_snapshot_delete",
                   parameters=[NAME_PARAMETER, SNAPSHOT_PARAMETER],
                   responses={200: api.DestroyResultSerializer, **errors(400, 401, 403, 404, 409)})
    def delete(self, request, name, snapshot):
        operation = snapshots.delete_snapshot(name=name, snapshot=snapshot, user=request.user,
                                              origin=api_origin(request))
        return Response({"status": "ok", "operation": str(operation.pk)})


class ConsoleTicketView(ApiViewMixin, APIView):
    @extend_schema(
        summary="A one-time ticket to a running container's console socket",
        operation_id="containers_console_ticket",
        description="For scripts: open the WebSocket at `url` (ticket included) within 30 seconds, "
                    "once, with no cookie; the wire (binary frames for the terminal's bytes, JSON "
                    "text frames to resize and for status) is in README \"Console\". Needs "
                    "`containers.console_container`. An unknown container is a 404, one not "
                    "running a 409.",
        parameters=[NAME_PARAMETER], request=api.ConsoleTicketRequestSerializer,
        responses={201: api.ConsoleTicketSerializer, **errors(400, 401, 403, 404, 409)},
    )
    def post(self, request, name):
        params = _validated(api.ConsoleTicketRequestSerializer, request.data)
        ticket = consoles.issue_ticket(name=name, mode=params["mode"], user=request.user,
                                       origin=api_origin(request))
        body = {"status": "ok", "ticket": ticket.secret, "url": _console_url(request, ticket),
                "mode": ticket.mode, "expires": ticket.expires}
        return Response(api.ConsoleTicketSerializer(body).data, status=status.HTTP_201_CREATED)


def _console_url(request, ticket):
    """The socket's URL on the host the client asked, wss:// when it came over HTTPS."""
    query = urlencode({"mode": ticket.mode, "ticket": ticket.secret})
    return f"{ws.socket_origin(request)}{ws.console_path(ticket.name)}?{query}"


class HostSerializer(serializers.Serializer):
    status = serializers.CharField(default="ok")
    hostname = serializers.CharField()
    kernel = serializers.CharField()
    lxc_version = serializers.CharField()
    cgroup_version = serializers.IntegerField()
    cpus = serializers.IntegerField()
    load = serializers.ListField(child=serializers.FloatField())
    memory_total = serializers.IntegerField(help_text="bytes")
    memory_used = serializers.IntegerField(help_text="bytes")
    uptime_seconds = serializers.IntegerField()
    lxcpath = serializers.CharField()
    disk_total = serializers.IntegerField(help_text="bytes, of the filesystem holding the lxcpath")
    disk_used = serializers.IntegerField(help_text="bytes")
    disk_free = serializers.IntegerField(help_text="bytes")


class HostView(ApiViewMixin, APIView):
    @extend_schema(summary="The host: kernel, LXC version, CPU, memory, disk",
                   responses={200: HostSerializer, **errors(401, 403)})
    def get(self, request):
        facts = dataclasses.asdict(services.get_host_info(user=request.user))
        return Response(HostSerializer({"status": "ok", **facts}).data)


