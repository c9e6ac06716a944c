"""GET /api/v1/containers/: every container sorted by name, lower-case states, ?state= and ?search=."""

import pytest

from testing.api import assert_error, scratch_container

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def listed(backend, bridge):
    """Two containers: `stopped` and `running`, shared by this module's read-only tests."""
    with scratch_container(backend, bridge, "list-b") as stopped, \
            scratch_container(backend, bridge, "list-a", start=True) as running:
        yield {"stopped": stopped, "running": running}


@pytest.mark.parametrize("path", ["/api/v1/containers/", "/api/v1/containers"])
def test_list_is_sorted_by_name_with_lower_case_states(api, users, tokens, listed, path):
    response = api("GET", path, token=tokens.bob)
    assert response.status_code == 200
    names = [entry["container"] for entry in response.body]
    assert names == sorted(names)
    assert {"container": listed["running"], "state": "running"} in response.body
    assert {"container": listed["stopped"], "state": "stopped"} in response.body
    assert all(set(entry) == {"container", "state"} for entry in response.body)


@pytest.mark.parametrize("state", ["running", "RUNNING"])
def test_state_filter_keeps_only_containers_in_that_state(api, users, tokens, listed, state):
    response = api("GET", f"/api/v1/containers/?state={state}", token=tokens.bob)
    assert response.status_code == 200
    assert listed["running"] in [entry["container"] for entry in response.body]
    assert {entry["state"] for entry in response.body} == {"running"}


def test_search_filter_matches_part_of_the_name_in_any_case(api, users, tokens, listed):
    fragment = listed["stopped"].split("-")[-1].upper()
    response = api("GET", f"/api/v1/containers/?search={fragment}", token=tokens.bob)
    assert response.body == [{"container": listed["stopped"], "state": "stopped"}]


def test_unknown_state_filter_is_400_naming_the_field(api, users, tokens, listed):
    response = api("GET", "/api/v1/containers/?state=sleeping", token=tokens.bob)
    assert_error(response, 400, "invalid")
    assert "state" in response.body["fields"]


def test_read_only_token_may_list(api, users, tokens, listed):
    response = api("GET", "/api/v1/containers/", token=tokens.readonly)
    assert response.status_code == 200
    assert listed["running"] in [entry["container"] for entry in response.body]


def test_user_without_view_permission_is_403(api, users, tokens, listed):
    assert_error(api("GET", "/api/v1/containers/", token=tokens.charlie), 403, "permission_denied")
