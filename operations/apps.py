from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps  # the module: its AdminConfig is a default one


class OperationsConfig(AppConfig):
    default = True  # this module has two AppConfigs: "operations" means this one
    name = "operations"
    verbose_name = "Operations and audit log"

    def ready(self):
        from operations import signals  # noqa: F401, PLC0415 - sign-in events


class AuditedAdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin, whose default site records every change in the audit log."""

    default = False
    default_site = "operations.admin_site.AuditedAdminSite"
