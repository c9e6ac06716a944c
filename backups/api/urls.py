"""Backup routes, each with and without its trailing slash (never a redirect)."""

from backups.api.views import (
    AllBackupsView, BackupDetailView, BackupDownloadView, BackupImportView, BackupListView, BackupScheduleView,
)
from lwp.api.routing import both_slashes

app_name = "backups-api"

urlpatterns = [
    *both_slashes("containers/<str:name>/backups", BackupListView, "list"),
    *both_slashes("containers/<str:name>/backups/<uuid:backup_id>", BackupDetailView, "detail"),
    *both_slashes("containers/<str:name>/backups/<uuid:backup_id>/download", BackupDownloadView, "download"),
    *both_slashes("containers/<str:name>/backup-schedule", BackupScheduleView, "schedule"),
    *both_slashes("backups", AllBackupsView, "all"),
    *both_slashes("backups/import", BackupImportView, "import"),
]
