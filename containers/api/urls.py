"""Container routes, each with and without its trailing slash (never a redirect)."""

from containers.api.views import (
    ConsoleTicketView, ContainerSettingsView, ContainerViewSet, HostView, SnapshotListView, SnapshotView, TemplatesView,
)
from lwp.api.routing import both_slashes

app_name = "containers-api"

urlpatterns = [
    *both_slashes("containers/", ContainerViewSet, "list", {"get": "list", "put": "create"}),
    *both_slashes("containers/<str:name>", ContainerViewSet, "detail",
                  {"get": "retrieve", "post": "change_state", "delete": "destroy"}),
    *both_slashes("containers/<str:name>/settings", ContainerSettingsView, "settings"),
    *both_slashes("containers/<str:name>/console", ConsoleTicketView, "console"),
    *both_slashes("containers/<str:name>/snapshots", SnapshotListView, "snapshots"),
    *both_slashes("containers/<str:name>/snapshots/<str:snapshot>", SnapshotView, "snapshot"),
    *both_slashes("templates", TemplatesView, "templates"),
    *both_slashes("host", HostView, "host"),
]
