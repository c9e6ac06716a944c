from datetime import timedelta

from django import forms
from django.utils import timezone

# Lifetimes offered in the panel, in days; 0 is "never expires".
LIFETIMES = [(0, "never"), (7, "7 days"), (30, "30 days"), (90, "90 days"), (365, "1 year")]


class TokenCreateForm(forms.Form):
    description = forms.CharField(max_length=200, required=False,
                                  help_text="what it is for, e.g. backup script on nas1")
    lifetime = forms.TypedChoiceField(label="Expires after", choices=LIFETIMES, coerce=int, initial=90)
    read_only = forms.BooleanField(label="Read-only (can list and view, cannot change anything)", required=False)

    def expires(self):
        days = self.cleaned_data["lifetime"]
        return timezone.now() + timedelta(days=days) if days else None
