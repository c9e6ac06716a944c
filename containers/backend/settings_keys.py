"""The LXC config keys behind the settings users edit, for the host's cgroup version.

LWP's old editor wrote LXC 1.x keys (lxc.network.*, lxc.cgroup.* on any host) and
left containers unable to start on LXC 5. These are the LXC 5 keys: lxc.cgroup.*
on a cgroup v1 host, lxc.cgroup2.* on a cgroup v2 host.
"""

import re

from containers.backend import host
from lwp.exceptions import InvalidInput
from lwp.flags import parse_flag

MIN_MEMORY = 16 << 20  # below this a busybox container cannot even start
MAX_DELAY = 86400
CPU_SHARES_RANGE = (2, 262144)

KEYS = {
    1: {
        "memory_limit": "lxc.cgroup.memory.limit_in_bytes",
        "memory_and_swap": "lxc.cgroup.memory.memsw.limit_in_bytes",
        "cpuset": "lxc.cgroup.cpuset.cpus",
        "cpu_shares": "lxc.cgroup.cpu.shares",
    },
    2: {
        "memory_limit": "lxc.cgroup2.memory.max",
        "swap_limit": "lxc.cgroup2.memory.swap.max",
        "cpuset": "lxc.cgroup2.cpuset.cpus",
        "cpu_weight": "lxc.cgroup2.cpu.weight",
    },
}
AUTOSTART = "lxc.start.auto"
START_DELAY = "lxc.start.delay"
START_ORDER = "lxc.start.order"
NETWORK_LINK = "lxc.net.0.link"

EDITABLE = ("memory_limit", "swap_limit", "cpuset", "cpu_shares", "autostart",
            "start_delay", "start_order", "network_link")

# A Linux interface name as LWP accepts it (IFNAMSIZ: 15 characters). Checked before the value
# reaches the config file, where a newline would start a key of its own.
_INTERFACE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,14}")
_SIZE = re.compile(r"^\s*(\d+)\s*([kmgt]?)i?b?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}


def parse_size(value):
    """'512M', '1G', '1048576' -> bytes; '', None, 'max', '-1' -> None (no limit)."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError("a size is a number of bytes or a number with K, M, G or T")
    if isinstance(value, int):
        if value < 0:
            raise ValueError("a size cannot be negative")
        return value
    text = str(value).strip()
    if text.lower() in ("", "max", "-1"):
        return None
    match = _SIZE.match(text)
    if not match:
        raise ValueError(f"{text!r} is not a size such as 512M or 2G")
    return int(match.group(1)) * _UNITS[match.group(2).lower()]


def shares_to_weight(shares):
    """cgroup v1 cpu.shares (2..262144) -> v2 cpu.weight (1..10000), as runc maps it."""
    return 1 + ((shares - 2) * 9999) // 262142


def weight_to_shares(weight):
    return 2 + ((weight - 1) * 262142) // 9999


def _as_int(value, field, errors, low, high):
    try:
        number = int(str(value).strip()) if not isinstance(value, bool) else None
    except (TypeError, ValueError):
        number = None
    if number is None or not low <= number <= high:
        errors[field] = f"must be a whole number from {low} to {high}"
        return None
    return number


def validate(changes, *, current):
    """Check requested changes against this host; return them normalised or raise InvalidInput.

    `current` is the container's ContainerSettings, for checks that span two settings.
    """
    errors = {}
    clean = {}
    unknown = set(changes) - set(EDITABLE)
    for field in sorted(unknown):
        errors[field] = "is not a setting LWP can change"
    for field in ("memory_limit", "swap_limit"):
        if field in changes:
            try:
                clean[field] = parse_size(changes[field])
            except ValueError as exc:
                errors[field] = str(exc)
    memory = clean.get("memory_limit", current.memory_limit)
    if "memory_limit" in clean and memory is not None and memory < MIN_MEMORY:
        errors["memory_limit"] = f"must be at least {MIN_MEMORY >> 20}M for the container to start"
    if clean.get("swap_limit") is not None:
        if not host.swap_accounting_available():
            errors["swap_limit"] = "this host's kernel does not account swap (no memsw / memory.swap.max)"
        elif host.cgroup_version() == 1 and memory is None:
            errors["swap_limit"] = "set a memory limit too: on cgroup v1 swap is limited on top of it"
    if "cpuset" in changes:
        text = str(changes["cpuset"] or "").strip()
        if text:
            try:
                missing = host.parse_cpu_list(text) - host.online_cpus()
                if missing:
                    errors["cpuset"] = f"CPU {min(missing)} is not online on this host"
            except ValueError as exc:
                errors["cpuset"] = str(exc)
            if not host.controller_available("cpuset"):
                errors["cpuset"] = "this host has no cpuset cgroup controller"
        clean["cpuset"] = text
    if "cpu_shares" in changes:
        raw = changes["cpu_shares"]
        clean["cpu_shares"] = None if raw in (None, "") else _as_int(raw, "cpu_shares", errors, *CPU_SHARES_RANGE)
    if "autostart" in changes:
        try:
            clean["autostart"] = parse_flag(changes["autostart"])
        except ValueError:
            errors["autostart"] = "must be true or false"
    for field in ("start_delay", "start_order"):
        if field in changes:
            clean[field] = _as_int(changes[field], field, errors, 0, MAX_DELAY)
    if "network_link" in changes:
        link = str(changes["network_link"] or "").strip()
        if not _INTERFACE_NAME.fullmatch(link):
            errors["network_link"] = (f"{link[:40]!r} is not an interface name (1 to 15 letters, digits, "
                                      "'.', '_' or '-', starting with a letter or digit)")
        elif not host.is_bridge(link):
            errors["network_link"] = f"{link!r} is not a bridge on this host"
        clean["network_link"] = link
    if errors:
        raise InvalidInput("invalid settings: " + "; ".join(f"{k} {v}" for k, v in errors.items()),
                           fields=errors)
    return clean


def config_items(settings, cgroup_version):
    """The (key, value-or-None) pairs that store `settings`; None clears the key."""
    keys = KEYS[cgroup_version]
    memory, swap = settings.memory_limit, settings.swap_limit
    items = [(keys["memory_limit"], str(memory) if memory is not None else None)]
    if cgroup_version == 1:
        total = memory + swap if memory is not None and swap is not None else None
        items.append((keys["memory_and_swap"], str(total) if total is not None else None))
        items.append((keys["cpu_shares"], str(settings.cpu_shares) if settings.cpu_shares else None))
    else:
        items.append((keys["swap_limit"], str(swap) if swap is not None else None))
        weight = shares_to_weight(settings.cpu_shares) if settings.cpu_shares else None
        items.append((keys["cpu_weight"], str(weight) if weight else None))
    items.append((keys["cpuset"], settings.cpuset or None))
    items += [
        (AUTOSTART, "1" if settings.autostart else "0"),
        (START_DELAY, str(settings.start_delay)),
        (START_ORDER, str(settings.start_order)),
    ]
    if settings.network_link:
        items.append((NETWORK_LINK, settings.network_link))
    return items
