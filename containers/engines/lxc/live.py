"""A running container's figures read from the kernel's own files, in the web process, without forking.

A liblxc call that reaches a container goes through its monitor's command socket, which a stuck
monitor never answers: so each runs in a forked child under a deadline (deadline.py), ~25 ms. The
figures need none of it: LXC 5 puts the monitor in the cgroup `lxc.monitor.<name>` and the
container in `lxc.payload.<name>`, the monitor's process title is `[lxc monitor] <lxcpath> <name>`,
its one child is the container's init, and the counters are files in the init's cgroup and in
/proc/<init>/net. Reading a procfs or cgroupfs file cannot hang as a socket can. A container this
cannot find (another cgroup layout: lxc.cgroup.dir, a name taken twice) is left to liblxc.

Paths are built from a validated name (no "/"), and a cgroup path from the kernel is checked to stay
under its hierarchy. A pid can be reused: the init's cgroups are read again after its figures, and
the figures are dropped when they changed (the init is gone).
"""

import dataclasses
import ipaddress
import os

from containers.engines.lxc.host import CGROUP_ROOT, ipv4_addresses_of_pid
from containers.engines.lxc.host import read_kernel_file as _read
from containers.vocabulary import validate_name

_PAYLOAD_PREFIX = "lxc.payload."
_MONITOR_TITLE = "[lxc monitor] "
# The v1 hierarchies the figures come from; v2 has one (CGROUP_ROOT itself).
_V1_CONTROLLERS = ("memory", "cpuacct", "blkio", "freezer")
_V1_FREEZER_STATES = {"THAWED": "RUNNING", "FROZEN": "FROZEN", "FREEZING": "FREEZING"}
_IPV6_GLOBAL_SCOPE = "00"


@dataclasses.dataclass(frozen=True)
class Incarnation:
    """A running container as found on the host: its init's pid and its cgroups.

    `cgroups` maps a v1 controller, or "" on v2, to the directory of the container's cgroup;
    `identity` is the init's /proc/<pid>/cgroup text, which a reused pid would not have."""

    name: str
    pid: int
    version: int
    cgroups: dict
    identity: str

    def still_alive(self):
        return _read(f"/proc/{self.pid}/cgroup") == self.identity

    def started(self):
        """The init's start time (clock ticks since boot): with the pid, which incarnation this is."""
        text = _read(f"/proc/{self.pid}/stat")
        if text is None or ") " not in text:
            return None
        fields = text.rsplit(") ", 1)[1].split()
        return _int(fields[19]) if len(fields) > 19 else None


@dataclasses.dataclass(frozen=True)
class Counters:
    """One reading of a running container's files (ContainerInfo's and Usage's figures)."""

    state: str
    cpu_ns: int | None
    memory_bytes: int | None
    swap_bytes: int | None
    kmem_bytes: int | None
    blkio_read_bytes: int | None
    blkio_write_bytes: int | None
    blkio_bytes: int | None  # lxc-info's "BlkIO use": v1's Total line, v2's read + written
    rx_bytes: int | None
    tx_bytes: int | None


@dataclasses.dataclass(frozen=True)
class Glance:
    """What a list row shows of a running container: a third of Counters' reads."""

    state: str
    memory_bytes: int | None


def _int(text):
    try:
        return int(text.strip())
    except (AttributeError, ValueError):
        return None


def _hierarchy(version, controller):
    return CGROUP_ROOT if version == 2 else CGROUP_ROOT / controller


def _under(root, relative):
    """root/relative when it stays under root (a kernel path has no '..'; still checked), else None."""
    parts = [part for part in relative.split("/") if part]
    if any(part in (".", "..") for part in parts):
        return None
    return os.path.join(root, *parts)


def find(lxcpath, name, version):
    """The Incarnation of `name` running from `lxcpath`, found through its monitor; None when there
    is none to be found this way (stopped, or a cgroup layout other than LXC's default)."""
    validate_name(name)
    monitor_dir = os.path.join(_hierarchy(version, "memory"), f"lxc.monitor.{name}")
    for monitor in _pids((_read(os.path.join(monitor_dir, "cgroup.procs")) or "")):
        if _monitor_of(_read(f"/proc/{monitor}/cmdline")) != (os.path.normpath(lxcpath), name):
            continue
        for child in _pids(_read(f"/proc/{monitor}/task/{monitor}/children") or ""):
            found = _incarnation(name, child, version, default_layout=True)
            if found is not None:
                return found
    return None


