"""What a restored backup's LXC config may hold, and how it is made the new container's.

A backup's config comes from whoever uploads the archive, and liblxc runs as root what a
config says (hooks), mounts the host paths it names and loads the profiles it picks. So for
a user who is not a superuser (trusted=False) every line must be blank, a comment, or a key
of ALLOWED with a value its rule accepts. ALLOWED is what the vetted templates write (busybox,
download), LXC's defaults (/etc/lxc/default.conf) and the settings LWP edits
(settings_keys); anything else is InvalidArchive naming the key: hooks (lxc.hook.*), host
files (lxc.mount.fstab, lxc.console.logfile, lxc.seccomp.profile, lxc.include of any file but
LXC's common.conf), a bind mount of another host path than the busybox template's read-only
library dirs, lxc.apparmor.profile other than `generated`, lxc.idmap, a network type other
than veth or empty, lxc.net.N.veth.pair...

Whoever restores (superusers too): lxc.rootfs.path and lxc.uts.name are rewritten for the
new container, and lxc.net.N.hwaddr lines are dropped so a copy does not clash with its
original on the network (liblxc then gives the interface a new address).

Lines are read as liblxc reads them: split at "\\n" only, blanks and tabs trimmed, a value's
surrounding quotes removed; any other control character is refused outright.
"""

import re

from containers.engines.lxc import settings_keys
from containers.engines.settings import is_interface_name, parse_cpu_list, parse_size
from lwp.exceptions import InvalidArchive

ROOTFS_KEY = "lxc.rootfs.path"
UTS_KEY = "lxc.uts.name"
_HWADDR = re.compile(r"lxc\.net\.\d+\.hwaddr")
_NET_KEY = re.compile(r"lxc\.net\.([0-9]|[1-5][0-9]|6[0-3])\.(?P<item>[a-z.]+)")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_RELATIVE_PATH = re.compile(r"[A-Za-z0-9_.+-]+(/[A-Za-z0-9_.+-]+)*")


# ----- value rules ------------------------------------------------------------------------------


def _one_of(*choices):
    return lambda value: value in choices


def _integer(low, high):
    return lambda value: bool(re.fullmatch(r"-?\d{1,9}", value)) and low <= int(value) <= high


def _size(value):
    try:
        parse_size(value)
    except ValueError:
        return False
    return True


def _cpu_list(value):
    try:
        parse_cpu_list(value)
    except ValueError:
        return False
    return True


def _tokens(allowed):
    """A space-separated list of `allowed` words."""
    return lambda value: bool(value.split()) and set(value.split()) <= allowed


_SIGNAL = re.compile(r"SIG[A-Z0-9]{2,8}([+-]\d{1,2})?|\d{1,2}")
# Capabilities a container may drop (dropping only takes power away): names as capabilities(7) has them.
_CAPABILITY = re.compile(r"[a-z_]{2,24}")
# lxc.mount.auto: proc, sys and cgroup mounted as LXC sets them up by default; never :rw.
MOUNT_AUTO = frozenset({"proc", "proc:mixed", "sys", "sys:ro", "sys:mixed", "cgroup", "cgroup:mixed",
                        "cgroup:ro"})
# lxc.include: LXC's common container config only (nesting.conf, say, weakens AppArmor).
INCLUDES = frozenset({"/usr/share/lxc/config/common.conf"})
ARCHITECTURES = frozenset({"linux64", "linux32", "x86_64", "amd64", "i686", "i386", "arm64", "aarch64", "armhf",
                           "armel", "armv7l", "ppc64le", "s390x", "riscv64"})
# lxc.mount.entry: kernel filesystems mounted afresh (source is a label, not a host path)...
MOUNT_FILESYSTEMS = frozenset({"tmpfs", "mqueue"})
MOUNT_OPTIONS = frozenset({"defaults", "create=dir", "optional", "nosuid", "nodev", "noexec", "rw", "ro"})
# ...and read-only binds of the host dirs the busybox template shares, each at its own place.
HOST_BINDS = frozenset({"/lib", "/usr/lib", "/lib64", "/usr/lib64", "/sys/kernel/security"})
BIND_OPTIONS = frozenset({"ro", "bind", "optional"})


def _mount_entry(value):
    """An fstab line (source, target, type, options, dump, pass) from the two kinds above."""
    fields = value.split()
    if len(fields) != 6 or fields[4:] != ["0", "0"]:
        return False
    source, target, kind, options = fields[0], fields[1], fields[2], set(fields[3].split(","))
    if not _RELATIVE_PATH.fullmatch(target) or ".." in target.split("/"):
        return False
    if kind in MOUNT_FILESYSTEMS:
        return (source == kind or (source, kind) == ("shm", "tmpfs")) and options <= MOUNT_OPTIONS
    return (kind == "none" and source in HOST_BINDS and target == source.lstrip("/")
            and {"ro", "bind"} <= options <= BIND_OPTIONS)


