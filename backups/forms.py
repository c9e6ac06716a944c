"""Forms of the Backups section and of the upload page: shapes only; the services check the rest."""

from django import forms

from backups.models import KEEP_MAX, BackupSchedule
from backups.schedules import WEEKDAYS
from containers.forms import NAME_HELP, PanelForm
from containers.vocabulary import SNAPSHOT_COMMENT_MAX


class BackupForm(PanelForm):
    comment = forms.CharField(required=False, max_length=SNAPSHOT_COMMENT_MAX)


class RestoreForm(PanelForm):
    FIELD_ALIASES = {"name": "new_name"}

    new_name = forms.CharField(label="New container", max_length=64, help_text=NAME_HELP)


class DeleteBackupForm(PanelForm):
    confirm = forms.BooleanField(label="Yes, delete this archive")


class ScheduleForm(PanelForm):
    enabled = forms.BooleanField(label="Back up on a schedule", required=False)
    frequency = forms.ChoiceField(choices=BackupSchedule.Frequency.choices)
    weekday = forms.TypedChoiceField(label="Weekday (weekly)", required=False, coerce=int, empty_value=None,
                                     choices=[("", "—"), *enumerate(WEEKDAYS)])
    time = forms.TimeField(label="Time (HH:MM)", input_formats=["%H:%M"],
                           widget=forms.TimeInput(format="%H:%M", attrs={"type": "time"}))
    keep = forms.IntegerField(label="Keep the last", min_value=1, max_value=KEEP_MAX)

    @staticmethod
    def initial_from(schedule):
        return {"enabled": schedule.enabled, "frequency": schedule.frequency, "weekday": schedule.weekday,
                "time": schedule.time, "keep": schedule.keep}


class ImportForm(PanelForm):
    # Streamed to disk by backups.uploads.ArchiveUploadHandler, which takes this field only.
    file = forms.FileField(label="Archive", required=False, help_text="a .tar.zst archive a backup of LWP made")
    name = forms.CharField(label="New container", max_length=64, help_text=NAME_HELP)
    description = forms.CharField(required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
