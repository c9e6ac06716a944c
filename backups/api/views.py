"""Backup routes of API v1: thin views over backups.services."""

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from backups import services
from backups.api import serializers as api
from backups.models import Backup
from backups.filtersets import BackupFilterSet
from backups.responses import archive_response
from backups.uploads import ArchiveUploadHandler
from containers import services as containers
from containers.api.views import ASYNC_PARAMETER, NAME_PARAMETER, _validated
from lwp.api.schema import errors
from lwp.api.views import ApiViewMixin
from operations import jobs
from operations.api.responses import accepted, wants_async
from operations.api.views import Pages, _page_of
from operations.api.serializers import OperationSerializer
from operations.origin import api_origin

BACKUP_PARAMETER = OpenApiParameter("backup_id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="backup id")


def restored_body(operation):
    """A finished restore as the API answers it (or its error raised)."""
    result = jobs.outcome(operation)
    return {"status": "ok", "name": result["name"], "output": result["output"], "backup": result["backup"],
            "operation": str(operation.pk)}


class AllBackupsView(ApiViewMixin, APIView):
    pagination_class = Pages

    @extend_schema(
        summary="Every backup, newest first",
        description="Of every container, also of those destroyed since (`container_exists` false): a "
                    "backup is how a destroyed container is made again (`PUT /api/v1/containers/` with "
                    "`backup`).",
        parameters=[OpenApiParameter("container", OpenApiTypes.STR, description="the container's name"),
                    OpenApiParameter("status", OpenApiTypes.STR, enum=[s.value for s in Backup.Status]),
                    OpenApiParameter("page", OpenApiTypes.INT),
                    OpenApiParameter("per_page", OpenApiTypes.INT)],
        responses={200: api.ListedBackupSerializer(many=True), **errors(400, 401, 403, 404)})
    def get(self, request):
        backups = services.all_backups(user=request.user)
        existing = containers.names_on_host(user=request.user)
        return _page_of(self, request, BackupFilterSet, backups, api.ListedBackupSerializer,
                        context={"existing": existing})


class BackupListView(ApiViewMixin, APIView):
    @extend_schema(summary="A container's backups", description="Newest first; kept after the container "
                   "is destroyed.", parameters=[NAME_PARAMETER],
                   responses={200: api.BackupSerializer(many=True), **errors(401, 403)})
    def get(self, request, name):
        return Response(api.BackupSerializer(services.list_backups(name=name, user=request.user), many=True).data)

    @extend_schema(
        summary="Back up a container",
        description="Runs as an operation in the worker (progress: bytes done of bytes total). A running "
                    "container is copied while frozen, so the archive is consistent. Answers once the "
                    "archive is written; with `Prefer: respond-async` (or `?async=1`) 202 at once.",
        parameters=[NAME_PARAMETER, ASYNC_PARAMETER], request=api.BackupStartSerializer,
        responses={200: api.BackupStartedSerializer, 202: OperationSerializer,
                   **errors(401, 403, 404, 409, 503)})
    def post(self, request, name):
        params = _validated(api.BackupStartSerializer, request.data)
        wait = not wants_async(request)
        backup, operation = services.start_backup(name=name, user=request.user, comment=params.get("comment", ""),
                                                  origin=api_origin(request), wait=wait)
        if not wait:
            return accepted(operation)
        jobs.outcome(operation)
        backup.refresh_from_db()
        return Response({"status": "ok", "backup": api.BackupSerializer(backup).data, "operation": str(operation.pk)})


class BackupDetailView(ApiViewMixin, APIView):
    @extend_schema(summary="One backup", parameters=[NAME_PARAMETER, BACKUP_PARAMETER],
                   responses={200: api.BackupSerializer, **errors(401, 403, 404)})
    def get(self, request, name, backup_id):
        return Response(api.BackupSerializer(services.get_backup(name=name, backup_id=backup_id,
                                                                 user=request.user)).data)

    @extend_schema(summary="Delete a backup", description="Removes its archive: needs the delete permission.",
                   parameters=[NAME_PARAMETER, BACKUP_PARAMETER],
                   responses={200: api.StatusOperationSerializer, **errors(401, 403, 404, 409)})
    def delete(self, request, name, backup_id):
        operation = services.delete_backup(name=name, backup_id=backup_id, user=request.user,
                                           origin=api_origin(request))
        return Response({"status": "ok", "operation": str(operation.pk)})


class BackupDownloadView(ApiViewMixin, APIView):
    @extend_schema(
        summary="Download a backup's archive",
        description="Streams the zstd-compressed tar with `Content-Length`, `Content-Disposition` and its "
                    "SHA-256 (`ETag`, `X-Content-SHA256`). Needs `containers.download_backup`: the archive "
                    "holds the container's whole filesystem.",
        parameters=[NAME_PARAMETER, BACKUP_PARAMETER],
        responses={(200, "application/zstd"): OpenApiResponse(OpenApiTypes.BINARY),
                   **errors(401, 403, 404, 409)})
    def get(self, request, name, backup_id):
        archive, backup = services.open_download(name=name, backup_id=backup_id, user=request.user,
                                                 origin=api_origin(request))
        return archive_response(archive, backup)


class BackupScheduleView(ApiViewMixin, APIView):
    @extend_schema(summary="A container's backup schedule", parameters=[NAME_PARAMETER],
                   responses={200: api.ScheduleSerializer, **errors(401, 403)})
    def get(self, request, name):
        return Response(api.ScheduleSerializer(services.get_schedule(name=name, user=request.user)).data)

    @extend_schema(
        summary="Set a container's backup schedule",
        description="Daily or weekly (with `weekday`) at `time` (HH:MM, the panel's time zone), keeping the "
                    "last `keep` scheduled backups (manual ones are never pruned). The worker runs it.",
        parameters=[NAME_PARAMETER], request=api.ScheduleChangeSerializer,
        responses={200: api.ScheduleSerializer, **errors(401, 403, 404)})
    def put(self, request, name):
        params = _validated(api.ScheduleChangeSerializer, request.data)
        schedule = services.set_schedule(name=name, user=request.user, origin=api_origin(request), **params)
        return Response(api.ScheduleSerializer(schedule).data)


class BackupImportView(ApiViewMixin, APIView):
    # The archive is streamed to LWP_BACKUP_DIR by ArchiveUploadHandler, installed before DRF (or
    # its CSRF check) reads the body; whatever the request leaves of it is removed at the end.
    parser_classes = [MultiPartParser]

    def initialize_request(self, request, *args, **kwargs):
        self.upload_handler = ArchiveUploadHandler(request)
        request.upload_handlers = [self.upload_handler]
        return super().initialize_request(request, *args, **kwargs)

    def dispatch(self, request, *args, **kwargs):
        try:
            return super().dispatch(request, *args, **kwargs)
        finally:
            handler = getattr(self, "upload_handler", None)
            if handler is not None:
                handler.cleanup()

    @extend_schema(
        summary="Restore a container from an uploaded archive",
        description="multipart/form-data: `file` (an archive a backup of LWP made) and `name`. The archive is "
                    "checked before anything is written (no path outside the new container, no device "
                    f"nodes outside its rootfs, sizes); a bad one is a 400 `invalid_archive`, one over "
                    f"LWP_UPLOAD_MAX_BYTES ({settings.LWP_UPLOAD_MAX_BYTES} bytes here) a 413, and nothing "
                    "of it is kept. A good one is kept as a backup of the new container, then restored "
                    "as an operation in the worker (202 at once with `Prefer: respond-async`).",
        parameters=[ASYNC_PARAMETER], request={"multipart/form-data": api.ImportSerializer},
        responses={200: api.RestoredSerializer, 202: OperationSerializer,
                   **errors(401, 403, 409, 413, 422, 503)})
    def post(self, request):
        params = _validated(api.ImportSerializer, request.data)
        upload = self.upload_handler.upload
        if upload is None:
            raise ValidationError({"file": "an archive is required (multipart/form-data field `file`)"})
        wait = not wants_async(request)
        operation = services.import_backup(upload=upload, name=params["name"], user=request.user,
                                           description=params.get("description", ""),
                                           origin=api_origin(request), wait=wait)
        return accepted(operation) if not wait else Response(restored_body(operation))
