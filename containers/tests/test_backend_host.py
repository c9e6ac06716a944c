"""Host facts, templates and backing stores, against what the host's own tools say."""

import os
import socket
import subprocess

from containers.tests.lxc_support import adhoc, leaves_nothing, listed, new_name

__all__ = ["adhoc"]


def command_output(*argv):
    return subprocess.run(list(argv), capture_output=True, text=True, check=True, timeout=30).stdout.strip()


def test_host_facts_agree_with_the_hosts_tools(backend):
    facts = backend.host_info()
    assert facts.lxc_version == command_output("lxc-info", "--version")
    assert facts.kernel == command_output("uname", "-r")
    assert facts.hostname == socket.gethostname()
    assert facts.cpus == int(command_output("nproc", "--all"))
    cgroup_fs = command_output("stat", "-f", "-c", "%T", "/sys/fs/cgroup")
    assert facts.cgroup_version == (2 if cgroup_fs == "cgroup2fs" else 1)
    assert facts.lxcpath == backend.lxcpath
    assert 0 < facts.memory_used < facts.memory_total
    assert facts.uptime_seconds > 0 and len(facts.load) == 3
    blocks, block_size = map(int, command_output("stat", "-f", "-c", "%b %S", backend.lxcpath).split())
    assert facts.disk_total == blocks * block_size
    assert 0 < facts.disk_free <= facts.disk_total


def test_templates_are_the_executable_lxc_templates_of_the_host(backend):
    directory = backend.templates_dir
    expected = sorted(entry[4:] for entry in os.listdir(directory)
                      if entry.startswith("lxc-") and os.access(os.path.join(directory, entry), os.X_OK))
    assert backend.templates() == expected
    assert "busybox" in expected


def test_every_offered_backing_store_creates_a_container(backend, adhoc):
    stores = backend.backing_stores()
    assert stores[0] == "dir"
    for store in stores:
        name = new_name(adhoc, store)
        backend.create(name, template="busybox", store=store)
        with open(os.path.join(backend.lxcpath, name, "config")) as fh:
            assert f"lxc.rootfs.path = {store}:" in fh.read()
        assert listed(backend)[name].state == "STOPPED"
        backend.destroy(name)
        assert leaves_nothing(backend, name)
