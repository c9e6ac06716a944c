"""Operation and event routes, each with and without its trailing slash."""

from lwp.api.routing import both_slashes
from operations.api.views import EventViewSet, OperationViewSet

app_name = "operations-api"

urlpatterns = [
    *both_slashes("operations", OperationViewSet, "list", {"get": "list"}),
    *both_slashes("operations/<str:operation_id>", OperationViewSet, "detail",
                  {"get": "retrieve", "delete": "destroy"}),
    *both_slashes("events", EventViewSet, "events", {"get": "list"}),
]
