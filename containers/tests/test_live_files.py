"""How engines/lxc/live.py reads the kernel's files, on both cgroup versions (this host runs one of
them: the real containers are in test_backend_usage.py); a v2 cgroup is laid out in a directory."""

import os

import pytest

from containers.engines.lxc import live


@pytest.fixture
def v2_root(tmp_path, monkeypatch):
    monkeypatch.setattr(live, "CGROUP_ROOT", tmp_path)
    return tmp_path


def write(directory, files):
    os.makedirs(directory, exist_ok=True)
    for name, text in files.items():
        (directory / name).write_text(text)


def test_the_container_cgroup_is_the_payload_ancestor_of_its_init(v2_root):
    cgroups = live._container_cgroups("0::/lxc.payload.web/init.scope\n", 2)
    assert cgroups == {"": os.path.join(v2_root, "lxc.payload.web")}


def test_a_v1_init_gives_each_controller_its_own_directory(monkeypatch, tmp_path):
    monkeypatch.setattr(live, "CGROUP_ROOT", tmp_path)
    identity = "".join(f"{n}:{c}:/lxc.payload.web\n" for n, c in enumerate(["memory", "cpu,cpuacct", "blkio",
                                                                          "freezer", "pids"]))
    cgroups = live._container_cgroups(identity, 1)
    assert cgroups == {c: os.path.join(tmp_path, c, "lxc.payload.web") for c in ("memory", "cpuacct", "blkio", "freezer")}


@pytest.mark.parametrize("path", ["/../etc", "/a/./b", "/x/../../etc"])
def test_a_cgroup_path_that_would_leave_its_hierarchy_is_refused(v2_root, path):
    assert live._container_cgroups(f"0::{path}\n", 2) is None


def test_a_v2_cgroup_gives_every_figure(v2_root):
    directory = v2_root / "lxc.payload.web"
    write(directory, {
        "cgroup.events": "populated 1\nfrozen 0\n", "cgroup.freeze": "0\n", "memory.current": "4096\n",
        "memory.swap.current": "512\n", "cpu.stat": "usage_usec 1500\nuser_usec 1000\nsystem_usec 500\n",
        "io.stat": "8:0 rbytes=100 wbytes=20 rios=1 wios=1\n8:16 rbytes=1 wbytes=2 rios=1 wios=1\n",
    })
    figures = live._read_v2({"": str(directory)})
    assert figures == {"state": "RUNNING", "cpu_ns": 1_500_000, "memory_bytes": 4096, "swap_bytes": 512,
                       "kmem_bytes": None, "blkio_read_bytes": 101, "blkio_write_bytes": 22, "blkio_bytes": 123}
    write(directory, {"cgroup.freeze": "1\n"})
    assert live._read_v2({"": str(directory)})["state"] == "FREEZING"
    write(directory, {"cgroup.events": "populated 1\nfrozen 1\n"})
    assert live._read_v2({"": str(directory)})["state"] == "FROZEN"


def test_a_v2_cgroup_that_is_gone_gives_nothing(v2_root):
    assert live._read_v2({"": str(v2_root / "lxc.payload.gone")}) is None
    assert live._glance_v2({"": str(v2_root / "lxc.payload.gone")}) is None


def test_a_v2_glance_reads_the_state_and_memory_only(v2_root):
    directory = v2_root / "lxc.payload.web"
    write(directory, {"cgroup.events": "populated 1\nfrozen 1\n", "cgroup.freeze": "1\n", "memory.current": "8192\n"})
    assert live._glance_v2({"": str(directory)}) == {"state": "FROZEN", "memory_bytes": 8192}


def test_v1_block_io_sums_reads_and_writes_and_keeps_the_total():
    text = "8:0 Read 100\n8:0 Write 20\n8:0 Sync 120\n8:16 Read 1\n8:16 Write 2\nTotal 123\n"
    assert live._v1_blkio(text) == (101, 22, 123)
