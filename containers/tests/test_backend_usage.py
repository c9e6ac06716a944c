"""Figures of running containers read from their files (engines/lxc/live.py), on real containers:
they agree with `lxc-info`, grow as the container works, and are read without forking."""

import contextlib
import dataclasses
import logging
import os
import signal
import subprocess
import time

import pytest

from containers.engines.lxc import deadline, engine as engine_module, live
from containers.engines.lxc.container_ops import wait_until
from containers.tests.lxc_support import lxc_info
from containers.vocabulary import BROKEN

# Raw figures (-H) of lxc-info's statistics (-S), as {label: value}.
_RAW = ("CPU use", "BlkIO use", "Memory use", "KMem use", "RX bytes", "TX bytes")


def raw_lxc_info(lxcpath, name):
    fields = lxc_info(lxcpath, name, "-S", "-H")
    return {label: int(values[0]) for label, values in fields.items() if label in _RAW}


def frozen_pair(backend, name, attempts=3):
    """(usage, lxc-info's raw figures) of the frozen `name`, lxc-info read before and after."""
    for _ in range(attempts):
        before = raw_lxc_info(backend.lxcpath, name)
        usage = backend.usage([name])[name]
        after = raw_lxc_info(backend.lxcpath, name)
        if before == after:
            return usage, after
    pytest.fail(f"lxc-info figures of {name} kept moving while it was frozen")


def attach(backend, name, command):
    subprocess.run(["lxc-attach", "-P", backend.lxcpath, "-n", name, "--", "sh", "-c", command],
                   capture_output=True, timeout=60, check=True)


@pytest.fixture
def running_with_traffic(backend, make_container):
    """A running container on the private bridge that has sent and received something."""
    name = make_container(start=True)
    assert wait_until(lambda: backend.info(name).ipv4, 20, 0.2), f"{name} got no DHCP address"
    return name


def test_usage_agrees_with_lxc_info_at_the_same_moment(backend, running_with_traffic):
    name = running_with_traffic
    backend.freeze(name)
    usage, reference = frozen_pair(backend, name)
    assert usage.cpu_ns == reference["CPU use"]
    assert usage.memory_bytes == reference["Memory use"]
    assert usage.blkio_read_bytes + usage.blkio_write_bytes == reference["BlkIO use"]
    assert (usage.rx_bytes, usage.tx_bytes) == (reference["RX bytes"], reference["TX bytes"])
    assert usage.rx_bytes > 0 and usage.tx_bytes > 0  # DHCP went both ways
    assert usage.swap_bytes is None or usage.swap_bytes >= 0


def test_info_of_a_running_container_agrees_with_lxc_info_while_it_runs(backend, running_with_traffic):
    """Not frozen: the figures move, so within tolerance, lxc-info read on both sides."""
    name = running_with_traffic
    before = raw_lxc_info(backend.lxcpath, name)
    info = backend.info(name)
    after = raw_lxc_info(backend.lxcpath, name)
    assert before["CPU use"] <= info.cpu_ns <= after["CPU use"]
    low, high = sorted((before["Memory use"], after["Memory use"]))
    assert low - (1 << 20) <= info.memory_bytes <= high + (1 << 20)
    assert before["RX bytes"] <= info.rx_bytes <= after["RX bytes"]
    assert info.state == "RUNNING" and [str(info.pid)] == lxc_info(backend.lxcpath, name)["PID"]


def test_counters_grow_as_the_container_works(backend, make_container):
    name = make_container(start=True)
    first = backend.usage([name])[name]
    assert first.memory_bytes > 0
    attach(backend, name, "i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; dd if=/dev/zero of=/tmp/f bs=64k count=16")
    second = backend.usage([name])[name]
    assert second.cpu_ns > first.cpu_ns


def test_a_stopped_container_is_left_out(backend, make_container):
    running, stopped = make_container(start=True), make_container()
    assert set(backend.usage([running, stopped])) == {running}
    backend.stop(running, force=True)
    assert backend.usage([running, stopped]) == {}
    assert running not in backend.usage()


def test_a_container_whose_cgroup_cannot_be_read_is_left_out_with_a_warning(backend, make_container, monkeypatch,
                                                                              caplog, tmp_path):
    unreadable, readable = make_container(start=True), make_container(start=True)
    real_find = live.find

    def find(lxcpath, name, version):  # the cgroup files of `unreadable` are not there
        found = real_find(lxcpath, name, version)
        return dataclasses.replace(found, cgroups=dict.fromkeys(found.cgroups, str(tmp_path))) \
            if name == unreadable else found

    monkeypatch.setattr(live, "find", find)
    with caplog.at_level(logging.WARNING, logger="lwp.containers"):
        usage = backend.usage([unreadable, readable])
    assert set(usage) == {readable}
    assert any(unreadable in record.getMessage() for record in caplog.records)


def test_a_container_in_another_cgroup_layout_is_found_through_liblxc(backend, make_container, monkeypatch):
    """Not LXC's default cgroup names (lxc.cgroup.dir...): the init pid comes from liblxc instead."""
    name = make_container(start=True)
    monkeypatch.setattr(live, "find", lambda lxcpath, name, version: None)
    before = raw_lxc_info(backend.lxcpath, name)
    usage = backend.usage([name])[name]
    info = backend.info(name)  # through liblxc's guarded child, as before
    after = raw_lxc_info(backend.lxcpath, name)
    assert before["CPU use"] <= usage.cpu_ns <= info.cpu_ns <= after["CPU use"]
    assert usage.memory_bytes > 0 and info.state == "RUNNING"
    row = {row.name: row for row in backend.list_containers(details=True)}[name]  # its fallback: liblxc's pid
    assert row.state == "RUNNING" and row.memory_bytes > 0


