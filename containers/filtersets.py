"""The one FilterSet of the container list, used by the API list and the dashboard.

Containers are not database rows: their live list comes from liblxc through the
service layer, so the filters work on that list (wrapped to look like a queryset).
"""

import django_filters
from django.http import QueryDict

from containers.vocabulary import BROKEN, STATES
from containers.models import Container

STATE_CHOICES = [(state.lower(), state.lower()) for state in (*STATES, BROKEN)]


class ContainerRows(list):
    """Service rows (containers.services.ContainerRow) in the queryset shape django-filter wants."""

    model = Container

    def all(self):
        return self


class ContainerFilterSet(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(choices=STATE_CHOICES, method="filter_state",
                                        label="State")
    search = django_filters.CharFilter(method="filter_search", max_length=200, label="Search",
                                       help_text="part of the name or description, any case")

    def __init__(self, data=None, rows=(), **kwargs):
        super().__init__(data=_lower_state(data), queryset=ContainerRows(rows), **kwargs)

    def filter_queryset(self, queryset):
        # The documented hook, overridden only to accept a list where django-filter expects a QuerySet.
        for name, value in self.form.cleaned_data.items():
            queryset = self.filters[name].filter(queryset, value)
        return queryset

    def filter_state(self, rows, name, value):
        return ContainerRows(row for row in rows if row.state.lower() == value)

    def filter_search(self, rows, name, value):
        needle = value.strip().lower()
        if not needle:
            return rows
        return ContainerRows(row for row in rows if needle in row.name.lower()
                             or (row.metadata is not None and needle in row.metadata.description.lower()))


def _lower_state(data):
    """Accept ?state=RUNNING as well as ?state=running."""
    if data is None or "state" not in data:
        return data
    copy = data.copy() if isinstance(data, QueryDict) else dict(data)
    copy["state"] = str(copy["state"]).lower()
    return copy
