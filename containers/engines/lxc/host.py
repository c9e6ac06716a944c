"""Facts about the host that need no liblxc call: cgroup layout, templates, stores.

The module is the HostLimits (containers/engines/settings.py) the settings are checked against.
"""

import os
import shutil
import socket
from pathlib import Path

from containers.engines.settings import parse_cpu_list

CGROUP_ROOT = Path("/sys/fs/cgroup")
_TEMPLATE_PREFIX = "lxc-"


def cgroup_version():
    """2 on a unified (cgroup2-only) host, 1 on a legacy or hybrid one."""
    try:
        with open("/proc/self/mounts") as mounts:
            for line in mounts:
                fields = line.split()
                if len(fields) > 2 and fields[1] == str(CGROUP_ROOT):
                    return 2 if fields[2] == "cgroup2" else 1
    except OSError:
        pass
    return 1


def controller_available(controller):
    if cgroup_version() == 2:
        try:
            return controller in (CGROUP_ROOT / "cgroup.controllers").read_text().split()
        except OSError:
            return False
    return (CGROUP_ROOT / controller).is_dir()


def cpuset_available():
    return controller_available("cpuset")


def swap_needs_memory_limit():
    """cgroup v1 limits memory+swap (memsw): a swap limit needs a memory limit under it."""
    return cgroup_version() == 1


def swap_accounting_available():
    """Whether a container's swap can be limited (memsw on v1, memory.swap.max on v2)."""
    if cgroup_version() == 2:
        return any(CGROUP_ROOT.glob("*/memory.swap.max"))
    return (CGROUP_ROOT / "memory" / "memory.memsw.limit_in_bytes").exists()


def online_cpus():
    """The CPU numbers the host has online, e.g. {0, 1}."""
    try:
        return parse_cpu_list(Path("/sys/devices/system/cpu/online").read_text().strip())
    except (OSError, ValueError):
        return set(range(os.cpu_count() or 1))


def ipv4_addresses_of_pid(pid):
    """The IPv4 addresses (loopback left out) of the network namespace process `pid` is in.

    Read from /proc/PID/net/fib_trie: the LOCAL /32 entries of its routing table.
    """
    if not pid or pid <= 0:
        return ()
    try:
        lines = Path(f"/proc/{int(pid)}/net/fib_trie").read_text().splitlines()
    except OSError:
        return ()
    found = []
    previous = ""
    for line in lines:
        text = line.strip()
        if text.startswith("/32 host LOCAL") and previous and not previous.startswith("127."):
            if previous not in found:
                found.append(previous)
        if text.startswith("|-- "):
            previous = text[4:]
    return tuple(found)


def is_bridge(interface):
    return bool(interface) and "/" not in interface and Path("/sys/class/net", interface, "bridge").is_dir()


def template_names(templates_dir):
    """Templates this host offers: executable lxc-NAME files in the templates dir."""
    try:
        entries = os.listdir(templates_dir)
    except OSError:
        return []
    names = []
    for entry in entries:
        path = os.path.join(templates_dir, entry)
        if entry.startswith(_TEMPLATE_PREFIX) and os.path.isfile(path) and os.access(path, os.X_OK):
            names.append(entry[len(_TEMPLATE_PREFIX):])
    return sorted(names)


def template_path(templates_dir, name):
    return os.path.join(templates_dir, _TEMPLATE_PREFIX + name)


def _filesystem_type(path):
    """The type of the filesystem holding path, from /proc/self/mounts (longest prefix)."""
    best, fstype = "", ""
    real = os.path.realpath(path)
    try:
        with open("/proc/self/mounts") as mounts:
            for line in mounts:
                fields = line.split()
                if len(fields) < 3:
                    continue
                mountpoint = fields[1].replace("\\040", " ")
                inside = real == mountpoint or real.startswith(mountpoint.rstrip("/") + "/")
                if inside and len(mountpoint) >= len(best):
                    best, fstype = mountpoint, fields[2]
    except OSError:
        pass
    return fstype


def _existing_ancestor(path):
    while path and not os.path.exists(path):
        parent = os.path.dirname(path)
        if parent == path:
            break
        path = parent
    return path or "/"


def backing_stores(lxcpath):
    """Backing stores liblxc can create here: dir always, the others when their tools exist."""
    stores = ["dir"]
    if _filesystem_type(_existing_ancestor(lxcpath)) == "btrfs":
        stores.append("btrfs")
    if shutil.which("zfs") and shutil.which("zpool"):
        stores.append("zfs")
    if shutil.which("lvcreate"):
        stores.append("lvm")
    if shutil.which("mkfs.ext4") and os.path.exists("/dev/loop-control"):
        stores.append("loop")
    return stores


def overlay_available():
    try:
        return "overlay" in Path("/proc/filesystems").read_text().split()
    except OSError:
        return False


def _meminfo():
    values = {}
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            key, _, rest = line.partition(":")
            values[key] = int(rest.split()[0]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return values


def host_facts(lxcpath):
    """Everything the host card shows, from /proc, /sys and statvfs."""
    meminfo = _meminfo()
    total = meminfo.get("MemTotal", 0)
    available = meminfo.get("MemAvailable", meminfo.get("MemFree", 0))
    try:
        uptime = int(float(Path("/proc/uptime").read_text().split()[0]))
    except (OSError, ValueError, IndexError):
        uptime = 0
    try:
        disk = shutil.disk_usage(_existing_ancestor(lxcpath))
    except OSError:
        disk = shutil._ntuple_diskusage(0, 0, 0)
    return {
        "hostname": socket.gethostname(),
        "kernel": os.uname().release,
        "cgroup_version": cgroup_version(),
        "cpus": os.cpu_count() or 1,
        "load": tuple(round(x, 2) for x in os.getloadavg()),
        "memory_total": total,
        "memory_used": max(0, total - available),
        "uptime_seconds": uptime,
        "disk_total": disk.total,
        "disk_used": disk.used,
        "disk_free": disk.free,
    }
