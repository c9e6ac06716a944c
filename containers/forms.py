"""Forms of the browser panel: they check the shape of input; the services check the rest.

Errors the services raise carry `fields` named as the API names them; each form's
FIELD_ALIASES maps those names onto its own fields (see views.report_error).
"""

import shlex

from django import forms

from containers.vocabulary import POWER_ACTIONS, SNAPSHOT_COMMENT_MAX

NAME_HELP = "letters, digits, '.', '_' or '-'; starts with a letter or digit"
SIZE_HELP = "e.g. 512M or 2G; empty for no limit"
_SIZE_UNITS = (("T", 1 << 40), ("G", 1 << 30), ("M", 1 << 20), ("K", 1 << 10))


def format_size(value):
    """Bytes as the settings form shows them: 536870912 -> '512M'; None -> '' (no limit)."""
    if value is None:
        return ""
    for suffix, unit in _SIZE_UNITS:
        if value and value % unit == 0:
            return f"{value // unit}{suffix}"
    return str(value)


class PanelForm(forms.Form):
    # Service error field -> this form's field.
    FIELD_ALIASES = {}

    def field_for(self, service_field):
        name = self.FIELD_ALIASES.get(service_field, service_field)
        return name if name in self.fields else None


class ActionForm(PanelForm):
    action = forms.ChoiceField(choices=[(a, a) for a in POWER_ACTIONS])


class NameListField(forms.Field):
    """The names of the rows ticked on the dashboard; the services validate each name."""

    widget = forms.MultipleHiddenInput
    MAX = 1000

    def to_python(self, value):
        names = [str(v).strip() for v in (value or []) if str(v).strip()]
        return list(dict.fromkeys(names))  # keep the order, drop repeats

    def validate(self, value):
        if not value:
            raise forms.ValidationError("select at least one container")
        if len(value) > self.MAX:
            raise forms.ValidationError(f"at most {self.MAX} containers at once")


class BulkActionForm(PanelForm):
    action = forms.ChoiceField(choices=[(a, a) for a in POWER_ACTIONS])
    names = NameListField()


class SettingsForm(PanelForm):
    memory_limit = forms.CharField(label="Memory limit", required=False, max_length=32, help_text=SIZE_HELP)
    swap_limit = forms.CharField(label="Swap limit", required=False, max_length=32,
                                 help_text="swap on top of memory; " + SIZE_HELP)
    cpuset = forms.CharField(label="CPUs (cpuset)", required=False, max_length=200,
                             help_text="e.g. 0-1,3; empty for all")
    cpu_shares = forms.IntegerField(label="CPU shares", required=False, min_value=2, max_value=262144,
                                    help_text="relative weight, 1024 is the default; empty to unset")
    autostart = forms.BooleanField(label="Start when the host boots", required=False)
    start_delay = forms.IntegerField(label="Start delay (s)", min_value=0, max_value=86400, initial=0)
    start_order = forms.IntegerField(label="Start order", min_value=0, max_value=86400, initial=0)
    description = forms.CharField(label="Description", required=False, max_length=2000,
                                  widget=forms.Textarea(attrs={"rows": 2}))

    @staticmethod
    def initial_from(editable):
        """The form's values from the service's EditableSettings (settings and description)."""
        settings = editable.settings
        return {
            "memory_limit": format_size(settings.memory_limit),
            "swap_limit": format_size(settings.swap_limit),
            "cpuset": settings.cpuset,
            "cpu_shares": settings.cpu_shares,
            "autostart": settings.autostart,
            "start_delay": settings.start_delay,
            "start_order": settings.start_order,
            "description": editable.description,
        }

    def changes(self):
        """Only what the user changed, as the service takes it ('' clears a limit)."""
        changes = {}
        for field in self.changed_data:
            value = self.cleaned_data[field]
            changes[field] = "" if value is None else (value.strip() if isinstance(value, str) else value)
        return changes


class NewNameForm(PanelForm):
    """The name of a container about to be made from another (a clone, a clone of a snapshot)."""

    FIELD_ALIASES = {"name": "new_name"}

    new_name = forms.CharField(label="New name", max_length=64, help_text=NAME_HELP)


class CloneForm(NewNameForm):
    store = forms.ChoiceField(label="Backing store", required=False)

    def __init__(self, *args, stores=(), **kwargs):
        super().__init__(*args, **kwargs)
        labels = {"overlay": "overlay (a copy-on-write clone)"}
        self.fields["store"].choices = [("", "same as the source")] + [(s, labels.get(s, s)) for s in stores]


class SnapshotForm(PanelForm):
    comment = forms.CharField(label="Comment", required=False, max_length=SNAPSHOT_COMMENT_MAX,
                              help_text="optional, e.g. before the upgrade")


class RestoreSnapshotForm(PanelForm):
    force = forms.BooleanField(label="Stop it first", required=False)


def snapshot_row_form(form_class, snapshot, data=None):
    """A form of one snapshot's row: its own ids, as a page shows one per snapshot."""
    return form_class(data, auto_id=f"id_{snapshot}_%s")


class DeleteForm(PanelForm):
    confirm = forms.CharField(label="Type the container's name to confirm", max_length=64)
    force = forms.BooleanField(label="Stop it first if it is running", required=False)

    def __init__(self, *args, container_name, **kwargs):
        super().__init__(*args, **kwargs)
        self.container_name = container_name

    def clean_confirm(self):
        if self.cleaned_data["confirm"].strip() != self.container_name:
            raise forms.ValidationError(f"type {self.container_name} exactly to delete it")
        return self.cleaned_data["confirm"]


class CreateForm(PanelForm):
    FIELD_ALIASES = {"xargs": "extra_args", "args": "extra_args"}

    name = forms.CharField(max_length=64, help_text=NAME_HELP)
    template = forms.ChoiceField()
    store = forms.ChoiceField(label="Backing store")
    extra_args = forms.CharField(label="Template arguments", required=False, max_length=4000,
                                 help_text="passed to the template as written, e.g. --release bookworm "
                                           "(quote an argument that has spaces)")
    description = forms.CharField(required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, templates=(), stores=(), arguments=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["template"].choices = [(t, t) for t in templates]
        if arguments:
            self.fields["extra_args"].help_text = "Allowed: " + "; ".join(
                f"{template}: " + ("any (not vetted by LWP)" if options is None else
                                   f"{', '.join(options)}, each with a plain word" if options else "none")
                for template, options in arguments.items())
        self.fields["store"].choices = [(s, s) for s in stores]
        if "busybox" in templates:
            self.fields["template"].initial = "busybox"

    def clean_extra_args(self):
        try:
            return shlex.split(self.cleaned_data["extra_args"])
        except ValueError as exc:
            raise forms.ValidationError(f"cannot split these arguments: {exc}") from None
