"""Token routes. A token may hold "/", so its route takes the rest of the path; that also
covers the trailing-slash form (the view strips a slash that is not part of a token)."""

from django.urls import path

from lwp.api.routing import both_slashes
from tokens.api.views import TokenViewSet

app_name = "tokens-api"

urlpatterns = [
    *both_slashes("tokens", TokenViewSet, "list", {"post": "create"}),
    path("tokens/<path:token>", TokenViewSet.as_view({"delete": "destroy"}), name="detail"),
]
