"""Operations on one liblxc container, run inside the guarded child (see deadline.py).

Each takes a python3-lxc Container (already opened and checked by LXCEngine),
checks every boolean liblxc returns, and raises the typed errors of
lwp.exceptions; LXCEngine in engine.py decides locks and deadlines.
"""

import contextlib
import os
import tempfile
import time

from containers.engines.base import require_action
from containers.engines.lxc import settings_keys
from containers.engines.settings import parse_size
from containers.engines.types import ContainerInfo, ContainerSettings, NetworkInterface, Snapshot
from containers.vocabulary import ACTIVE_STATES
from lwp.exceptions import InvalidInput, InvalidState, LXCError, SnapshotNotFound

FREEZE_TIMEOUT = 15
WAIT_STATE_TIMEOUT = 10


def _wait_for(container, state):
    if not container.wait(state, WAIT_STATE_TIMEOUT):
        raise LXCError(f"container {container.name!r} did not reach {state} "
                       f"(it is {container.state})")


def start_container(lxc, container):
    require_action(container.name, container.state, "start")
    with tempfile.NamedTemporaryFile(prefix="lwp-start-", suffix=".log") as log:
        # liblxc says why a start failed only in its log: point it (in memory, never saved) at ours.
        container.set_config_item("lxc.log.file", log.name)
        container.set_config_item("lxc.log.level", "ERROR")
        # close_fds: the monitor must not inherit the web server's listening socket.
        if not container.start(useinit=False, daemonize=True, close_fds=True):
            reason = telling_line(log.read().decode("utf-8", "replace"))
            raise LXCError(f"liblxc could not start {container.name!r}" + (f": {reason}" if reason else ""))
    _wait_for(container, "RUNNING")
    return container.state


def telling_line(output):
    """The line of liblxc's log or a template's output that says why, for an error message.

    liblxc's first ERROR (the cause; later ones are consequences), else the first line that
    mentions an error, else the last line; without liblxc's timestamp and source location.
    """
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    chosen = (next((line for line in lines if " ERROR " in line), None)
              or next((line for line in lines if "error" in line.lower()), None)
              or (lines[-1] if lines else ""))
    return chosen.split(" - ")[-1].strip()[:300]


def stop_container(container, grace, force):
    state = container.state
    require_action(container.name, state, "stop")
    if state == "FROZEN" and not container.unfreeze():
        raise LXCError(f"liblxc could not unfreeze {container.name!r} to stop it")
    # shutdown(-1) would wait for ever and shutdown(0) does not wait at all: grace is
    # always a whole number of seconds >= 1 here.
    if not force and grace > 0 and container.shutdown(grace):
        _wait_for(container, "STOPPED")
        return container.state
    if container.state != "STOPPED" and not container.stop():
        raise LXCError(f"liblxc could not stop {container.name!r}")
    _wait_for(container, "STOPPED")
    return container.state


def freeze_container(container, version):
    require_action(container.name, container.state, "freeze")
    if version == 1:
        _freeze_v1(container)
    # On v1 the cgroup is frozen by now: liblxc finds it so at once and tells the
    # monitor, whose state is what every reader sees.
    if not container.freeze():
        raise LXCError(f"liblxc could not freeze {container.name!r}")
    _wait_for(container, "FROZEN")
    return container.state


def _freeze_v1(container):
    """Freeze the v1 freezer cgroup, asking again until every task is frozen.

    liblxc writes FROZEN once and then polls for ever: a task that is forking at
    that moment leaves the cgroup FREEZING until FROZEN is written again, and the
    container half frozen. Here FROZEN is rewritten each second, and a container
    that still cannot be frozen is thawed back rather than left half frozen.
    """
    deadline = time.monotonic() + FREEZE_TIMEOUT - 5
    while time.monotonic() < deadline:
        if not container.set_cgroup_item("freezer.state", "FROZEN"):
            raise LXCError(f"liblxc could not freeze {container.name!r}")
        if wait_until(lambda: cgroup_value(container, "freezer.state") == "FROZEN", 1, 0.02):
            return
    container.set_cgroup_item("freezer.state", "THAWED")
    raise LXCError(f"container {container.name!r} could not be frozen (a task would not stop); "
                   "it was left running")


