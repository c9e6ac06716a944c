"""Operations and events in API v1: read, filter, page through, and cancel."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

from lwp.api.schema import errors
from lwp.api.views import ApiViewMixin
from operations import services
from operations.api.serializers import EventSerializer, OperationDetailSerializer, OperationSerializer
from operations.filtersets import EventFilterSet, OperationFilterSet
from operations.origin import api_origin

ID_PARAMETER = OpenApiParameter("operation_id", OpenApiTypes.UUID, OpenApiParameter.PATH,
                                description="the operation's id")


class Pages(PageNumberPagination):
    page_size = 50
    page_size_query_param = "per_page"
    max_page_size = 500


def _page_of(view, request, filterset_class, queryset, serializer_class, context=None):
    """The filtered rows' requested page, as {count, next, previous, results} (serialized with `context`)."""
    filterset = filterset_class(request.query_params, queryset=queryset)
    if not filterset.is_valid():
        raise ValidationError(filterset.errors)
    pages = Pages()
    page = pages.paginate_queryset(filterset.qs, request, view=view)
    return pages.get_paginated_response(serializer_class(page, many=True, context=context or {}).data)


class OperationViewSet(ApiViewMixin, viewsets.ViewSet):
    pagination_class = Pages

    @extend_schema(summary="List operations, newest first",
                   parameters=[OpenApiParameter("status", OpenApiTypes.STR),
                               OpenApiParameter("container", OpenApiTypes.STR),
                               OpenApiParameter("user", OpenApiTypes.STR, description="who asked for them"),
                               OpenApiParameter("page", OpenApiTypes.INT),
                               OpenApiParameter("per_page", OpenApiTypes.INT)],
                   responses={200: OperationSerializer(many=True), **errors(400, 401, 403, 404)})
    def list(self, request):
        return _page_of(self, request, OperationFilterSet, services.list_operations(user=request.user),
                        OperationSerializer)

    @extend_schema(summary="Show an operation, with its log", parameters=[ID_PARAMETER],
                   responses={200: OperationDetailSerializer, **errors(401, 403, 404)})
    def retrieve(self, request, operation_id):
        operation = services.get_operation(user=request.user, operation_id=operation_id)
        return Response(OperationDetailSerializer(operation).data)

    @extend_schema(summary="Cancel a pending or running operation",
                   description="A pending one ends at once; a running one is stopped (its template "
                               "killed, its half-made container removed) within a second or so: "
                               "follow the operation to see it end. 409 once it has finished.",
                   parameters=[ID_PARAMETER],
                   responses={202: OperationSerializer, **errors(401, 403, 404, 409)})
    def destroy(self, request, operation_id):
        operation = services.cancel_operation(user=request.user, operation_id=operation_id,
                                              origin=api_origin(request))
        return Response(OperationSerializer(operation).data, status=status.HTTP_202_ACCEPTED)


class EventViewSet(ApiViewMixin, viewsets.ViewSet):
    pagination_class = Pages

    @extend_schema(summary="The audit log, newest first",
                   parameters=[OpenApiParameter("container", OpenApiTypes.STR),
                               OpenApiParameter("user", OpenApiTypes.STR),
                               OpenApiParameter("action", OpenApiTypes.STR),
                               OpenApiParameter("since", OpenApiTypes.DATETIME),
                               OpenApiParameter("page", OpenApiTypes.INT),
                               OpenApiParameter("per_page", OpenApiTypes.INT)],
                   responses={200: EventSerializer(many=True), **errors(400, 401, 403, 404)})
    def list(self, request):
        return _page_of(self, request, EventFilterSet, services.list_events(user=request.user), EventSerializer)
