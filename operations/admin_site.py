"""The admin site every ModelAdmin is registered on: each change it makes is an audit event.

Why here and not from a signal on Django's LogEntry: a signal has no request (so no client
address or token), and the admin writes the LogEntries of a bulk deletion ("delete selected"
on two rows or more) with bulk_create, which sends no signal at all. The admin's own
log_addition / log_change / log_deletions hooks see every change, with its request; the site
mixes them into every ModelAdmin registered on it (LWP's, Django's User and Group, axes',
django-tasks'), so a model registered later is audited without anyone remembering to.
"""

import functools

from django.contrib import admin
from django.contrib.admin.models import ADDITION, CHANGE, DELETION
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from operations import audit
from operations.auth_views import PasswordChangeView
from operations.origin import admin_origin

_ACTIONS = {ADDITION: "admin.add", CHANGE: "admin.change", DELETION: "admin.delete"}
# The action whose every deletion is recorded on its own (by log_deletions).
_DELETE_SELECTED = "delete_selected"
_REPRS_SHOWN = 20


def _record_entries(request, entries):
    """An event for each LogEntry the admin just wrote (one, or a list for deletions)."""
    for entry in entries if isinstance(entries, (list, tuple)) else [entries]:
        model = ContentType.objects.get_for_id(entry.content_type_id).model if entry.content_type_id else "object"
        audit.record_event(action=_ACTIONS.get(entry.action_flag, "admin.change"),
                           target=f"{model}:{entry.object_repr}", user=request.user,
                           origin=admin_origin(request), message=entry.get_change_message())


def _audited_action(func, name, model_name):
    """An admin action that also records that it ran, on what selection.

    The change it makes may be recorded as well, by the service it calls (a container
    started, a token revoked, each with its own event).
    """

    @functools.wraps(func)
    def run(modeladmin, request, queryset):
        selected = [str(obj) for obj in queryset[:_REPRS_SHOWN + 1]]
        response = func(modeladmin, request, queryset)
        shown = ", ".join(selected[:_REPRS_SHOWN]) + (", ..." if len(selected) > _REPRS_SHOWN else "")
        audit.record_event(action="admin.action", target=f"{model_name}:{name}", user=request.user,
                           origin=admin_origin(request), message=f"on {shown}")
        return response

    return run


class AuditedModelAdmin:
    """Mixed into each ModelAdmin by AuditedAdminSite.register."""

    def log_addition(self, request, obj, message):
        entry = super().log_addition(request, obj, message)
        _record_entries(request, entry)
        return entry

    def log_change(self, request, obj, message):
        entry = super().log_change(request, obj, message)
        _record_entries(request, entry)
        return entry

    def log_deletions(self, request, queryset):
        entries = super().log_deletions(request, queryset)
        _record_entries(request, entries)
        return entries

    def get_actions(self, request):
        actions = super().get_actions(request)
        return {key: (func if name == _DELETE_SELECTED else _audited_action(func, name, self.opts.model_name),
                      name, description)
                for key, (func, name, description) in actions.items()}


class AuditedAdminSite(admin.AdminSite):
    def register(self, model_or_iterable, admin_class=None, **options):
        admin_class = admin_class or admin.ModelAdmin
        if not issubclass(admin_class, AuditedModelAdmin):
            admin_class = type(admin_class.__name__, (AuditedModelAdmin, admin_class),
                               {"__module__": admin_class.__module__, "__doc__": admin_class.__doc__})
        return super().register(model_or_iterable, admin_class, **options)

    def password_change(self, request, extra_context=None):
        """Django's AdminSite.password_change on the audited view (Django's names its view inline)."""
        from django.contrib.admin.forms import AdminPasswordChangeForm  # noqa: PLC0415 - as Django does

        defaults = {
            "form_class": AdminPasswordChangeForm,
            "success_url": reverse("admin:password_change_done", current_app=self.name),
            "extra_context": {**self.each_context(request), **(extra_context or {})},
        }
        if self.password_change_template is not None:
            defaults["template_name"] = self.password_change_template
        request.current_app = self.name
        return PasswordChangeView.as_view(**defaults)(request)
