"""The FilterSets of the operations and events lists: one each, for the API and the pages."""

import django_filters

from operations.models import Event, Operation, Status


class OperationFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Status.choices, empty_label="any")
    container = django_filters.CharFilter(max_length=64)
    user = django_filters.CharFilter(field_name="username", max_length=150, label="User")

    class Meta:
        model = Operation
        fields = ["status", "container", "user"]


class EventFilterSet(django_filters.FilterSet):
    container = django_filters.CharFilter(field_name="target", max_length=64, label="Container")
    user = django_filters.CharFilter(field_name="username", max_length=150, label="User")
    action = django_filters.CharFilter(max_length=64)
    since = django_filters.IsoDateTimeFilter(field_name="time", lookup_expr="gte", label="Since",
                                             help_text="ISO 8601 time: only events at or after it")

    class Meta:
        model = Event
        fields = ["container", "user", "action", "since"]
