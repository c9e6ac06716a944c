"""The host page's checks for a liblxc host: what lxc-checkconfig checks that matters to the panel.

Built on the engine's own probes (host.py); read from /proc and /sys only: no liblxc, no command. Each check says ok, warning
(the panel works, a feature does not) or missing (containers cannot run as set up),
with a hint to fix it.
"""

from pathlib import Path

from containers.engines.lxc import host
from containers.engines.types import MISSING, OK, WARNING, Check, CheckGroup

LXC_BRIDGE = "lxcbr0"  # the bridge lxc-net brings up and /etc/lxc/default.conf links to
PROC = Path("/proc")
SYS = Path("/sys")
CGROUP_ROOT = host.CGROUP_ROOT
IFF_UP = 0x1

NAMESPACES = (
    ("uts", "UTS (hostname)", "CONFIG_UTS_NS"),
    ("ipc", "IPC", "CONFIG_IPC_NS"),
    ("pid", "PID", "CONFIG_PID_NS"),
    ("net", "network", "CONFIG_NET_NS"),
    ("mnt", "mount", "the mount namespace"),
    ("user", "user", "CONFIG_USER_NS"),
    ("cgroup", "cgroup", "CONFIG_CGROUPS"),
)
# Controllers the panel's settings and actions use: memory/cpu/cpuset limits, freeze, pids.
CONTROLLERS = {1: ("memory", "cpu", "cpuset", "pids", "devices", "freezer"),
               2: ("memory", "cpu", "cpuset", "pids")}


def _read(path):
    try:
        return Path(path).read_text()
    except OSError:
        return None


def enabled_controllers(version):
    if version == 2:
        return set((_read(CGROUP_ROOT / "cgroup.controllers") or "").split())
    enabled = set()
    for line in (_read(PROC / "cgroups") or "").splitlines()[1:]:
        fields = line.split()
        if len(fields) == 4 and fields[3] == "1":
            enabled.add(fields[0])
    return enabled


def check_namespaces():
    checks = []
    for short, label, config in NAMESPACES:
        present = (PROC / "self" / "ns" / short).exists()
        checks.append(Check(f"{label} namespace", OK if present else MISSING,
                            "available" if present else "not in this kernel",
                            "" if present else f"use a kernel built with {config}"))
    limit = (_read(PROC / "sys" / "user" / "max_user_namespaces") or "").strip()
    if limit == "0":
        checks.append(Check("user namespaces allowed", WARNING, "user.max_user_namespaces is 0",
                            "only unprivileged containers need them: sysctl user.max_user_namespaces=15000"))
    return CheckGroup("Namespaces", checks)


def check_cgroups():
    version = host.cgroup_version()
    mounted = (CGROUP_ROOT / ("cgroup.controllers" if version == 2 else "")).exists()
    checks = [Check("cgroup hierarchy", OK if mounted else MISSING,
                    f"cgroup v{version} at {CGROUP_ROOT}" + ("" if version == 2 else " (legacy or hybrid)"),
                    "" if mounted else "mount the cgroup filesystem (systemd does this at boot)")]
    enabled = enabled_controllers(version)
    for controller in CONTROLLERS[version]:
        present = controller in enabled
        checks.append(Check(f"{controller} controller", OK if present else MISSING,
                            "enabled" if present else "not enabled",
                            "" if present else f"boot with cgroup_enable={controller}"))
    if version == 2:
        freeze = any(CGROUP_ROOT.glob("*/cgroup.freeze"))
        checks.append(Check("freezer", OK if freeze else WARNING,
                            "cgroup.freeze available" if freeze else "no cgroup.freeze found",
                            "" if freeze else "freeze needs kernel 5.2 or later"))
    swap = host.swap_accounting_available()
    checks.append(Check("swap accounting", OK if swap else WARNING,
                        "swap limits can be set" if swap else "the swap limit setting is unavailable",
                        "" if swap else "boot with swapaccount=1 (GRUB_CMDLINE_LINUX in /etc/default/grub)"))
    return CheckGroup("Control groups", checks)


def _interface_up(name):
    try:
        return int((_read(SYS / "class" / "net" / name / "flags") or "0").strip(), 16) & IFF_UP
    except ValueError:
        return False


def _has_route(name):
    return any(line.split()[:1] == [name] for line in (_read(PROC / "net" / "route") or "").splitlines())


def check_bridge(bridge=LXC_BRIDGE):
    exists = host.is_bridge(bridge)
    fix = "systemctl start lxc-net (or sh bin/lwp-run, which brings it up)"
    checks = [Check(f"bridge {bridge}", OK if exists else MISSING,
                    "exists" if exists else "no such bridge", "" if exists else fix)]
    if exists:
        up = _interface_up(bridge)
        checks.append(Check(f"{bridge} is up", OK if up else MISSING, "up" if up else "down",
                            "" if up else f"ip link set {bridge} up"))
        routed = _has_route(bridge)
        checks.append(Check(f"{bridge} has an address", OK if routed else WARNING,
                            "has an IPv4 route" if routed else "no IPv4 address",
                            "" if routed else "lxc-net gives it LXC_ADDR from /etc/default/lxc-net"))
    veth = (SYS / "module" / "veth").exists()
    checks.append(Check("veth", OK if veth else WARNING, "loaded" if veth else "not loaded yet",
                        "" if veth else "the kernel loads it on the first container start (modprobe veth)"))
    forward = (_read(PROC / "sys" / "net" / "ipv4" / "ip_forward") or "").strip() == "1"
    checks.append(Check("IPv4 forwarding", OK if forward else WARNING,
                        "on" if forward else "off: containers cannot reach beyond the host",
                        "" if forward else "lxc-net turns it on; or sysctl net.ipv4.ip_forward=1"))
    return CheckGroup("Network bridge", checks)


def _dnsmasq_serving(bridge):
    """Whether a dnsmasq process was started for this bridge (as lxc-net starts it)."""
    for proc in PROC.iterdir():
        if not proc.name.isdigit():
            continue
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if argv and argv[0].endswith(b"dnsmasq") and any(bridge.encode() in arg for arg in argv[1:]):
            return True
    return False


def check_lxc_net(bridge=LXC_BRIDGE):
    serving = _dnsmasq_serving(bridge)
    checks = [Check("DHCP on the bridge (lxc-net's dnsmasq)", OK if serving else MISSING,
                    "running" if serving else f"no dnsmasq for {bridge}",
                    "" if serving else "systemctl enable --now lxc-net (USE_LXC_BRIDGE=\"true\" "
                                       "in /etc/default/lxc-net); containers get no address without it")]
    return CheckGroup("lxc-net", checks)


def check_misc():
    status = _read(PROC / "self" / "status") or ""
    seccomp = "Seccomp:" in status
    caps = (PROC / "sys" / "kernel" / "cap_last_cap").exists()
    overlay = host.overlay_available()
    return CheckGroup("Kernel features", [
        Check("seccomp", OK if seccomp else WARNING, "available" if seccomp else "not in this kernel",
              "" if seccomp else "LXC's default seccomp policy needs CONFIG_SECCOMP"),
        Check("capabilities", OK if caps else MISSING, "available" if caps else "not reported",
              "" if caps else "use a kernel with file capabilities"),
        Check("overlay filesystem", OK if overlay else WARNING,
              "overlay clones possible" if overlay else "overlay clones unavailable",
              "" if overlay else "modprobe overlay"),
    ])


def run_checks(bridge=LXC_BRIDGE):
    return [check_namespaces(), check_cgroups(), check_bridge(bridge), check_lxc_net(bridge), check_misc()]
