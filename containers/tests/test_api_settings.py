"""GET and PATCH /api/v1/containers/<name>/settings: the panel's settings form, for scripts."""

import os

import pytest

from containers.backend import host
from testing.api import assert_error

pytestmark = pytest.mark.django_db


def settings_of(api, token, name):
    return api("GET", f"/api/v1/containers/{name}/settings", token=token)


def change(api, token, name, **data):
    return api("PATCH", f"/api/v1/containers/{name}/settings", token=token, data=data)


def config_text(lxcpath, name):
    with open(os.path.join(lxcpath, name, "config")) as fh:
        return fh.read()


def test_a_viewer_reads_the_settings_with_and_without_the_slash(api, users, tokens, make_container, bridge):
    name = make_container("set")
    for path in (f"/api/v1/containers/{name}/settings", f"/api/v1/containers/{name}/settings/"):
        response = api("GET", path, token=tokens.bob)
        assert response.status_code == 200, response.body
        assert response.body["settings"]["network_link"] == bridge.name
        assert response.body["settings"]["memory_limit"] is None
        assert response.body["restart_needed"] is False


def test_changes_are_saved_with_this_hosts_keys_and_the_container_still_starts(
        api, users, tokens, make_container, lxcpath):
    name = make_container("set")
    response = change(api, tokens.dave, name, memory_limit="256M", cpu_shares=512, autostart=True,
                      start_delay=5, description="web front")
    assert response.status_code == 200, response.body
    saved = response.body["settings"]
    assert (saved["memory_limit"], saved["cpu_shares"], saved["autostart"], saved["start_delay"]) == (
        256 << 20, 512, True, 5)
    assert saved["description"] == "web front"
    assert set(response.body["changed"]) == {"memory_limit", "cpu_shares", "autostart", "start_delay",
                                             "description"}
    prefix = "lxc.cgroup2." if host.cgroup_version() == 2 else "lxc.cgroup."
    assert f"{prefix}memory" in config_text(lxcpath, name)
    started = api("POST", f"/api/v1/containers/{name}", token=tokens.dave, data={"action": "start"})
    assert started.status_code == 200 and started.body["state"] == "RUNNING"
    assert settings_of(api, tokens.bob, name).body["settings"]["memory_limit"] == 256 << 20


def test_a_change_to_a_running_container_says_a_restart_is_needed(api, users, tokens, make_container):
    name = make_container("set", start=True)
    response = change(api, tokens.dave, name, memory_limit=128 << 20)
    assert response.status_code == 200
    assert response.body["restart_needed"] is True
    assert change(api, tokens.dave, name, autostart=True).body["restart_needed"] is False


@pytest.mark.parametrize("data, field", [
    ({"memory_limit": "lots"}, "memory_limit"),
    ({"memory_limit": True}, "memory_limit"),
    ({"cpuset": "0-9999"}, "cpuset"),
    ({"cpu_shares": 1}, "cpu_shares"),
    ({"network_link": "no-such-br"}, "network_link"),
    ({"start_delay": "soon"}, "start_delay"),
    ({"colour": "blue"}, "colour"),
])
def test_bad_values_are_400_naming_the_field_and_change_nothing(api, users, tokens, make_container, lxcpath,
                                                               data, field):
    name = make_container("set")
    before = config_text(lxcpath, name)
    response = api("PATCH", f"/api/v1/containers/{name}/settings", token=tokens.dave, data=data)
    assert response.status_code == 400, response.body
    assert response.body["status"] == "error" and field in response.body["fields"]
    assert config_text(lxcpath, name) == before


def test_who_may_read_and_change(api, users, tokens, make_container, lxcpath):
    name = make_container("set")
    before = config_text(lxcpath, name)
    assert_error(api("GET", f"/api/v1/containers/{name}/settings"), 401, "unauthorized")
    assert_error(settings_of(api, tokens.charlie, name), 403, "permission_denied")
    assert_error(change(api, tokens.bob, name, autostart=True), 403, "permission_denied")
    assert_error(change(api, tokens.readonly, name, autostart=True), 403, "permission_denied")
    assert config_text(lxcpath, name) == before
    assert change(api, tokens.alice, name, autostart=True).status_code == 200


def test_unknown_container_is_404(api, users, tokens):
    assert_error(settings_of(api, tokens.bob, "no-such-container"), 404, "not_found")
    assert_error(change(api, tokens.dave, "no-such-container", autostart=True), 404, "not_found")
