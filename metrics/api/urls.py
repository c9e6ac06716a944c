"""Metrics routes, each with and without its trailing slash (never a redirect)."""

from lwp.api.routing import both_slashes
from metrics.api.views import ContainerMetricsView, HostMetricsView

app_name = "metrics-api"

urlpatterns = [
    *both_slashes("containers/<str:name>/metrics", ContainerMetricsView, "container"),
    *both_slashes("host/metrics", HostMetricsView, "host"),
]
