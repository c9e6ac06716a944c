from django.apps import AppConfig


class ContainersConfig(AppConfig):
    name = "containers"
    verbose_name = "Containers"

    def ready(self):
        # Registers the container jobs (create, clone, destroy, snapshots) the worker runs.
        from containers import services, snapshots  # noqa: F401, PLC0415
