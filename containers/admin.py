"""Container metadata in the admin, with start/stop actions through the same service as the panel."""

from django.contrib import admin, messages

from containers import services
from containers.exceptions import LWPError
from containers.models import Container


@admin.register(Container)
class ContainerAdmin(admin.ModelAdmin):
    list_display = ["name", "template", "clone_of", "created_by", "created_at", "description"]
    list_select_related = ["created_by"]
    search_fields = ["name", "description", "template"]
    list_filter = ["template"]
    readonly_fields = ["created_at"]
    actions = ["start_containers", "stop_containers"]

    def _power(self, request, queryset, action):
        for container in queryset:
            try:
                state = services.perform_action(name=container.name, action=action, user=request.user)
            except LWPError as error:
                self.message_user(request, f"{container.name}: {error.message}", messages.ERROR)
            else:
                self.message_user(request, f"{container.name}: {action} done, now {state}", messages.SUCCESS)

    @admin.action(description="Start the selected containers", permissions=["change"])
    def start_containers(self, request, queryset):
        self._power(request, queryset, "start")

    @admin.action(description="Stop the selected containers", permissions=["change"])
    def stop_containers(self, request, queryset):
        self._power(request, queryset, "stop")
