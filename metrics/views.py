"""GET /metrics: the current figures in Prometheus' text format, for a token or a signed-in user.

A DRF view so that it authenticates as the API does (`private-token`, `Authorization: Bearer`,
or the session); refusals answer in the API's JSON error shape.
"""

from django.http import HttpResponse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.views import APIView

from lwp.api.schema import errors
from lwp.api.views import ApiViewMixin
from metrics import services
from metrics.prometheus import CONTENT_TYPE


class PrometheusView(ApiViewMixin, APIView):
    @extend_schema(summary="Current figures for Prometheus",
                   description="Every container's state and counters and the host's figures, in "
                               "Prometheus' text exposition format 0.0.4.",
                   responses={(200, "text/plain"): OpenApiResponse(str), **errors(401, 403)})
    def get(self, request):
        return HttpResponse(services.current_figures(user=request.user), content_type=CONTENT_TYPE)
