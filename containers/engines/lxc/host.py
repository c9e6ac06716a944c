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
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
# /proc/stat's cpu line: user nice system idle iowait irq softirq steal (guest time is in user).
_STAT_TIMES = 8
_IDLE_FIELDS = (3, 4)


def read_kernel_file(path, limit=1 << 20):
    """A small procfs/sysfs file's text, or None when it cannot be read (gone, not ours, none).

    os.read, not open(): a buffered file object costs several more system calls per file,
    which is most of the time of a pass over many containers."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NOCTTY)
    except OSError:
        return None
    try:
        chunks = []
        size = 0
        while size < limit:
            chunk = os.read(fd, min(1 << 16, limit - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        return b"".join(chunks).decode("utf-8", "replace")
    except OSError:
        return None
    finally:
        os.close(fd)


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
    text = read_kernel_file(f"/proc/{int(pid)}/net/fib_trie")
    if text is None:
        return ()
    lines = text.splitlines()
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
    for line in (read_kernel_file("/proc/meminfo") or "").splitlines():
        key, _, rest = line.partition(":")
        amount = rest.split()[:1]
        if amount and amount[0].isdigit():
            values[key] = int(amount[0]) * 1024
    return values


def _memory_total_and_used(meminfo):
    """(total, used) as `free` says "used": total less MemAvailable."""
    total = meminfo.get("MemTotal", 0)
    return total, max(0, total - meminfo.get("MemAvailable", meminfo.get("MemFree", 0)))


def _disk_usage(lxcpath):
    try:
        return shutil.disk_usage(_existing_ancestor(lxcpath))
    except OSError:
        return shutil._ntuple_diskusage(0, 0, 0)


def _cpu_times_ns():
    """(busy, total) CPU time of all CPUs since boot, in ns, from /proc/stat's first line."""
    fields = (read_kernel_file("/proc/stat", 4096) or "").split("\n", 1)[0].split()
    ticks = [int(value) for value in fields[1:1 + _STAT_TIMES] if value.isdigit()]
    if fields[:1] != ["cpu"] or len(ticks) <= max(_IDLE_FIELDS):
        return 0, 0
    total = sum(ticks)
    busy = total - sum(ticks[index] for index in _IDLE_FIELDS)
    return busy * 1_000_000_000 // _CLOCK_TICKS, total * 1_000_000_000 // _CLOCK_TICKS


def host_usage(lxcpath):
    """The HostUsage fields: load, CPU counters, memory, swap and the lxcpath's filesystem."""
    meminfo = _meminfo()
    memory_total, memory_used = _memory_total_and_used(meminfo)
    swap_total = meminfo.get("SwapTotal", 0)
    disk = _disk_usage(lxcpath)
    busy, total = _cpu_times_ns()
    load1, load5, load15 = os.getloadavg()
    return {
        "load1": load1, "load5": load5, "load15": load15, "cpus": os.cpu_count() or 1,
        "cpu_busy_ns": busy, "cpu_total_ns": total,
        "memory_total_bytes": memory_total, "memory_used_bytes": memory_used,
        "swap_total_bytes": swap_total, "swap_used_bytes": max(0, swap_total - meminfo.get("SwapFree", 0)),
        "disk_total_bytes": disk.total, "disk_used_bytes": disk.used,
    }


def host_facts(lxcpath):
    """Everything the host card shows, from /proc, /sys and statvfs."""
    total, used = _memory_total_and_used(_meminfo())
    try:
        uptime = int(float(Path("/proc/uptime").read_text().split()[0]))
    except (OSError, ValueError, IndexError):
        uptime = 0
    disk = _disk_usage(lxcpath)
    return {
        "hostname": socket.gethostname(),
        "kernel": os.uname().release,
        "cgroup_version": cgroup_version(),
        "cpus": os.cpu_count() or 1,
        "load": tuple(round(x, 2) for x in os.getloadavg()),
        "memory_total": total,
        "memory_used": used,
        "uptime_seconds": uptime,
        "disk_total": disk.total,
        "disk_used": disk.used,
        "disk_free": disk.free,
    }
