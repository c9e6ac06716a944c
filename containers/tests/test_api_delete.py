"""DELETE /api/v1/containers/<name>: destroys a stopped container with its snapshots."""

import os

import pytest

from containers.models import Container
from operations.models import Operation
from containers.tests.lxc_support import raw_container
from testing.api import assert_error

pytestmark = pytest.mark.django_db


def delete(api, token, name, query=""):
    return api("DELETE", f"/api/v1/containers/{name}{query}", token=token)


def exists(lxcpath, name):
    return os.path.lexists(os.path.join(lxcpath, name))


@pytest.mark.parametrize("suffix", ["", "/"])
def test_stopped_container_is_gone_when_answered(api, users, tokens, make_container, lxcpath, suffix):
    name = make_container("del")
    Container.objects.create(name=name, description="to be deleted")
    response = delete(api, tokens.erin, name + suffix)
    assert (response.status_code, set(response.body), response.body["status"]) == (200, {"status", "operation"}, "ok")
    assert Operation.objects.get(pk=response.body["operation"]).kind == "destroy"
    assert not exists(lxcpath, name)
    assert not Container.objects.filter(name=name).exists()
    assert_error(api("GET", f"/api/v1/containers/{name}", token=tokens.erin), 404, "not_found")


def test_its_snapshots_go_with_it(api, users, tokens, make_container, lxcpath):
    name = make_container("del")
    assert raw_container(lxcpath, name).snapshot() is not False
    assert os.listdir(os.path.join(lxcpath, name, "snaps"))
    assert delete(api, tokens.erin, name).status_code == 200
    assert not exists(lxcpath, name)


def test_unknown_container_is_404(api, users, tokens):
    assert_error(delete(api, tokens.erin, "no-such-container"), 404, "not_found")


def test_running_container_is_409_and_survives(api, users, tokens, make_container, lxcpath):
    name = make_container("del", start=True)
    response = delete(api, tokens.erin, name)
    assert_error(response, 409, "invalid_state")
    assert "RUNNING" in response.body["error"]
    assert api("GET", f"/api/v1/containers/{name}", token=tokens.erin).body["state"] == "RUNNING"


@pytest.mark.parametrize("force", ["1", "true", "yes"])
def test_force_stops_a_running_container_first(api, users, tokens, make_container, lxcpath, force):
    name = make_container("del", start=True)
    assert delete(api, tokens.erin, name, f"?force={force}").status_code == 200
    assert not exists(lxcpath, name)


def test_force_flag_that_is_not_yes_or_no_is_400(api, users, tokens, fake_container, fake_engine):
    name = fake_container("del")
    response = delete(api, tokens.erin, name, "?force=perhaps")
    assert_error(response, 400, "invalid")
    assert "force" in response.body["fields"]
    assert fake_engine.exists(name)


@pytest.mark.parametrize("who", ["dave", "bob", "charlie", "readonly"])
def test_caller_without_delete_permission_is_403_and_the_container_stays(api, users, tokens, fake_container,
                                                                         fake_engine, who):
    name = fake_container("del")
    assert_error(delete(api, getattr(tokens, who), name), 403, "permission_denied")
    assert fake_engine.exists(name)


def test_container_with_a_broken_config_is_409_then_goes_with_force(api, users, tokens, make_container, lxcpath):
    name = make_container("del")
    with open(os.path.join(lxcpath, name, "config"), "wb") as fh:
        fh.write(b"lxc.no.such.key = 1\n")
    refused = delete(api, tokens.erin, name)
    assert_error(refused, 409, "broken_config")
    assert "force" in refused.body["error"] and exists(lxcpath, name)
    assert delete(api, tokens.erin, name, "?force=1").status_code == 200
    assert not exists(lxcpath, name)
