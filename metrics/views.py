"""GET /metrics: the current figures in Prometheus' text format, for a token or a signed-in user.

A DRF view so that it authenticates as the API does (`private-token`, `Authorization: Bearer`,
or the session); refusals answer in the API's JSON error shape.
"""

from django.http import HttpResponse
from drf_spectacular.utils import extend_schema
from rest_framework.views import APIView

from lwp.api.views import ApiViewMixin
from metrics import services
from metrics.prometheus import CONTENT_TYPE


class PrometheusView(ApiViewMixin, APIView):
    # Not in the API v1 schema: outside /api/v1/, and its answer is Prometheus' text (README).
    @extend_schema(exclude=True)
    def get(self, request):
        return HttpResponse(services.current_figures(user=request.user), content_type=CONTENT_TYPE)
