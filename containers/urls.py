from django.urls import path

from containers import views

app_name = "containers"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("dashboard/table/", views.table, name="table"),
    path("dashboard/bulk/", views.bulk_action, name="bulk"),
    path("containers/new/", views.create, name="create"),
    path("containers/<str:name>/", views.detail, name="detail"),
    path("containers/<str:name>/action/", views.action, name="action"),
    path("containers/<str:name>/settings/", views.update_settings, name="settings"),
    path("containers/<str:name>/clone/", views.clone, name="clone"),
    path("containers/<str:name>/delete/", views.delete, name="delete"),
    path("containers/<str:name>/snapshots/", views.take_snapshot, name="take_snapshot"),
    path("containers/<str:name>/snapshots/<str:snapshot>/restore/", views.restore_snapshot, name="restore_snapshot"),
    path("containers/<str:name>/snapshots/<str:snapshot>/clone/", views.clone_snapshot, name="clone_snapshot"),
    path("containers/<str:name>/snapshots/<str:snapshot>/delete/", views.delete_snapshot, name="delete_snapshot"),
    path("host/", views.host, name="host"),
]