def unfreeze_container(lxc, container):
    require_action(container.name, container.state, "unfreeze")
    if not container.unfreeze():
        raise LXCError(f"liblxc could not unfreeze {container.name!r}")
    _wait_for(container, "RUNNING")
    return container.state


def dependent_clones(container):
    """Names of the overlay clones made from this container, from liblxc's own record.

    lxc_snapshots holds an lxcpath line and a name line per clone still depending on it.
    """
    record = os.path.join(os.path.dirname(container.config_file_name), "lxc_snapshots")
    try:
        with open(record) as fh:
            lines = [line.strip() for line in fh if line.strip()]
    except OSError:
        return []
    return lines[1::2]


def config_item(container, key):
    """A config value as one string; '' when unset or not a key liblxc knows."""
    try:
        value = container.get_config_item(key)
    except KeyError:
        return ""
    if isinstance(value, list):
        return value[-1] if value else ""
    return value or ""


def _running_item(container, key):
    try:
        return container.get_running_config_item(key) or ""
    except KeyError:
        return ""


def cgroup_value(container, key):
    """A cgroup file's content, or None when this host or container cannot give it."""
    try:
        value = container.get_cgroup_item(key)
    except (KeyError, ValueError):
        return None
    return value if isinstance(value, str) else None  # python3-lxc says False on failure


def int_or_none(text):
    try:
        return int(str(text).strip())
    except (TypeError, ValueError):
        return None


def _cpu_ns(container, version):
    if version == 1:
        return int_or_none(cgroup_value(container, "cpuacct.usage"))
    for line in (cgroup_value(container, "cpu.stat") or "").splitlines():
        key, _, value = line.partition(" ")
        if key == "usage_usec" and value.strip().isdigit():
            return int(value) * 1000
    return None


def _blkio_bytes(container, version):
    if version == 1:
        # The last line of io_service_bytes is "Total N", the figure lxc-info prints.
        lines = (cgroup_value(container, "blkio.throttle.io_service_bytes") or "").split("\n")
        last = next((line for line in reversed(lines) if line.strip()), "")
        return int_or_none(last[6:]) if last.startswith("Total") else None
    text = cgroup_value(container, "io.stat")
    if text is None:
        return None
    total = 0
    for field in text.split():
        key, _, value = field.partition("=")
        if key in ("rbytes", "wbytes") and value.isdigit():
            total += int(value)
    return total


def _interfaces(container, running):
    found = []
    item = _running_item if running else config_item
    for index in range(64):
        kind = item(container, f"lxc.net.{index}.type")
        if not kind:
            break
        link = config_item(container, f"lxc.net.{index}.link")
        host_side = ""
        if running:
            host_side = item(container, f"lxc.net.{index}.veth.pair" if kind == "veth"
                             else f"lxc.net.{index}.link")
        found.append(NetworkInterface(index=index, type=kind, link=link, host_interface=host_side))
    return found


def running_interfaces(container):
    """A running container's interfaces with their host side (its monitor's running config)."""
    return _interfaces(container, True)


def _read_counter(interface, counter):
    if not interface or "/" in interface:
        return None
    try:
        with open(f"/sys/class/net/{interface}/statistics/{counter}") as fh:
            return int(fh.read().strip())
    except (OSError, ValueError):
        return None


def _traffic(interfaces):
    """(rx, tx) from the container's point of view: the host veth's tx is what it received."""
    rx = tx = None
    for interface in interfaces:
        received = _read_counter(interface.host_interface, "tx_bytes")
        sent = _read_counter(interface.host_interface, "rx_bytes")
        if received is not None and sent is not None:
            rx = (rx or 0) + received
            tx = (tx or 0) + sent
    return rx, tx


