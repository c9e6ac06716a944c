from django.http import QueryDict

from containers.filtersets import ContainerFilterSet
from containers.models import Container
from containers.services import ContainerRow


def rows():
    return [
        ContainerRow(name="web-1", state="RUNNING", error="", metadata=None),
        ContainerRow(name="db-1", state="STOPPED", error="",
                     metadata=Container(name="db-1", description="Postgres for the WEB app")),
        ContainerRow(name="cache", state="FROZEN", error="", metadata=None),
    ]


def names(filterset):
    assert filterset.is_valid(), filterset.errors
    return [row.name for row in filterset.qs]


def test_state_filter_keeps_only_that_state_in_any_case():
    assert names(ContainerFilterSet(QueryDict("state=running"), rows())) == ["web-1"]
    assert names(ContainerFilterSet(QueryDict("state=FROZEN"), rows())) == ["cache"]


def test_search_matches_name_or_description_ignoring_case():
    assert names(ContainerFilterSet(QueryDict("search=WEB"), rows())) == ["web-1", "db-1"]


def test_filters_combine():
    assert names(ContainerFilterSet(QueryDict("search=web&state=stopped"), rows())) == ["db-1"]


def test_no_filter_keeps_everything_in_order():
    assert names(ContainerFilterSet(QueryDict(""), rows())) == ["web-1", "db-1", "cache"]


def test_unknown_state_is_a_validation_error():
    filterset = ContainerFilterSet(QueryDict("state=sleeping"), rows())
    assert not filterset.is_valid()
    assert "state" in filterset.errors
