"""Container metadata in the admin, with start/stop actions through the same service as the panel."""

from django.contrib import admin, messages
from django.db.models import BooleanField, Case, Value, When

from containers import services
from containers.models import ConsoleRecord, Container
from lwp.exceptions import LWPError
from operations.admin import ReadOnlyAdmin
from operations.origin import admin_origin


class OnHostFilter(admin.SimpleListFilter):
    title = "container on this host"
    parameter_name = "on_host"

    def lookups(self, request, model_admin):
        return [("yes", "exists"), ("no", "gone (orphaned metadata)")]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(on_host=self.value() == "yes")
        return queryset


@admin.register(Container)
class ContainerAdmin(admin.ModelAdmin):
    list_display = ["name", "on_host", "template", "clone_of", "created_by", "created_at", "description"]
    list_select_related = ["created_by"]
    search_fields = ["name", "description", "template"]
    list_filter = [OnHostFilter, "template"]
    # Who made a container, and from what, is history: nobody rewrites it here.
    readonly_fields = ["template", "clone_of", "created_by", "created_at"]
    actions = ["start_containers", "stop_containers", "forget_orphans"]

    def get_readonly_fields(self, request, obj=None):
        # A row's name ties it to a container: renaming it would hand this history to another one.
        return [*self.readonly_fields, "name"] if obj is not None else self.readonly_fields

    def get_queryset(self, request):
        try:
            present = services.names_on_host(user=request.user)
        except LWPError:  # no liblxc or no view permission: the rows still show, unmarked
            flag = Value(None, output_field=BooleanField())
        else:
            flag = Case(When(name__in=present, then=Value(True)), default=Value(False),
                        output_field=BooleanField())
        return super().get_queryset(request).annotate(on_host=flag)

    @admin.display(boolean=True, description="on host", ordering="on_host")
    def on_host(self, container):
        return container.on_host

    def _power(self, request, queryset, action):
        for container in queryset:
            try:
                done = services.perform_action(name=container.name, action=action, user=request.user,
                                               origin=admin_origin(request))
            except LWPError as error:
                self.message_user(request, f"{container.name}: {error.message}", messages.ERROR)
            else:
                self.message_user(request, f"{container.name}: {action} done, now {done.value}", messages.SUCCESS)

    @admin.action(description="Start the selected containers", permissions=["change"])
    def start_containers(self, request, queryset):
        self._power(request, queryset, "start")

    @admin.action(description="Stop the selected containers", permissions=["change"])
    def stop_containers(self, request, queryset):
        self._power(request, queryset, "stop")

    @admin.action(description="Forget the selected rows whose container is gone", permissions=["delete"])
    def forget_orphans(self, request, queryset):
        names = list(queryset.values_list("name", flat=True))
        try:
            forgotten = services.forget_orphaned_metadata(names=names, user=request.user,
                                                          origin=admin_origin(request))
        except LWPError as error:
            self.message_user(request, error.message, messages.ERROR)
            return
        kept = len(names) - len(forgotten)
        self.message_user(request, f"Forgot {len(forgotten)} orphaned rows"
                          + (f"; kept {kept} whose container exists" if kept else ""), messages.SUCCESS)


@admin.register(ConsoleRecord)
class ConsoleRecordAdmin(ReadOnlyAdmin):
    """Console sessions, open and of the last day: who holds a root shell where, seen when. To
    end one, stop it from its server (the audit log keeps every session's history)."""

    list_display = ["started", "user", "container", "mode", "client_address", "seen", "ended", "reason", "server"]
    list_select_related = ["user"]
    list_filter = [("ended", admin.EmptyFieldListFilter), "mode"]
    search_fields = ["container", "user__username", "client_address"]