def _monitor_of(cmdline):
    """(lxcpath, name) from a monitor's title "[lxc monitor] <lxcpath> <name>" (an lxcpath may
    hold spaces, a name cannot); None for any other process."""
    title = (cmdline or "").rstrip("\0")
    if not title.startswith(_MONITOR_TITLE):
        return None
    lxcpath, _, name = title[len(_MONITOR_TITLE):].rpartition(" ")
    return os.path.normpath(lxcpath), name


def _pids(text):
    return [int(word) for word in text.split() if word.isdigit()]


def from_pid(name, pid, version):
    """The Incarnation whose init is `pid` (liblxc's init_pid), or None when `pid` is not the
    first process of a pid namespace (gone, or reused by another process)."""
    if not pid or pid <= 0:
        return None
    status = _read(f"/proc/{int(pid)}/status") or ""
    nspid = next((line.split()[1:] for line in status.splitlines() if line.startswith("NSpid:")), [])
    if len(nspid) < 2 or nspid[-1] != "1":
        return None
    return _incarnation(name, pid, version, default_layout=False)


def _incarnation(name, pid, version, *, default_layout):
    """With default_layout, `pid` must be in an `lxc.payload.*` cgroup (not, say, a hook the monitor
    runs in its own cgroup)."""
    identity = _read(f"/proc/{int(pid)}/cgroup")
    if identity is None or (default_layout and f"/{_PAYLOAD_PREFIX}" not in identity):
        return None
    cgroups = _container_cgroups(identity, version)
    if cgroups is None:
        return None
    return Incarnation(name=name, pid=pid, version=version, cgroups=cgroups, identity=identity)


def _container_cgroups(identity, version):
    """{controller: directory} of the container's cgroup, from its init's /proc/<pid>/cgroup.

    The init may sit in a cgroup of its own below the container's (systemd's init.scope): the
    container's is the `lxc.payload.*` ancestor when there is one."""
    wanted = ("",) if version == 2 else _V1_CONTROLLERS
    found = {}
    for line in identity.splitlines():
        fields = line.split(":", 2)
        if len(fields) != 3 or not fields[2].startswith("/"):
            continue
        _, controllers, path = fields
        names = [""] if controllers == "" else controllers.split(",")
        for controller in names:
            if controller in wanted and controller not in found:
                directory = _under(_hierarchy(version, controller), _payload_root(path))
                if directory is None:
                    return None
                found[controller] = directory
    return found if all(controller in found for controller in wanted) else None


def _payload_root(path):
    parts = path.split("/")
    for index in range(len(parts) - 1, -1, -1):
        if parts[index].startswith(_PAYLOAD_PREFIX):
            return "/".join(parts[:index + 1])
    return path


def read_counters(incarnation):
    """The figures of a running container now; None when its init is gone meanwhile."""
    reader = _read_v2 if incarnation.version == 2 else _read_v1
    cgroup = reader(incarnation.cgroups)
    if cgroup is None:
        return None
    rx, tx = network_bytes(incarnation.pid)
    if not incarnation.still_alive():
        return None
    return Counters(rx_bytes=rx, tx_bytes=tx, **cgroup)


def read_glance(incarnation):
    """A running container's state and memory use now; None when its init is gone meanwhile."""
    reader = _glance_v2 if incarnation.version == 2 else _glance_v1
    glance = reader(incarnation.cgroups)
    if glance is None or not incarnation.still_alive():
        return None
    return Glance(**glance)


def _file(cgroups, controller, key):
    return _read(os.path.join(cgroups[controller], key))


def _glance_v1(cgroups):
    freezer = (_file(cgroups, "freezer", "freezer.state") or "").strip()
    memory = _int(_file(cgroups, "memory", "memory.usage_in_bytes"))
    if freezer not in _V1_FREEZER_STATES or memory is None:
        return None  # the cgroup is gone or unreadable
    return {"state": _V1_FREEZER_STATES[freezer], "memory_bytes": memory}


