"""POST /api/v1/containers/<name> {"action": ...}: power actions that answer once the state holds."""

import pytest

from operations.models import Operation
from testing.api import assert_error

pytestmark = pytest.mark.django_db


def act(api, token, name, **data):
    return api("POST", f"/api/v1/containers/{name}", token=token, data=data)


def state_of(api, token, name):
    return api("GET", f"/api/v1/containers/{name}", token=token).body["state"]


def test_start_freeze_unfreeze_restart_and_stop_each_hold_when_answered(api, users, tokens, make_container):
    name = make_container("act")
    for action, extra, expected in [("start", {}, "RUNNING"), ("freeze", {}, "FROZEN"),
                                    ("unfreeze", {}, "RUNNING"), ("restart", {"force": True}, "RUNNING"),
                                    ("stop", {"timeout": 0}, "STOPPED")]:
        response = act(api, tokens.dave, name, action=action, **extra)
        assert response.status_code == 200, (action, response.body)
        operation = response.body.pop("operation")
        assert response.body == {"status": "ok", "name": name, "state": expected}
        assert Operation.objects.filter(pk=operation, kind=action, status="succeeded", container=name).exists()
        assert state_of(api, tokens.dave, name) == expected, action


def test_form_encoded_action_is_accepted(api, users, tokens, fake_container):
    name = fake_container("act")
    response = api("POST", f"/api/v1/containers/{name}/", token=tokens.dave, body="action=start",
                   content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    assert state_of(api, tokens.dave, name) == "RUNNING"


def test_json_labelled_as_a_form_is_read_as_json(api, users, tokens, fake_container):
    name = fake_container("act")
    response = api("POST", f"/api/v1/containers/{name}", token=tokens.dave, body='{"action": "start"}',
                   content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    assert state_of(api, tokens.dave, name) == "RUNNING"


def test_starting_a_running_container_is_409_naming_its_state(api, users, tokens, fake_container):
    name = fake_container("act", start=True)
    response = act(api, tokens.dave, name, action="start")
    assert_error(response, 409, "invalid_state")
    assert "RUNNING" in response.body["error"]


def test_freezing_a_stopped_container_is_409_naming_its_state(api, users, tokens, fake_container):
    name = fake_container("act")
    response = act(api, tokens.dave, name, action="freeze")
    assert_error(response, 409, "invalid_state")
    assert "STOPPED" in response.body["error"]


def test_unknown_container_is_409_as_the_reference_says(api, users, tokens):
    assert_error(act(api, tokens.dave, "no-such-container", action="start"), 409, "not_found")


def test_container_busy_with_another_operation_is_409_busy(api, users, tokens, make_container, backend):
    name = make_container("act")
    with backend.locks.hold([name], wait=1):
        response = act(api, tokens.dave, name, action="start")
    assert_error(response, 409, "busy")
    assert state_of(api, tokens.dave, name) == "STOPPED"


@pytest.mark.parametrize("data", [{}, {"action": "strat"}, {"action": 5}, {"action": ["start"]},
                                  {"action": "stop", "timeout": -1}, {"action": "stop", "timeout": "soon"},
                                  {"action": "stop", "timeout": 10 ** 9}, {"action": "stop", "timeout": True},
                                  {"action": "stop", "force": "maybe"}])
def test_missing_misspelled_or_ill_typed_parameters_are_400_naming_the_field(api, users, tokens, data):
    response = act(api, tokens.dave, "whatever", **data)
    assert_error(response, 400, "invalid")
    assert set(response.body["fields"]) & {"action", "timeout", "force"}


@pytest.mark.parametrize("body", ['{"action": "start"', "action", '["start"]', '"start"', "{'action': 'start'}",
                                  '{"action": NaN}'])
def test_malformed_json_is_400(api, users, tokens, body):
    response = api("POST", "/api/v1/containers/whatever", token=tokens.dave, body=body)
    assert response.status_code == 400
    assert response.body["status"] == "error" and response.body["code"] in ("parse_error", "invalid")


@pytest.mark.parametrize("who", ["charlie", "bob", "readonly"])
def test_caller_without_change_permission_is_403_and_nothing_changes(api, users, tokens, fake_container, who):
    name = fake_container("act")
    assert_error(act(api, getattr(tokens, who), name, action="start"), 403, "permission_denied")
    assert state_of(api, tokens.alice, name) == "STOPPED"
