from django.urls import path

from backups import views

app_name = "backups"
urlpatterns = [
    path("containers/<str:name>/backups/", views.backup_now, name="backup"),
    path("containers/<str:name>/backups/<uuid:backup_id>/restore/", views.restore, name="restore"),
    path("containers/<str:name>/backups/<uuid:backup_id>/delete/", views.delete, name="delete"),
    path("containers/<str:name>/backups/<uuid:backup_id>/download/", views.download, name="download"),
    path("containers/<str:name>/backup-schedule/", views.schedule, name="schedule"),
    path("backups/", views.backup_list, name="list"),
    path("backups/import/", views.import_archive, name="import"),
]