def _any(value):
    return True


# Every key a restored config may set for a user who is not a superuser, with its value's rule.
ALLOWED = {
    ROOTFS_KEY: _any,  # rewritten to the new container's own
    UTS_KEY: _any,  # rewritten to the new name
    "lxc.include": lambda value: value in INCLUDES,
    "lxc.arch": lambda value: value in ARCHITECTURES,
    "lxc.apparmor.profile": _one_of("generated"),
    "lxc.apparmor.allow_nesting": _one_of("0", "1"),
    "lxc.signal.halt": _SIGNAL.fullmatch,
    "lxc.signal.reboot": _SIGNAL.fullmatch,
    "lxc.signal.stop": _SIGNAL.fullmatch,
    "lxc.autodev": _one_of("0", "1"),
    "lxc.tty.max": _integer(0, 64),
    "lxc.pty.max": _integer(0, 4096),
    "lxc.cap.drop": lambda value: bool(value.split()) and all(_CAPABILITY.fullmatch(c) for c in value.split()),
    "lxc.mount.auto": _tokens(MOUNT_AUTO),
    "lxc.mount.entry": _mount_entry,
    settings_keys.AUTOSTART: _one_of("0", "1"),
    settings_keys.START_DELAY: _integer(0, 86400),
    settings_keys.START_ORDER: _integer(-86400, 86400),
}
for _keys in settings_keys.KEYS.values():
    for _setting, _key in _keys.items():
        ALLOWED[_key] = _cpu_list if _setting == "cpuset" else \
            _integer(1, 262144) if _setting in ("cpu_shares", "cpu_weight") else _size
# lxc.net.N.<item>: a veth on a bridge (or no network), as LWP's settings and the templates write it.
NETWORK_ITEMS = {
    "type": _one_of("veth", "empty"),
    "link": is_interface_name,
    "flags": _one_of("up"),
    "name": is_interface_name,
    "mtu": _integer(68, 65535),
}


def _rule(key):
    if key in ALLOWED:
        return ALLOWED[key]
    network = _NET_KEY.fullmatch(key)
    return NETWORK_ITEMS.get(network.group("item")) if network else None


# ----- reading ---------------------------------------------------------------------------------


def _split(line):
    """(key, value) of a config line, or None for a blank or comment line (as liblxc reads it)."""
    text = line.strip(" \t")
    if not text or text.startswith("#"):
        return None
    key, equals, value = text.partition("=")
    if not equals:
        return key.strip(" \t"), None
    value = value.strip(" \t")
    if len(value) > 1 and value[0] in "'\"" and value[-1] == value[0]:
        value = value[1:-1]
    return key.strip(" \t"), value


def items(text):
    """The (key, value) pairs the config `text` sets, in order."""
    return [parsed for parsed in map(_split, text.split("\n")) if parsed and parsed[1] is not None]


class ConfigItems:
    """A config's text as the get_config_item() of a liblxc container, for container_ops.read_settings."""

    def __init__(self, text):
        self.values = dict(items(text))

    def get_config_item(self, key):
        return self.values.get(key, "")


def check(text, *, trusted):
    """InvalidArchive unless the backup's config `text` may be restored by this user."""
    for number, line in enumerate(text.split("\n"), 1):
        if _CONTROL.search(line):
            raise InvalidArchive(f"the backup's config has a control character on line {number}")
        parsed = _split(line)
        if parsed is None or trusted:
            continue
        key, value = parsed
        rule = _rule(key)
        if value is None:
            raise InvalidArchive(f"the backup's config line {number} is not `key = value`")
        if _HWADDR.fullmatch(key):
            continue  # dropped on restore
        if rule is None:
            raise InvalidArchive(f"the backup's config sets {key[:80]}, which only a superuser may restore")
        if not rule(value):
            raise InvalidArchive(f"the backup's config sets {key} = {value[:120]!r}, which only a superuser "
                                 "may restore")


def rewrite(text, *, name, rootfs):
    """The config for the new container `name` with its rootfs at the dir `rootfs`."""
    lines, placed = [], set()
    wanted = {ROOTFS_KEY: f"dir:{rootfs}", UTS_KEY: name}
    for line in text.split("\n"):
        parsed = _split(line)
        key = parsed[0] if parsed else None
        if key and _HWADDR.fullmatch(key):
            continue
        if key in wanted:
            if key not in placed:
                lines.append(f"{key} = {wanted[key]}")
                placed.add(key)
            continue
        lines.append(line)
    while lines and not lines[-1].strip():
        lines.pop()
    lines += [f"{key} = {value}" for key, value in wanted.items() if key not in placed]
    return "\n".join(lines) + "\n"
