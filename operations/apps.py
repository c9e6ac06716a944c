from django.apps import AppConfig


class OperationsConfig(AppConfig):
    name = "operations"
    verbose_name = "Operations and audit log"

    def ready(self):
        from operations import signals  # noqa: F401, PLC0415 - sign-in and admin events
