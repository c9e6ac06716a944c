"""Everything under /api/v1/: each app's API router plus the index, schema and docs."""

from django.urls import include, path

urlpatterns = [
    path("", include("containers.api.urls")),
    path("", include("tokens.api.urls")),
]
