"""The FilterSet of the list of all backups: one, for the API and the Backups page."""

import django_filters

from backups.models import Backup


class BackupFilterSet(django_filters.FilterSet):
    container = django_filters.CharFilter(max_length=64)
    status = django_filters.ChoiceFilter(choices=Backup.Status.choices, empty_label="any")

    class Meta:
        model = Backup
        fields = ["container", "status"]
