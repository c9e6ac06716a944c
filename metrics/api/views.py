"""GET /api/v1/containers/<name>/metrics and /api/v1/host/metrics: the history of the figures."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from containers.api.views import NAME_PARAMETER
from lwp.api.schema import errors
from lwp.api.views import ApiViewMixin
from metrics import services
from metrics.api.serializers import MetricsSerializer
from metrics.store import DEFAULT_RANGE, RANGES

RANGE_PARAMETER = OpenApiParameter(
    "range", OpenApiTypes.STR, enum=list(RANGES), default=DEFAULT_RANGE,
    description="hour (one point per sampling step), day (per minute), week and month (per 30 "
                "minutes), year (per 6 hours)")


class ContainerMetricsView(ApiViewMixin, APIView):
    @extend_schema(summary="A container's usage history",
                   description="CPU, memory, swap, network and disk I/O over the range, one list per series "
                               "(null for gaps: the container was not running). All null before its first sample.",
                   parameters=[NAME_PARAMETER, RANGE_PARAMETER],
                   responses={200: MetricsSerializer, **errors(401, 403, 404)})
    def get(self, request, name):
        return Response(services.container_history(name=name, user=request.user,
                                                   range_name=request.query_params.get("range")))


class HostMetricsView(ApiViewMixin, APIView):
    @extend_schema(summary="The host's usage history",
                   description="Load, CPU, memory, swap and the lxcpath's disk over the range, one list per series.",
                   parameters=[RANGE_PARAMETER], responses={200: MetricsSerializer, **errors(401, 403)})
    def get(self, request):
        return Response(services.host_history(user=request.user, range_name=request.query_params.get("range")))