def gather_info(container, version):
    state = container.state
    running = state in ACTIVE_STATES
    pid = container.init_pid if running else None
    ips = list(container.get_ips() or ()) if running else []
    interfaces = _interfaces(container, running)
    rx, tx = _traffic(interfaces) if running else (None, None)
    return ContainerInfo(
        name=container.name, state=state, pid=pid if pid and pid > 0 else None, ips=ips,
        interfaces=interfaces,
        cpu_ns=_cpu_ns(container, version) if running else None,
        memory_bytes=int_or_none(cgroup_value(container, "memory.usage_in_bytes" if version == 1
                                                 else "memory.current")) if running else None,
        kmem_bytes=int_or_none(cgroup_value(container, "memory.kmem.usage_in_bytes"))
        if running and version == 1 else None,
        blkio_bytes=_blkio_bytes(container, version) if running else None,
        rx_bytes=rx, tx_bytes=tx, cgroup_version=version,
    )


def _size_or_none(text):
    try:
        return parse_size(text)
    except ValueError:
        return None


def read_settings(container, version):
    keys = settings_keys.KEYS[version]
    memory = _size_or_none(config_item(container, keys["memory_limit"]))
    if version == 1:
        total = _size_or_none(config_item(container, keys["memory_and_swap"]))
        swap = total - memory if total is not None and memory is not None and total >= memory else None
        shares = int_or_none(config_item(container, keys["cpu_shares"]))
    else:
        swap = _size_or_none(config_item(container, keys["swap_limit"]))
        weight = int_or_none(config_item(container, keys["cpu_weight"]))
        shares = settings_keys.weight_to_shares(weight) if weight else None
    return ContainerSettings(
        memory_limit=memory, swap_limit=swap,
        cpuset=config_item(container, keys["cpuset"]),
        cpu_shares=shares,
        autostart=config_item(container, settings_keys.AUTOSTART).strip() == "1",
        start_delay=int_or_none(config_item(container, settings_keys.START_DELAY)) or 0,
        start_order=int_or_none(config_item(container, settings_keys.START_ORDER)) or 0,
        network_link=config_item(container, settings_keys.NETWORK_LINK),
    )


def write_config_items(container, items):
    for key, value in items:
        with contextlib.suppress(KeyError):
            container.clear_config_item(key)
        if value is not None and not container.set_config_item(key, value):
            raise InvalidInput(f"liblxc refused {key} = {value}", fields={key: "refused by liblxc"})
    if not container.save_config():
        raise LXCError(f"liblxc could not save the config of {container.name!r}")


def wait_until(predicate, timeout, interval=0.05):
    """Poll predicate until true or timeout; returns its last value (a test helper too)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval)


# ----- snapshots ----------------------------------------------------------------------------

_COMMENT_READ_LIMIT = 4096


def snapshot_of(entry):
    """A Snapshot from one of liblxc's snapshot_list() tuples (name, comment file, time, dir)."""
    name, comment_path, timestamp, _ = entry
    comment = ""
    with contextlib.suppress(OSError):
        with open(comment_path, encoding="utf-8", errors="replace") as fh:
            comment = fh.read(_COMMENT_READ_LIMIT).strip()
    # liblxc writes "2026:11:27 09:24:41", the host's local time.
    day, _, clock = timestamp.partition(" ")
    return Snapshot(name=name, comment=comment, created=f"{day.replace(':', '-')}T{clock}")


def snapshots_of(container):
    return [snapshot_of(entry) for entry in container.snapshot_list() or ()]


def take_snapshot(container, comment):
    """Snapshot a STOPPED container (liblxc refuses a running or frozen one on most stores,
    and a copy of a live filesystem would not be consistent); returns the Snapshot."""
    if container.state != "STOPPED":
        raise InvalidState(f"container {container.name!r} is {container.state}: a snapshot is taken of a "
                           "stopped container only (its files must not change during the copy); stop it first")
    if comment:
        with tempfile.NamedTemporaryFile("w", encoding="utf-8", suffix=".comment") as fh:
            fh.write(comment + "\n")
            fh.flush()
            taken = container.snapshot(fh.name)  # liblxc copies the file into the snapshot
    else:
        taken = container.snapshot()
    if not taken:
        raise LXCError(f"liblxc could not snapshot {container.name!r}")
    return next(snapshot for snapshot in snapshots_of(container) if snapshot.name == taken)


def require_snapshot(container, snapshot):
    if snapshot not in {entry[0] for entry in container.snapshot_list() or ()}:
        raise SnapshotNotFound(f"container {container.name!r} has no snapshot {snapshot!r}")
