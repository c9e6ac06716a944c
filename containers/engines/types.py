"""Plain results of container engines (containers/engines/base.py): no library object leaves an engine.

Some names come from LXC because the API publishes them as they are (kmem_bytes as
`kmem_use`, HostInfo.lxcpath and lxc_version): an engine without them gives None.
"""

from dataclasses import dataclass, field

from containers.figures import humanize_bytes, humanize_cpu_ns


@dataclass(frozen=True)
class ContainerSummary:
    name: str
    state: str  # upper case, as liblxc says it, or BROKEN
    error: str = ""  # why a BROKEN container could not be read
    # Filled only by list_containers(details=True):
    ipv4: tuple[str, ...] = ()
    memory_bytes: int | None = None
    autostart: bool = False


@dataclass(frozen=True)
class NetworkInterface:
    index: int
    type: str
    link: str  # the bridge (lxc.net.N.link) or parent device; "" when none
    host_interface: str  # host side name while running (veth pair), "" otherwise


@dataclass(frozen=True)
class ContainerInfo:
    name: str
    state: str
    pid: int | None
    ips: list[str]
    interfaces: list[NetworkInterface]
    cpu_ns: int | None
    memory_bytes: int | None
    kmem_bytes: int | None  # kernel memory: cgroup v1 hosts only (capability kernel_memory)
    blkio_bytes: int | None
    rx_bytes: int | None  # from the container's point of view, as lxc-info
    tx_bytes: int | None
    cgroup_version: int = 1

    @property
    def ipv4(self):
        return [ip for ip in self.ips if ":" not in ip]

    @property
    def ipv6(self):
        return [ip for ip in self.ips if ":" in ip]

    @property
    def link(self):
        """The bridge of the first interface, as LWP's API reports `link`."""
        return self.interfaces[0].link if self.interfaces else ""

    @property
    def host_interface(self):
        """The host side veth of the first interface, what lxc-info prints as `Link:`."""
        return self.interfaces[0].host_interface if self.interfaces else ""

    @property
    def total_bytes(self):
        if self.rx_bytes is None or self.tx_bytes is None:
            return None
        return self.rx_bytes + self.tx_bytes

    def formatted(self):
        """The figures as lxc-info prints them: {'cpu_use': '0.67 seconds', ...}."""
        return {
            "cpu_use": humanize_cpu_ns(self.cpu_ns),
            "memory_use": humanize_bytes(self.memory_bytes),
            "kmem_use": humanize_bytes(self.kmem_bytes),
            "blkio_use": humanize_bytes(self.blkio_bytes),
            "rx_bytes": humanize_bytes(self.rx_bytes),
            "tx_bytes": humanize_bytes(self.tx_bytes),
            "total_bytes": humanize_bytes(self.total_bytes),
        }


@dataclass(frozen=True)
class Usage:
    """A running container's counters at one moment, for the metrics sampler and /metrics (issue
    13). Counters only grow while it runs (rates are drawn from them); None where the engine or
    host cannot tell. Network bytes are from the container's point of view (rx = received by it)."""

    name: str
    cpu_ns: int | None
    memory_bytes: int | None
    swap_bytes: int | None
    rx_bytes: int | None
    tx_bytes: int | None
    blkio_read_bytes: int | None
    blkio_write_bytes: int | None


@dataclass(frozen=True)
class HostUsage:
    """The host's figures at one moment: load averages, CPU time counters (all CPUs, in
    nanoseconds: busy = not idle or iowait), memory, and the filesystem holding the lxcpath."""

    load1: float
    load5: float
    load15: float
    cpus: int
    cpu_busy_ns: int
    cpu_total_ns: int
    memory_total_bytes: int
    memory_used_bytes: int  # total less MemAvailable, as `free` reports "used"
    swap_total_bytes: int
    swap_used_bytes: int
    disk_total_bytes: int
    disk_used_bytes: int


@dataclass(frozen=True)
class Snapshot:
    """A saved state of a container, as its engine keeps it."""

    name: str  # snap0, snap1... (the engine names them)
    comment: str
    created: str  # ISO 8601, as the engine recorded it (liblxc: the host's local time)
    size_bytes: int | None = None  # None where the backing store cannot tell cheaply


@dataclass(frozen=True)
class ContainerSettings:
    """The settings users edit. Sizes in bytes; None means "no limit" / unset."""

    memory_limit: int | None = None
    swap_limit: int | None = None  # swap allowed on top of memory_limit
    cpuset: str = ""
    cpu_shares: int | None = None  # cgroup v1 scale (2..262144); mapped to cpu.weight on v2
    autostart: bool = False
    start_delay: int = 0
    start_order: int = 0
    network_link: str = ""


@dataclass(frozen=True)
class SettingsResult:
    settings: ContainerSettings
    changed: list[str] = field(default_factory=list)
    restart_needed: bool = False


@dataclass(frozen=True)
class HostInfo:
    hostname: str
    kernel: str
    lxc_version: str | None  # the engine's version
    cgroup_version: int
    cpus: int
    load: tuple[float, float, float]
    memory_total: int
    memory_used: int
    uptime_seconds: int
    lxcpath: str | None  # where the engine keeps containers, on the filesystem disk_* measure
    disk_total: int
    disk_used: int
    disk_free: int


@dataclass(frozen=True)
class CreateResult:
    name: str
    output: str  # the tail of the template's or clone's output


# ----- host checks: what a host needs for containers, each with a hint to fix it ---------

OK, WARNING, MISSING = "ok", "warning", "missing"


@dataclass(frozen=True)
class Check:
    name: str
    status: str
    detail: str
    hint: str = ""

    @property
    def ok(self):
        return self.status == OK


@dataclass(frozen=True)
class CheckGroup:
    title: str
    checks: list

    @property
    def status(self):
        statuses = {c.status for c in self.checks}
        return MISSING if MISSING in statuses else WARNING if WARNING in statuses else OK


@dataclass(frozen=True)
class BackupArchive:
    """What export_backup wrote: the file's size and SHA-256, and what it holds."""

    size_bytes: int  # of the compressed file
    sha256: str  # hex, of the compressed file
    source_bytes: int  # of the uncompressed tar stream
    manifest: dict  # as stored in the archive's lwp-backup.json
