"""What a user with add or change permission sends never reaches the host beyond its container.

Settings values are written into the container's LXC config, where a newline would start a
key of the sender's choosing (lxc.hook.* runs a host command as root). Each hostile value is
refused and the config stays byte for byte; a create into a missing lxcpath says why or works.
"""

import os
import stat

import pytest

from containers.backend import LXCBackend
from testing.api import assert_error

pytestmark = pytest.mark.django_db

HOOK = "lxc.hook.pre-start = /bin/touch /tmp/lwp-hook-ran"
HOSTILE_SETTINGS = [
    ("network_link", "lxcbr0\n" + HOOK), ("network_link", "../../../../tmp"), ("network_link", "br0 " + HOOK),
    ("network_link", "x" * 16), ("cpuset", "0\n" + HOOK), ("cpuset", "0-1,\n"),
    ("memory_limit", "256M\n" + HOOK), ("cpu_shares", "512\n" + HOOK), ("start_delay", "5\n" + HOOK),
    ("autostart", "1\n" + HOOK),
]


def config_bytes(lxcpath, name):
    with open(os.path.join(lxcpath, name, "config"), "rb") as fh:
        return fh.read()


@pytest.mark.parametrize(("field", "value"), HOSTILE_SETTINGS)
def test_hostile_setting_values_are_400_and_leave_the_config_byte_for_byte(api, users, tokens, make_container,
                                                                          lxcpath, field, value):
    name = make_container("inj")
    before = config_bytes(lxcpath, name)
    response = api("PATCH", f"/api/v1/containers/{name}/settings", token=tokens.erin, data={field: value})
    assert_error(response, 400, "invalid")
    assert field in response.body["fields"]
    assert config_bytes(lxcpath, name) == before
    assert b"lxc.hook" not in config_bytes(lxcpath, name)


def test_create_into_a_missing_lxcpath_makes_it_like_lxcs_own_tools(tmp_path, adhoc_dir_cleanup):
    lxcpath = tmp_path / "not-yet" / "lxc"
    backend = LXCBackend(str(lxcpath), lock_dir=tmp_path / "locks", lock_wait=1)
    adhoc_dir_cleanup.append(backend)
    backend.create("fresh", template="busybox")
    assert backend.exists("fresh")
    assert stat.S_IMODE(os.stat(lxcpath).st_mode) == 0o755


@pytest.fixture
def adhoc_dir_cleanup():
    backends = []
    yield backends
    for backend in backends:
        for summary in backend.list_containers():
            backend.destroy(summary.name, force=True)


CLONE_SOURCES = ["../x", "/etc", "x;touch /tmp/lwp-clone-ran", "$(touch /tmp/lwp-clone-ran)", ".", "..",
                 "x/../../..", "-rf", "x\n"]


@pytest.mark.parametrize("source", CLONE_SOURCES)
def test_hostile_clone_sources_are_400_and_copy_nothing(api, users, tokens, lxcpath, source):
    before = set(os.listdir(lxcpath))
    response = api("PUT", "/api/v1/containers/", token=tokens.erin, data={"name": "cl-copy", "clone": source})
    assert_error(response, 400, "invalid")
    assert "clone" in response.body["fields"]
    assert set(os.listdir(lxcpath)) == before
    assert not os.path.lexists("/tmp/lwp-clone-ran")


@pytest.mark.parametrize("store", ["../x", "/tmp", "dir;touch /tmp/lwp-clone-ran", "loop:/etc/shadow", "btrfs\n"])
def test_hostile_clone_stores_are_400_and_copy_nothing(api, users, tokens, make_container, lxcpath, store):
    source = make_container("src")
    before = set(os.listdir(lxcpath))
    response = api("PUT", "/api/v1/containers/", token=tokens.erin,
                   data={"name": "cl-store", "clone": source, "store": store})
    assert_error(response, 400, "invalid")
    assert "store" in response.body["fields"]
    assert set(os.listdir(lxcpath)) == before
    assert not os.path.lexists("/tmp/lwp-clone-ran")
