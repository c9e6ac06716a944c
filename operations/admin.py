"""Operations and the audit log in the admin: to read and search, never to change."""

from django.contrib import admin

from operations.models import Event, LogLine, Operation


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class LogLineInline(admin.TabularInline):
    model = LogLine
    fields = ["time", "line"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Operation)
class OperationAdmin(ReadOnlyAdmin):
    list_display = ["created", "kind", "container", "status", "progress", "username", "source", "client_address"]
    list_filter = ["status", "kind", "source"]
    search_fields = ["container", "username", "token", "client_address"]
    date_hierarchy = "created"
    inlines = [LogLineInline]


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = ["time", "username", "action", "target", "outcome", "source", "client_address"]
    list_filter = ["outcome", "source", "action"]
    search_fields = ["username", "target", "action", "client_address", "message"]
    date_hierarchy = "time"