def monitor_pid(lxcpath, name):
    """The pid of `name`'s monitor process ("[lxc monitor] <lxcpath> <name>")."""
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError), open(f"/proc/{entry}/cmdline", "rb") as fh:
                if fh.read().rstrip(b"\0") == f"[lxc monitor] {lxcpath} {name}".encode():
                    return int(entry)
    raise AssertionError(f"no monitor for {name}")


@contextlib.contextmanager
def hung_monitor(lxcpath, name):
    """`name`'s monitor stopped (SIGSTOP): whatever asks it gets no answer, until it is continued."""
    pid = monitor_pid(lxcpath, name)
    os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(pid, signal.SIGCONT)


def test_a_container_whose_monitor_hangs_is_left_out_within_its_deadline(backend, make_container, monkeypatch,
                                                                         caplog):
    """Where its files cannot be found (another cgroup layout), the init pid is asked of the
    monitor under a deadline: one that does not answer costs the others nothing but that wait."""
    hung, answering = make_container(start=True), make_container(start=True)
    monkeypatch.setattr(live, "find", lambda lxcpath, name, version: None)
    with hung_monitor(backend.lxcpath, hung), caplog.at_level(logging.WARNING, logger="lwp.containers"):
        started = time.monotonic()
        usage = backend.usage([hung, answering])
        waited = time.monotonic() - started
        rows = {row.name: row for row in backend.list_containers(details=True)}
    assert set(usage) == {answering}
    assert waited < engine_module.USAGE_FALLBACK_TIMEOUT + 5
    assert any(hung in record.getMessage() for record in caplog.records)
    assert rows[answering].state == "RUNNING" and rows[answering].memory_bytes > 0
    assert rows[hung].state == BROKEN and "state of" in rows[hung].error
    assert backend.usage([hung]).keys() == {hung}  # answering again once continued


def test_figures_of_a_reused_pid_are_dropped(backend, make_container):
    """A pid read again after its init died belongs to someone else: its cgroups differ."""
    name = make_container(start=True)
    found = live.find(backend.lxcpath, name, backend_version())
    assert live.read_counters(found) is not None and live.read_glance(found).state == "RUNNING"
    stranger = dataclasses.replace(found, pid=os.getpid())
    assert live.read_counters(stranger) is None and live.read_glance(stranger) is None
    assert live.from_pid(name, os.getpid(), backend_version()) is None  # not the init of a pid namespace


def backend_version():
    from containers.engines.lxc import host  # noqa: PLC0415

    return host.cgroup_version()


@contextlib.contextmanager
def no_fork():
    """Any fork (os.fork, or a guarded liblxc call) inside fails the test."""
    def refuse(*args, **kwargs):
        raise AssertionError("forked")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(os, "fork", refuse)
        patch.setattr(deadline, "run_with_deadline", refuse)
        patch.setattr(engine_module, "run_with_deadline", refuse)
        yield


def test_usage_and_host_usage_never_fork(backend, make_container):
    running, frozen, stopped = make_container(start=True), make_container(start=True), make_container()
    backend.freeze(frozen)
    with no_fork():
        assert set(backend.usage([running, frozen, stopped])) == {running, frozen}
        assert {running, frozen} <= set(backend.usage())
        backend.host_usage()


def test_info_and_the_dashboard_list_of_a_running_container_do_not_fork(backend, make_container):
    name = make_container(start=True)
    first = backend.info(name)  # asks liblxc once for its interfaces' host side
    with no_fork():
        again = backend.info(name)
        rows = {row.name: row for row in backend.list_containers(details=True)}
    assert (again.pid, again.host_interface, again.interfaces) == (first.pid, first.host_interface, first.interfaces)
    assert rows[name].state == "RUNNING" and rows[name].memory_bytes > 0


def test_host_usage_agrees_with_proc_and_statvfs(backend):
    usage = backend.host_usage()
    meminfo = {line.split(":")[0]: int(line.split()[1]) * 1024 for line in open("/proc/meminfo")}
    assert usage.memory_total_bytes == meminfo["MemTotal"]
    assert usage.swap_total_bytes == meminfo["SwapTotal"]
    assert abs(usage.memory_used_bytes - (meminfo["MemTotal"] - meminfo["MemAvailable"])) < 256 << 20
    disk = os.statvfs(backend.lxcpath)
    assert usage.disk_total_bytes == disk.f_blocks * disk.f_frsize
    assert abs(usage.disk_used_bytes - (disk.f_blocks - disk.f_bfree) * disk.f_frsize) < 1 << 30
    assert usage.cpus == os.cpu_count()
    assert abs(usage.load1 - os.getloadavg()[0]) < 1
    ticks = os.sysconf("SC_CLK_TCK")
    fields = [int(value) for value in open("/proc/stat").readline().split()[1:9]]
    assert abs(usage.cpu_total_ns - sum(fields) * 10**9 // ticks) < 10 * 10**9 * os.cpu_count()
    time.sleep(0.2)
    later = backend.host_usage()
    assert later.cpu_total_ns > usage.cpu_total_ns and later.cpu_busy_ns >= usage.cpu_busy_ns


def test_a_container_is_found_only_from_its_own_lxcpath(backend, make_container, tmp_path):
    name = make_container(start=True)
    version = backend_version()
    assert live.find(backend.lxcpath + "/", name, version).pid == live.find(backend.lxcpath, name, version).pid
    assert live.find(str(tmp_path), name, version) is None
    elsewhere = engine_module.LXCEngine(str(tmp_path), lock_dir=str(tmp_path / "locks"))
    assert elsewhere.usage([name]) == {} and name not in elsewhere.usage()
