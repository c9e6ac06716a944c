"""Container info against `lxc-info -P <lxcpath> -n <name>` on the same running container."""

import pytest

from containers.engines.lxc import container_ops
from containers.tests.lxc_support import lxc_info, wait_for_ipv4
from lwp.exceptions import ContainerNotFound
from testing import playground

# Eight full groups: a truncated copy (the old panel cut addresses short) cannot match.
IPV6 = "fd42:4c57:5000:1234:5678:9abc:def0:1234"


def frozen_snapshot(backend, name, attempts=3):
    """(backend info, lxc-info fields) read while frozen, with lxc-info read on both sides.

    Frozen, nothing inside can move a figure; a broadcast reaching the host side
    of the veth still could, so a pair of lxc-info reads that differ is retried.
    """
    for _ in range(attempts):
        before = lxc_info(backend.lxcpath, name)
        info = backend.info(name)
        after = lxc_info(backend.lxcpath, name)
        if before == after:
            return info, after
    pytest.fail(f"lxc-info figures of {name} kept moving while it was frozen")


@pytest.fixture
def running_on_bridge(backend, make_container):
    """A running container with a DHCP IPv4 address and a global IPv6 address."""
    name = make_container(start=True)
    info = wait_for_ipv4(backend, name)
    # busybox's udhcpc flushes every address of eth0 (lxc.net.0.ipv6.address too) when it
    # starts, so the IPv6 address is added inside the container's netns once DHCP is done.
    playground.run(["nsenter", "-t", str(info.pid), "-n", "ip", "-6", "addr", "add", f"{IPV6}/64",
                 "dev", "eth0", "nodad"])
    wait_for_ipv4(backend, name, ipv6=IPV6)
    return name


def test_running_container_info_matches_lxc_info_field_by_field(backend, running_on_bridge, bridge):
    name = running_on_bridge
    backend.freeze(name)
    info, reference = frozen_snapshot(backend, name)
    shown = info.formatted()
    assert reference["State"] == [info.state] == ["FROZEN"]
    assert reference["PID"] == [str(info.pid)]
    assert sorted(reference["IP"]) == sorted(info.ips)
    assert IPV6 in info.ips
    assert reference["CPU use"] == [shown["cpu_use"]]
    assert reference["BlkIO use"] == [shown["blkio_use"]]
    assert reference["Memory use"] == [shown["memory_use"]]
    assert reference["KMem use"] == [shown["kmem_use"]]
    assert reference["Link"] == [info.host_interface]
    assert reference["TX bytes"] == [shown["tx_bytes"]]
    assert reference["RX bytes"] == [shown["rx_bytes"]]
    assert reference["Total bytes"] == [shown["total_bytes"]]
    assert info.link == bridge.name
    assert info.ipv4 and all(ip.startswith(str(bridge.subnet.network_address)[:-1]) for ip in info.ipv4)


def test_running_container_has_raw_figures(backend, running_on_bridge):
    info = backend.info(running_on_bridge)
    assert info.state == "RUNNING"
    for figure in (info.cpu_ns, info.memory_bytes, info.rx_bytes, info.tx_bytes):
        assert isinstance(figure, int) and figure > 0
    assert isinstance(info.blkio_bytes, int)
    assert info.total_bytes == info.rx_bytes + info.tx_bytes
    assert info.host_interface.startswith("veth")


def test_ipv6_addresses_are_whole(backend, running_on_bridge):
    info = backend.info(running_on_bridge)
    assert IPV6 in info.ipv6
    assert IPV6 in lxc_info(backend.lxcpath, running_on_bridge)["IP"]


def test_stopped_container_has_no_figures(backend, make_container):
    name = make_container()
    info = backend.info(name)
    assert (info.state, info.pid, info.ips, info.host_interface) == ("STOPPED", None, [], "")
    assert set(info.formatted().values()) == {None}
    assert info.total_bytes is None
    assert info.link  # the configured bridge is known while stopped
    reference = lxc_info(backend.lxcpath, name)
    assert reference["State"] == ["STOPPED"]
    assert "PID" not in reference and "CPU use" not in reference


def test_info_of_an_unknown_container_is_not_found(backend):
    with pytest.raises(ContainerNotFound, match="nope-x"):
        backend.info("nope-x")


class HostWithoutFigures:
    """A container on a host whose cgroup files are missing: python3-lxc answers False."""

    name = "c"
    state = "RUNNING"
    init_pid = 42

    def get_cgroup_item(self, key):
        return False

    def get_ips(self):
        return ()

    def get_running_config_item(self, key):
        raise KeyError(key)

    def get_config_item(self, key):
        raise KeyError(key)


@pytest.mark.parametrize("version", [1, 2])
def test_figure_the_host_cannot_give_is_none_not_an_error(version):
    info = container_ops.gather_info(HostWithoutFigures(), version)
    assert (info.cpu_ns, info.memory_bytes, info.kmem_bytes, info.blkio_bytes) == (None,) * 4
    assert (info.rx_bytes, info.tx_bytes, info.pid) == (None, None, 42)
