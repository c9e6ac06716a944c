from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("lwp.api_urls")),
    path("", include("django.contrib.auth.urls")),
    path("", include("tokens.urls")),
    path("", include("containers.urls")),
]
