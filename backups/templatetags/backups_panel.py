"""The Backups section of a container's page and the dashboard's notice, each read where it is
shown (containers' views stay as they are: their templates include these)."""

from django import template

from backups import services
from backups.forms import BackupForm, ScheduleForm
from backups.schedules import describe

register = template.Library()


@register.inclusion_tag("backups/_backups.html", takes_context=True)
def backups_section(context, name):
    user = context["request"].user
    schedule = services.get_schedule(name=name, user=user)
    return {
        "name": name,
        "perms": context["perms"],
        "csrf_token": context.get("csrf_token"),
        "backups": services.list_backups(name=name, user=user),
        "schedule": schedule,
        "schedule_text": describe(schedule),
        "backup_form": BackupForm(),
        "schedule_form": ScheduleForm(initial=ScheduleForm.initial_from(schedule)),
    }


@register.inclusion_tag("backups/_failed_notice.html", takes_context=True)
def failed_backups_notice(context):
    return {"failed": services.failed_schedules(user=context["request"].user)}
