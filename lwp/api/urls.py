"""Everything under /api/v1/: each app's API routes plus the index, schema and docs."""

from django.urls import include, path

from lwp.api.routing import both_slashes
from lwp.api.index import DocsView, IndexView, SchemaView

urlpatterns = [
    path("", IndexView.as_view(), name="api-index"),
    *both_slashes("schema/", SchemaView, "api-schema"),
    *both_slashes("docs/", DocsView, "api-docs"),
    path("", include("containers.api.urls")),
    path("", include("metrics.api.urls")),
    path("", include("backups.api.urls")),
    path("", include("tokens.api.urls")),
    path("", include("operations.api.urls")),
]
