from django.contrib import admin
from django.urls import include, path

from lwp.api_views import IndexView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1", IndexView.as_view(alternate_route=True)),  # /api/v1/ without its slash
    path("api/v1/", include("lwp.api_urls")),
    path("", include("django.contrib.auth.urls")),
    path("", include("tokens.urls")),
    path("", include("containers.urls")),
]
