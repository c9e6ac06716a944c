"""Settings users edit: saved with keys this LXC accepts, the container still starts, values read back."""

import os
import uuid

import pytest

from containers.engines.lxc import host, settings_keys
from containers.engines.types import ContainerSettings
from containers.tests.lxc_support import raw_container
from lwp.exceptions import InvalidInput
from testing import playground

MIB = 1 << 20


def config_bytes(backend, name):
    with open(os.path.join(backend.lxcpath, name, "config"), "rb") as fh:
        return fh.read()


def config_lines(backend, name):
    return [line.strip() for line in config_bytes(backend, name).decode().splitlines()]


def running_cgroup(backend, name, key):
    return raw_container(backend.lxcpath, name).get_cgroup_item(key)


@pytest.fixture
def other_bridge():
    """A second bridge (no DHCP needed): a container linked to it must still start."""
    name = f"lwpo{uuid.uuid4().hex[:6]}"
    playground.run(["ip", "link", "add", name, "type", "bridge"])
    playground.run(["ip", "link", "set", name, "up"])
    yield name
    playground.run(["ip", "link", "del", name])


def start_and_check(backend, name):
    assert backend.start(name) == "RUNNING"
    assert backend.state(name) == "RUNNING"


# ----- each setting on a real container -------------------------------------------------


def test_memory_limit_is_applied_when_the_container_starts(backend, make_container):
    name = make_container()
    result = backend.update_settings(name, {"memory_limit": "256M"})
    assert result.changed == ["memory_limit"] and not result.restart_needed
    assert "lxc.cgroup.memory.limit_in_bytes = 268435456" in config_lines(backend, name)
    start_and_check(backend, name)
    assert running_cgroup(backend, name, "memory.limit_in_bytes") == str(256 * MIB)
    assert backend.get_settings(name).memory_limit == 256 * MIB


def test_swap_limit_is_applied_on_top_of_memory_or_refused_clearly(backend, make_container):
    name = make_container()
    changes = {"memory_limit": "256M", "swap_limit": "128M"}
    if not host.swap_accounting_available():
        before = config_bytes(backend, name)
        with pytest.raises(InvalidInput, match="swap") as refusal:
            backend.update_settings(name, changes)
        assert list(refusal.value.fields) == ["swap_limit"]
        assert config_bytes(backend, name) == before
        return
    backend.update_settings(name, changes)
    assert "lxc.cgroup.memory.memsw.limit_in_bytes = 402653184" in config_lines(backend, name)
    start_and_check(backend, name)
    assert running_cgroup(backend, name, "memory.memsw.limit_in_bytes") == str(384 * MIB)
    settings = backend.get_settings(name)
    assert (settings.memory_limit, settings.swap_limit) == (256 * MIB, 128 * MIB)


def test_cpuset_is_applied_when_the_container_starts(backend, make_container):
    name = make_container()
    cpu = str(max(host.online_cpus()))
    backend.update_settings(name, {"cpuset": cpu})
    assert f"lxc.cgroup.cpuset.cpus = {cpu}" in config_lines(backend, name)
    start_and_check(backend, name)
    assert running_cgroup(backend, name, "cpuset.cpus") == cpu
    assert backend.get_settings(name).cpuset == cpu


def test_cpu_shares_are_applied_when_the_container_starts(backend, make_container):
    name = make_container()
    backend.update_settings(name, {"cpu_shares": 512})
    assert "lxc.cgroup.cpu.shares = 512" in config_lines(backend, name)
    start_and_check(backend, name)
    assert running_cgroup(backend, name, "cpu.shares") == "512"
    assert backend.get_settings(name).cpu_shares == 512


def test_autostart_with_delay_and_order_is_saved_and_the_container_starts(backend, make_container):
    name = make_container()
    result = backend.update_settings(name, {"autostart": True, "start_delay": "7", "start_order": 3})
    assert sorted(result.changed) == ["autostart", "start_delay", "start_order"]
    lines = config_lines(backend, name)
    assert {"lxc.start.auto = 1", "lxc.start.delay = 7", "lxc.start.order = 3"} <= set(lines)
    start_and_check(backend, name)
    settings = backend.get_settings(name)
    assert (settings.autostart, settings.start_delay, settings.start_order) == (True, 7, 3)
    backend.update_settings(name, {"autostart": False})
    assert backend.get_settings(name).autostart is False
    assert "lxc.start.auto = 0" in config_lines(backend, name)


def test_network_link_moves_the_container_to_another_bridge(backend, make_container, other_bridge):
    name = make_container()
    backend.update_settings(name, {"network_link": other_bridge})
    assert f"lxc.net.0.link = {other_bridge}" in config_lines(backend, name)
    start_and_check(backend, name)
    info = backend.info(name)
    assert info.link == other_bridge
    master = os.path.realpath(f"/sys/class/net/{info.host_interface}/master")
    assert os.path.basename(master) == other_bridge
    assert backend.get_settings(name).network_link == other_bridge


