from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from lwp.api.index import IndexView
from operations.auth_views import PasswordChangeView

# Sign-in, sign-out and password change only: no password-reset routes (they answer anyone and
# send mail). A superuser resets a password in the admin or with `manage.py changepassword`.
auth_urlpatterns = [
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password_change/", PasswordChangeView.as_view(), name="password_change"),  # audited
    path("password_change/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1", IndexView.as_view(alternate_route=True)),  # /api/v1/ without its slash
    path("api/v1/", include("lwp.api.urls")),
    *auth_urlpatterns,
    path("", include("tokens.urls")),
    path("", include("operations.urls")),
    path("", include("containers.urls")),
    path("", include("backups.urls")),
    path("", include("metrics.urls")),
]