def _read_v1(cgroups):
    glance = _glance_v1(cgroups)
    if glance is None:
        return None
    memory = glance["memory_bytes"]
    with_swap = _int(_file(cgroups, "memory", "memory.memsw.usage_in_bytes"))
    read, written, total = _v1_blkio(_file(cgroups, "blkio", "blkio.throttle.io_service_bytes"))
    return {
        **glance,
        "cpu_ns": _int(_file(cgroups, "cpuacct", "cpuacct.usage")),
        "swap_bytes": max(0, with_swap - memory) if with_swap is not None else None,
        "kmem_bytes": _int(_file(cgroups, "memory", "memory.kmem.usage_in_bytes")),
        "blkio_read_bytes": read, "blkio_write_bytes": written, "blkio_bytes": total,
    }


def _v1_blkio(text):
    """(read, written, total) bytes from blkio.throttle.io_service_bytes ("8:0 Read N" ... "Total N")."""
    if text is None:
        return None, None, None
    read = written = 0
    total = None
    for line in text.splitlines():
        fields = line.split()
        if len(fields) == 3 and fields[1] == "Read":
            read += _int(fields[2]) or 0
        elif len(fields) == 3 and fields[1] == "Write":
            written += _int(fields[2]) or 0
        elif len(fields) == 2 and fields[0] == "Total":
            total = _int(fields[1])
    return read, written, total


def _glance_v2(cgroups):
    events = _file(cgroups, "", "cgroup.events")
    memory = _int(_file(cgroups, "", "memory.current"))
    if events is None or memory is None:
        return None
    return {"state": _v2_state(events, _file(cgroups, "", "cgroup.freeze")), "memory_bytes": memory}


def _read_v2(cgroups):
    glance = _glance_v2(cgroups)
    if glance is None:
        return None
    read, written = _v2_io(_file(cgroups, "", "io.stat"))
    return {
        **glance,
        "cpu_ns": _v2_cpu_ns(_file(cgroups, "", "cpu.stat")),
        "swap_bytes": _int(_file(cgroups, "", "memory.swap.current")),
        "kmem_bytes": None,
        "blkio_read_bytes": read, "blkio_write_bytes": written,
        "blkio_bytes": read + written if read is not None else None,
    }


def _v2_state(events, freeze):
    frozen = "frozen 1" in events.splitlines()
    if frozen:
        return "FROZEN"
    return "FREEZING" if (freeze or "").strip() == "1" else "RUNNING"


def _v2_cpu_ns(text):
    for line in (text or "").splitlines():
        key, _, value = line.partition(" ")
        if key == "usage_usec":
            usec = _int(value)
            return usec * 1000 if usec is not None else None
    return None


def _v2_io(text):
    if text is None:
        return None, None
    read = written = 0
    for field in text.split():
        key, _, value = field.partition("=")
        if key == "rbytes":
            read += _int(value) or 0
        elif key == "wbytes":
            written += _int(value) or 0
    return read, written


def network_bytes(pid):
    """(received, sent) bytes of every interface but lo in the network namespace of `pid`, from
    /proc/<pid>/net/dev: the container's own side, as lxc-info counts (its host veth's reverse)."""
    text = _read(f"/proc/{int(pid)}/net/dev")
    if text is None:
        return None, None
    rx = tx = 0
    for line in text.splitlines()[2:]:
        interface, _, counters = line.partition(":")
        fields = counters.split()
        if interface.strip() == "lo" or len(fields) < 9:
            continue
        rx += _int(fields[0]) or 0
        tx += _int(fields[8]) or 0
    return rx, tx


def addresses(pid):
    """The container's addresses as liblxc's get_ips() gives them: IPv4 then global IPv6, no lo."""
    return [*ipv4_addresses_of_pid(pid), *_global_ipv6(pid)]


def _global_ipv6(pid):
    found = []
    for line in (_read(f"/proc/{int(pid)}/net/if_inet6") or "").splitlines():
        fields = line.split()
        if len(fields) < 6 or fields[5] == "lo" or fields[3] != _IPV6_GLOBAL_SCOPE:
            continue
        try:
            address = str(ipaddress.IPv6Address(int(fields[0], 16)))
        except ValueError:
            continue
        if address not in found:
            found.append(address)
    return found
