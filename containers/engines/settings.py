"""The rules of the settings users edit (ContainerSettings), the same for every engine.

An engine hands validate() the facts of its host (a HostLimits): which CPUs are
online, which bridges exist, whether swap can be limited.
"""

import re
from typing import Protocol

from lwp.exceptions import InvalidInput
from lwp.flags import parse_flag

MIN_MEMORY = 16 << 20  # below this a busybox container cannot even start
MAX_DELAY = 86400
CPU_SHARES_RANGE = (2, 262144)

EDITABLE = ("memory_limit", "swap_limit", "cpuset", "cpu_shares", "autostart",
            "start_delay", "start_order", "network_link")
# What a running container's change takes effect without a restart (they matter at boot only).
APPLIED_WITHOUT_RESTART = ("autostart", "start_delay", "start_order")

# A Linux interface name as LWP accepts it (IFNAMSIZ: 15 characters). Checked before the value
# reaches the config file, where a newline would start a key of its own.
_INTERFACE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,14}")
_SIZE = re.compile(r"^\s*(\d+)\s*([kmgt]?)i?b?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}
_CPU_LIST = re.compile(r"^\d+(-\d+)?(,\d+(-\d+)?)*$")


class HostLimits(Protocol):
    """What validate() asks of the host that will run the container."""

    def swap_accounting_available(self) -> bool: ...

    def swap_needs_memory_limit(self) -> bool:
        """True where swap is limited on top of memory (cgroup v1)."""

    def online_cpus(self) -> set[int]: ...

    def cpuset_available(self) -> bool: ...

    def is_bridge(self, interface: str) -> bool: ...


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


def is_interface_name(text):
    """True for a Linux interface name as LWP accepts it (also in a restored backup's config)."""
    return isinstance(text, str) and bool(_INTERFACE_NAME.fullmatch(text))


def _as_int(value, field, errors, low, high):
    try:
        number = int(str(value).strip()) if not isinstance(value, bool) else None
    except (TypeError, ValueError):
        number = None
    if number is None or not low <= number <= high:
        errors[field] = f"must be a whole number from {low} to {high}"
        return None
    return number


def parse_cpu_list(text):
    """'0-2,5' -> {0, 1, 2, 5}; ValueError when it is not a cpuset list."""
    if not _CPU_LIST.fullmatch(text):
        raise ValueError(f"{text!r} is not a CPU list such as 0-1,3")
    cpus = set()
    for part in text.split(","):
        first, _, last = part.partition("-")
        low, high = int(first), int(last or first)
        if high < low or high > 4096:
            raise ValueError(f"{part!r} is not a valid CPU range")
        cpus.update(range(low, high + 1))
    return cpus


def validate(changes, *, current, host):
    """Check requested changes against `host` (a HostLimits); return them normalised or raise
    InvalidInput naming every bad field.

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
        elif host.swap_needs_memory_limit() and memory is None:
            errors["swap_limit"] = "set a memory limit too: on cgroup v1 swap is limited on top of it"
    if "cpuset" in changes:
        text = str(changes["cpuset"] or "").strip()
        if text:
            try:
                missing = parse_cpu_list(text) - host.online_cpus()
                if missing:
                    errors["cpuset"] = f"CPU {min(missing)} is not online on this host"
            except ValueError as exc:
                errors["cpuset"] = str(exc)
            if not host.cpuset_available():
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
        if not is_interface_name(link):
            errors["network_link"] = (f"{link[:40]!r} is not an interface name (1 to 15 letters, digits, "
                                      "'.', '_' or '-', starting with a letter or digit)")
        elif not host.is_bridge(link):
            errors["network_link"] = f"{link!r} is not a bridge on this host"
        clean["network_link"] = link
    if errors:
        raise InvalidInput("invalid settings: " + "; ".join(f"{k} {v}" for k, v in errors.items()),
                           fields=errors)
    return clean