def test_every_setting_at_once_uses_only_cgroup_v1_keys_and_the_container_starts(backend, make_container):
    name = make_container()
    backend.update_settings(name, {"memory_limit": "128M", "cpuset": "0", "cpu_shares": 256,
                                   "autostart": "yes", "start_delay": 1, "start_order": 2})
    lines = config_lines(backend, name)
    assert not [line for line in lines if line.startswith("lxc.cgroup2.")]
    assert not [line for line in lines if line.startswith("lxc.network.")]  # LXC 1.x keys
    cgroup_keys = {line.split(" = ")[0] for line in lines if line.startswith("lxc.cgroup.")}
    assert cgroup_keys == {"lxc.cgroup.memory.limit_in_bytes", "lxc.cgroup.cpuset.cpus",
                           "lxc.cgroup.cpu.shares"}
    start_and_check(backend, name)


def test_changing_a_limit_of_a_running_container_asks_for_a_restart(backend, make_container):
    name = make_container(start=True)
    assert backend.update_settings(name, {"memory_limit": "200M"}).restart_needed
    assert not backend.update_settings(name, {"start_order": 5}).restart_needed
    assert backend.update_settings(name, {"start_order": 5}).changed == []


def test_removing_a_limit_clears_its_key(backend, make_container):
    name = make_container()
    backend.update_settings(name, {"memory_limit": "256M", "cpu_shares": 300})
    backend.update_settings(name, {"memory_limit": "", "cpu_shares": None})
    text = config_bytes(backend, name).decode()
    assert "memory.limit_in_bytes" not in text and "cpu.shares" not in text
    settings = backend.get_settings(name)
    assert (settings.memory_limit, settings.cpu_shares) == (None, None)
    start_and_check(backend, name)


# ----- refusals leave the config as it was ----------------------------------------------


def offline_cpu():
    return str(max(host.online_cpus()) + 1)


@pytest.mark.parametrize(("field", "value"), [
    ("memory_limit", "lots"),
    ("memory_limit", "1K"),
    ("memory_limit", "-5M"),
    ("cpuset", "offline"),
    ("cpuset", "0-"),
    ("cpu_shares", 1),
    ("cpu_shares", "many"),
    ("network_link", "lo"),
    ("network_link", "no-such-bridge"),
    ("network_link", "../lo"),
    ("start_delay", -1),
    ("start_order", "first"),
    ("autostart", "maybe"),
    ("swap_limit", "1G"),  # without a memory limit, swap cannot be limited on v1
    ("colour", "blue"),
])
def test_invalid_value_is_refused_naming_the_field_and_the_config_is_unchanged(
        backend, make_container, field, value):
    name = make_container()
    backend.update_settings(name, {"start_order": 9})  # something of ours in the file already
    before = config_bytes(backend, name)
    if value == "offline":
        value = offline_cpu()
    with pytest.raises(InvalidInput) as refusal:
        backend.update_settings(name, {field: value, "start_delay": 4}
                                if field != "start_delay" else {field: value})
    assert field in refusal.value.fields
    assert config_bytes(backend, name) == before
    assert backend.get_settings(name).start_order == 9


# ----- the keys for a cgroup v2 host (this host is v1: unit level) ----------------------


def test_cgroup_v2_keys_are_the_unified_ones():
    settings = ContainerSettings(memory_limit=256 * MIB, swap_limit=128 * MIB, cpuset="0-1",
                                 cpu_shares=1024, autostart=True, start_delay=2, start_order=1,
                                 network_link="br0")
    items = dict(settings_keys.config_items(settings, 2))
    assert items == {
        "lxc.cgroup2.memory.max": str(256 * MIB),
        "lxc.cgroup2.memory.swap.max": str(128 * MIB),  # v2 limits swap alone, not memory+swap
        "lxc.cgroup2.cpu.weight": "39",  # shares 1024 (the default) is weight 39 (runc's map)
        "lxc.cgroup2.cpuset.cpus": "0-1",
        "lxc.start.auto": "1", "lxc.start.delay": "2", "lxc.start.order": "1",
        "lxc.net.0.link": "br0",
    }


def test_cgroup_v2_clears_unset_limits_and_never_writes_v1_keys():
    items = settings_keys.config_items(ContainerSettings(), 2)
    assert all(not key.startswith("lxc.cgroup.") for key, _ in items)
    cleared = {key for key, value in items if value is None}
    assert cleared == {"lxc.cgroup2.memory.max", "lxc.cgroup2.memory.swap.max",
                       "lxc.cgroup2.cpu.weight", "lxc.cgroup2.cpuset.cpus"}


def test_cpu_shares_and_weight_map_both_ways_at_the_ends():
    assert settings_keys.shares_to_weight(2) == 1
    assert settings_keys.shares_to_weight(262144) == 10000
    assert settings_keys.weight_to_shares(settings_keys.shares_to_weight(262144)) == 262144
