"""LXCBackend: every liblxc operation LWP performs, with checked results and deadlines.

The only code that imports `lxc` (python3-lxc). Reads of the whole list run in
the web process (one pass over the lxcpath, no process spawned); every other
call runs through guard.run_with_deadline, in a forked child that is killed
when its deadline passes. Results are plain dataclasses from types.py; failures
are the typed exceptions of containers.exceptions.
"""

import contextlib
import dataclasses
import math
import os
import re
import shutil
import time

from containers.backend import host, settings_keys
from containers.backend.guard import ContainerLocks, run_with_deadline
from containers.backend.types import (
    BROKEN, ContainerInfo, ContainerSettings, ContainerSummary, CreateResult, HostInfo,
    NetworkInterface, SettingsResult,
)
from containers.exceptions import (
    ContainerExists, ContainerNotFound, InvalidInput, InvalidName, InvalidState, LXCError,
    LXCTimeout, LXCUnavailable, TemplateFailed,
)

NAME_MAX = 64
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
MAX_TEMPLATE_ARGS = 64
MAX_TEMPLATE_ARG_LENGTH = 4096
CONFIG_TEXT_LIMIT = 256 * 1024

# Deadlines (seconds) of the calls whose duration does not depend on the user.
READ_TIMEOUT = 15
FREEZE_TIMEOUT = 15
START_TIMEOUT = 60
DESTROY_TIMEOUT = 300
CONFIG_TIMEOUT = 15
WAIT_STATE_TIMEOUT = 10
MAX_STOP_TIMEOUT = 3600


def load_lxc():
    """python3-lxc, or LXCUnavailable when the host lacks it."""
    try:
        import lxc  # noqa: PLC0415 - imported on first use, never at Django start-up
    except ImportError as exc:
        raise LXCUnavailable(f"liblxc is not available on this host (python3-lxc: {exc})") from None
    return lxc


def validate_name(name, field="name"):
    """LXC container names as LWP accepts them: also a valid hostname label and file name."""
    if not isinstance(name, str) or not name:
        raise InvalidName(f"{field} is required", fields={field: "is required"})
    # fullmatch: with match(), "$" would also accept a trailing newline ("web\n").
    if len(name) > NAME_MAX or not _NAME.fullmatch(name) or name.endswith("."):
        message = (f"must be 1 to {NAME_MAX} characters: letters, digits, '.', '_' or '-', "
                   "starting with a letter or digit")
        raise InvalidName(f"{field} {name[:80]!r} is not a valid container name: {message}",
                          fields={field: message})
    return name


# Options liblxc itself hands every template. Given again in xargs they would win (getopt keeps
# the last) and point the template at a path outside the lxcpath, e.g. --rootfs=/ as root. GNU
# getopt also accepts any unambiguous prefix (--ro=/), and short options may be clustered (-hp/).
_RESERVED_LONG_OPTIONS = ("path", "name", "rootfs", "mapped-uid", "mapped-gid")
_RESERVED_SHORT_OPTIONS = "pn"


def _sets_reserved_option(arg):
    if arg.startswith("--"):
        option = arg[2:].split("=", 1)[0]
        return bool(option) and any(reserved.startswith(option) for reserved in _RESERVED_LONG_OPTIONS)
    return arg.startswith("-") and any(letter in _RESERVED_SHORT_OPTIONS for letter in arg[1:])


def validate_template_args(args):
    """Template arguments: a list of plain strings, handed to the template as argv."""
    if not isinstance(args, (list, tuple)) or not all(isinstance(a, str) for a in args):
        raise InvalidInput("xargs must be a list of strings", fields={"xargs": "must be a list of strings"})
    if len(args) > MAX_TEMPLATE_ARGS:
        message = f"at most {MAX_TEMPLATE_ARGS} arguments"
        raise InvalidInput(f"xargs: {message}", fields={"xargs": message})
    for arg in args:
        if "\x00" in arg or len(arg) > MAX_TEMPLATE_ARG_LENGTH:
            message = f"each argument must be under {MAX_TEMPLATE_ARG_LENGTH} characters, without NUL"
            raise InvalidInput(f"xargs: {message}", fields={"xargs": message})
        if _sets_reserved_option(arg):
            message = (f"{arg[:40]!r} would override an option LXC sets itself (--path, --name, --rootfs, "
                       "--mapped-uid, --mapped-gid, -p, -n); give a short option's value as its own argument")
            raise InvalidInput(f"xargs: {message}", fields={"xargs": message})
    return list(args)


def _last_error_line(output):
    """The most telling line of liblxc's log output, for an error message."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    errors = [line for line in lines if " ERROR " in line or "error" in line.lower()]
    chosen = (errors or lines or [""])[0 if errors else -1]
    return chosen.split(" - ", 1)[-1][:300]


def _with_reason(error):
    """Append liblxc's own explanation (from its captured log output) to a bare LXCError."""
    if not error.output or isinstance(error, TemplateFailed):
        return error
    reason = _last_error_line(error.output)
    if not reason or reason in error.message:
        return error
    return type(error)(f"{error.message}: {reason}", error.fields, error.output)


class LXCBackend:
    def __init__(self, lxcpath=None, *, lock_dir, templates_dir="/usr/share/lxc/templates",
                 lock_wait=5, create_timeout=900, stop_timeout=30):
        self._lxcpath = lxcpath
        self.templates_dir = templates_dir
        self.lock_dir = str(lock_dir)
        self.lock_wait = lock_wait
        self.create_timeout = create_timeout
        self.stop_timeout = stop_timeout
        self._locks = None

    # ----- plumbing -------------------------------------------------------------------

    @property
    def lxcpath(self):
        if self._lxcpath is None:
            self._lxcpath = load_lxc().default_config_path
        return self._lxcpath

    @property
    def locks(self):
        if self._locks is None:
            self._locks = ContainerLocks(self.lock_dir, self.lxcpath)
        return self._locks

    def _open(self, lxc, name):
        """The liblxc container `name`, which must exist (runs inside the child)."""
        try:
            container = lxc.Container(name, self.lxcpath)
        except RuntimeError:
            raise LXCError(f"container {name!r} has a configuration liblxc cannot load") from None
        if not container.defined:
            raise ContainerNotFound(f"container {name!r} does not exist")
        return container

    def _guarded(self, name, what, fn, *, timeout, lock=True, capture_output=False):
        """Run fn(lxc, container) in a deadline-bound child, holding the container's lock."""
        validate_name(name)
        lxc = load_lxc()

        def in_child():
            return fn(lxc, self._open(lxc, name))

        with self.locks.hold([name], wait=self.lock_wait) if lock else contextlib.nullcontext():
            try:
                return run_with_deadline(in_child, timeout=timeout, what=f"{what} of {name!r}",
                                         capture_output=capture_output)
            except LXCError as exc:
                raise _with_reason(exc) from None

    # ----- reads ----------------------------------------------------------------------

    def list_containers(self, *, details=False):
        """Every container of the lxcpath with its state, sorted by name, in one pass.

        A container whose config cannot be loaded is listed as BROKEN instead of
        breaking the list. Only running containers' monitors are asked anything.
        With details, running containers also get their IPv4 addresses (read from
        /proc/<init pid>/net, no process spawned), memory use and autostart flag.
        """
        lxc = load_lxc()
        if not os.path.isdir(self.lxcpath):
            return []
        try:
            names = lxc.list_containers(config_path=self.lxcpath, as_object=False)
        except Exception as exc:  # noqa: BLE001 - liblxc failing to list is a server fault
            raise LXCError(f"liblxc could not list {self.lxcpath}: {exc}") from None
        version = host.cgroup_version() if details else None
        return [self._summary(lxc, name, version) for name in sorted(set(names))]

    def _summary(self, lxc, name, cgroup_version=None):
        try:
            container = lxc.Container(name, self.lxcpath)
        except RuntimeError:
            return ContainerSummary(name=name, state=BROKEN,
                                    error="its configuration cannot be loaded by liblxc")
        state = container.state
        if cgroup_version is None:
            return ContainerSummary(name=name, state=state)
        autostart = _config_item(container, settings_keys.AUTOSTART).strip() == "1"
        if state not in ("RUNNING", "FROZEN"):
            return ContainerSummary(name=name, state=state, autostart=autostart)
        memory_key = "memory.usage_in_bytes" if cgroup_version == 1 else "memory.current"
        return ContainerSummary(
            name=name, state=state, autostart=autostart,
            ipv4=host.ipv4_addresses_of_pid(container.init_pid),
            memory_bytes=_int_or_none(_cgroup_value(container, memory_key)))

    def exists(self, name):
        """True when `name` is defined here, also when its config is broken."""
        validate_name(name)
        try:
            return load_lxc().Container(name, self.lxcpath).defined
        except RuntimeError:  # liblxc found a config it cannot load: the container exists
            return True

    def state(self, name):
        return self._guarded(name, "state", lambda lxc, c: c.state, timeout=READ_TIMEOUT, lock=False)

    def info(self, name):
        """Full figures for one container, raw; ContainerInfo.formatted() gives lxc-info's text."""
        version = host.cgroup_version()
        return self._guarded(name, "info", lambda lxc, c: _gather_info(c, version),
                             timeout=READ_TIMEOUT, lock=False)

    def config_text(self, name):
        """The container's config file as stored, for read-only display."""
        validate_name(name)
        if not self.exists(name):
            raise ContainerNotFound(f"container {name!r} does not exist")
        path = os.path.join(self.lxcpath, name, "config")
        try:
            with open(path, "rb") as fh:
                return fh.read(CONFIG_TEXT_LIMIT).decode("utf-8", "replace")
        except OSError as exc:
            raise LXCError(f"cannot read the config of {name!r}: {exc.strerror}") from None

    # ----- power actions --------------------------------------------------------------

    def start(self, name):
        return self._guarded(name, "start", _start, timeout=START_TIMEOUT, capture_output=True)[0]

    def _grace(self, timeout):
        """Seconds of graceful shutdown: the configured default or a checked number."""
        if timeout is None:
            return self.stop_timeout
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) \
                or not 0 <= timeout <= MAX_STOP_TIMEOUT:
            message = f"must be a number of seconds from 0 to {MAX_STOP_TIMEOUT}"
            raise InvalidInput(f"timeout {message}", fields={"timeout": message})
        return math.ceil(timeout)  # liblxc counts whole seconds; 0.5 must not become 0

    def stop(self, name, *, timeout=None, force=False):
        grace = self._grace(timeout)
        return self._guarded(name, "stop", lambda lxc, c: _stop(c, grace, force),
                             timeout=grace + START_TIMEOUT)

    def restart(self, name, *, timeout=None, force=False):
        grace = self._grace(timeout)

        def restart(lxc, container):
            if container.state not in ("RUNNING", "FROZEN"):
                raise InvalidState(f"container {name!r} is {container.state}; only a running "
                                   "or frozen container can be restarted")
            _stop(container, grace, force)
            return _start(lxc, container)

        return self._guarded(name, "restart", restart, timeout=grace + 2 * START_TIMEOUT,
                             capture_output=True)[0]

    def freeze(self, name):
        version = host.cgroup_version()
        return self._guarded(name, "freeze", lambda lxc, c: _freeze(c, version),
                             timeout=FREEZE_TIMEOUT)

    def unfreeze(self, name):
        return self._guarded(name, "unfreeze", _unfreeze, timeout=FREEZE_TIMEOUT)

    # ----- life cycle -----------------------------------------------------------------

    def templates(self):
        return host.template_names(self.templates_dir)

    def backing_stores(self):
        return host.backing_stores(self.lxcpath)

    def clone_stores(self):
        stores = self.backing_stores()
        return stores + ["overlay"] if host.overlay_available() else stores

    def create(self, name, *, template, store="dir", args=()):
        """Create `name` from a template; on any failure nothing of it is left behind."""
        validate_name(name)
        args = validate_template_args(args)
        self._check_choice("template", template, self.templates())
        self._check_choice("store", store, self.backing_stores())
        path = host.template_path(self.templates_dir, template)
        lxc = load_lxc()

        def create_in_child():
            container = lxc.Container(name, self.lxcpath)
            return container.create(path, 0, tuple(args), store)

        return self._make(name, f"template {template!r}", create_in_child)

    def clone(self, source, name, *, store=None):
        """Copy the stopped container `source` as `name` (store "overlay" makes a snapshot)."""
        validate_name(source, "clone")
        validate_name(name)
        if store is not None:
            self._check_choice("store", store, self.clone_stores())
        lxc = load_lxc()

        def clone_in_child():
            original = self._open(lxc, source)
            if original.state != "STOPPED":
                raise InvalidState(f"container {source!r} is {original.state}; "
                                   "stop it before cloning")
            flags = lxc.LXC_CLONE_SNAPSHOT if store == "overlay" else 0
            return bool(original.clone(name, config_path=self.lxcpath, flags=flags, bdevtype=store))

        if not self.exists(source):
            raise InvalidInput(f"clone source {source!r} does not exist",
                               fields={"clone": f"container {source!r} does not exist"})
        return self._make(name, f"clone of {source!r}", clone_in_child, also_lock=[source])

    def _check_choice(self, field, value, choices):
        if not isinstance(value, str) or value not in choices:
            shown = value[:80] if isinstance(value, str) else type(value).__name__
            message = f"{shown!r} is not available here; choose one of: {', '.join(choices) or 'none'}"
            raise InvalidInput(f"{field} {message}", fields={field: message})

    def _make(self, name, what, make_in_child, also_lock=()):
        """Run a create or clone; undo every trace of `name` if it fails or times out."""
        with self.locks.hold([name, *also_lock], wait=self.lock_wait):
            if self.exists(name) or os.path.lexists(self._dir_of(name)):
                raise ContainerExists(f"container {name!r} already exists")
            try:
                succeeded, output = run_with_deadline(make_in_child, timeout=self.create_timeout,
                                                      what=what, capture_output=True)
            except BaseException:  # a timeout, a refusal, an interrupted request: undo it all
                self._remove_leftovers(name)
                raise
            if not succeeded or not self.exists(name):
                self._remove_leftovers(name)
                # liblxc logs nothing unless asked: a failed clone often says nothing at all.
                reason = _last_error_line(output) or "liblxc gave no reason (see the host's LXC log)"
                raise TemplateFailed(f"{what} failed for {name!r}: {reason}", output=output)
        return CreateResult(name=name, output=output)

    def _dir_of(self, name):
        return os.path.join(self.lxcpath, name)

    def _remove_leftovers(self, name):
        """Destroy what a failed create left: through liblxc first, then the directory."""
        lxc = load_lxc()

        def destroy_in_child():
            container = lxc.Container(name, self.lxcpath)
            return container.destroy() if container.defined else True

        with contextlib.suppress(LXCError, RuntimeError):
            run_with_deadline(destroy_in_child, timeout=DESTROY_TIMEOUT, what=f"clean-up of {name!r}")
        directory = self._dir_of(name)
        if os.path.lexists(directory) and os.path.dirname(directory) == os.path.normpath(self.lxcpath):
            shutil.rmtree(directory, ignore_errors=True)

    def destroy(self, name, *, force=False, with_snapshots=True):
        """Destroy a stopped container (force: stop it first) with its snapshots."""

        def destroy(lxc, container):
            clones = _dependent_clones(container)
            if clones:  # liblxc refuses to destroy the base of an overlay clone, with no reason given
                raise InvalidState(f"container {name!r} is the base of the snapshot clones "
                                   f"{', '.join(clones)}; destroy them first")
            if container.state != "STOPPED":
                if not force:
                    raise InvalidState(f"container {name!r} is {container.state}; stop it first "
                                       "or ask for a forced delete")
                _stop(container, 0, True)
            snapshots = [snap[0] for snap in (container.snapshot_list() or ())]
            if snapshots and not with_snapshots:
                raise InvalidState(f"container {name!r} has {len(snapshots)} snapshots")
            for snapshot in snapshots:
                if not container.snapshot_destroy(snapshot):
                    raise LXCError(f"could not destroy snapshot {snapshot} of {name!r}")
            if not container.destroy():
                raise LXCError(f"liblxc could not destroy {name!r}")
            return True

        return self._guarded(name, "destroy", destroy, timeout=DESTROY_TIMEOUT)

    # ----- settings -------------------------------------------------------------------

    def get_settings(self, name):
        version = host.cgroup_version()
        return self._guarded(name, "settings", lambda lxc, c: _read_settings(c, version),
                             timeout=CONFIG_TIMEOUT, lock=False)

    def update_settings(self, name, changes):
        """Validate and save settings; returns what changed and whether a restart applies it."""
        version = host.cgroup_version()

        def update(lxc, container):
            current = _read_settings(container, version)
            clean = settings_keys.validate(changes, current=current)
            if "network_link" in clean and not _config_item(container, "lxc.net.0.type"):
                raise InvalidInput("this container has no network interface to link",
                                   fields={"network_link": "the container has no network interface"})
            wanted = dataclasses.replace(current, **clean)
            changed = [f for f in clean if getattr(current, f) != getattr(wanted, f)]
            if changed:
                _write_items(container, settings_keys.config_items(wanted, version))
            restart_needed = bool(changed) and container.state in ("RUNNING", "FROZEN") and any(
                f not in ("autostart", "start_delay", "start_order") for f in changed)
            return SettingsResult(settings=_read_settings(container, version), changed=changed,
                                  restart_needed=restart_needed)

        return self._guarded(name, "settings update", update, timeout=CONFIG_TIMEOUT)

    # ----- host -----------------------------------------------------------------------

    def host_info(self):
        lxc = load_lxc()
        facts = host.host_facts(self.lxcpath)
        return HostInfo(lxc_version=lxc.version, lxcpath=self.lxcpath, **facts)


# ----- functions that run inside the guarded child ----------------------------------------


def _wait_for(container, state):
    if not container.wait(state, WAIT_STATE_TIMEOUT):
        raise LXCError(f"container {container.name!r} did not reach {state} "
                       f"(it is {container.state})")


def _start(lxc, container):
    state = container.state
    if state == "RUNNING":
        raise InvalidState(f"container {container.name!r} is already RUNNING")
    if state == "FROZEN":
        raise InvalidState(f"container {container.name!r} is FROZEN; unfreeze it instead")
    if state != "STOPPED":
        raise InvalidState(f"container {container.name!r} is {state}; try again when it settles")
    # close_fds: the monitor must not inherit the web server's listening socket.
    if not container.start(useinit=False, daemonize=True, close_fds=True):
        raise LXCError(f"liblxc could not start {container.name!r}")
    _wait_for(container, "RUNNING")
    return container.state


def _stop(container, grace, force):
    state = container.state
    if state == "STOPPED":
        raise InvalidState(f"container {container.name!r} is already STOPPED")
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


def _freeze(container, version):
    if container.state != "RUNNING":
        raise InvalidState(f"container {container.name!r} is {container.state}; "
                           "only a RUNNING container can be frozen")
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
        if wait_until(lambda: _cgroup_value(container, "freezer.state") == "FROZEN", 1, 0.02):
            return
    container.set_cgroup_item("freezer.state", "THAWED")
    raise LXCError(f"container {container.name!r} could not be frozen (a task would not stop); "
                   "it was left running")


def _unfreeze(lxc, container):
    if container.state != "FROZEN":
        raise InvalidState(f"container {container.name!r} is {container.state}; "
                           "only a FROZEN container can be unfrozen")
    if not container.unfreeze():
        raise LXCError(f"liblxc could not unfreeze {container.name!r}")
    _wait_for(container, "RUNNING")
    return container.state


def _dependent_clones(container):
    """Names of the snapshot (overlay) clones made from this container, from liblxc's own record.

    lxc_snapshots holds an lxcpath line and a name line per clone still depending on it.
    """
    record = os.path.join(os.path.dirname(container.config_file_name), "lxc_snapshots")
    try:
        with open(record) as fh:
            lines = [line.strip() for line in fh if line.strip()]
    except OSError:
        return []
    return lines[1::2]


def _config_item(container, key):
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


def _cgroup_value(container, key):
    """A cgroup file's content, or None when this host or container cannot give it."""
    try:
        value = container.get_cgroup_item(key)
    except (KeyError, ValueError):
        return None
    return value if isinstance(value, str) else None  # python3-lxc says False on failure


def _int_or_none(text):
    try:
        return int(str(text).strip())
    except (TypeError, ValueError):
        return None


def _cpu_ns(container, version):
    if version == 1:
        return _int_or_none(_cgroup_value(container, "cpuacct.usage"))
    for line in (_cgroup_value(container, "cpu.stat") or "").splitlines():
        key, _, value = line.partition(" ")
        if key == "usage_usec" and value.strip().isdigit():
            return int(value) * 1000
    return None


def _blkio_bytes(container, version):
    if version == 1:
        # The last line of io_service_bytes is "Total N", the figure lxc-info prints.
        lines = (_cgroup_value(container, "blkio.throttle.io_service_bytes") or "").split("\n")
        last = next((line for line in reversed(lines) if line.strip()), "")
        return _int_or_none(last[6:]) if last.startswith("Total") else None
    text = _cgroup_value(container, "io.stat")
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
    item = _running_item if running else _config_item
    for index in range(64):
        kind = item(container, f"lxc.net.{index}.type")
        if not kind:
            break
        link = _config_item(container, f"lxc.net.{index}.link")
        host_side = ""
        if running:
            host_side = item(container, f"lxc.net.{index}.veth.pair" if kind == "veth"
                             else f"lxc.net.{index}.link")
        found.append(NetworkInterface(index=index, type=kind, link=link, host_interface=host_side))
    return found


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


def _gather_info(container, version):
    state = container.state
    running = state in ("RUNNING", "FROZEN")
    pid = container.init_pid if running else None
    ips = list(container.get_ips() or ()) if running else []
    interfaces = _interfaces(container, running)
    rx, tx = _traffic(interfaces) if running else (None, None)
    return ContainerInfo(
        name=container.name, state=state, pid=pid if pid and pid > 0 else None, ips=ips,
        interfaces=interfaces,
        cpu_ns=_cpu_ns(container, version) if running else None,
        memory_bytes=_int_or_none(_cgroup_value(container, "memory.usage_in_bytes" if version == 1
                                                 else "memory.current")) if running else None,
        kmem_bytes=_int_or_none(_cgroup_value(container, "memory.kmem.usage_in_bytes"))
        if running and version == 1 else None,
        blkio_bytes=_blkio_bytes(container, version) if running else None,
        rx_bytes=rx, tx_bytes=tx, cgroup_version=version,
    )


def _size_or_none(text):
    try:
        return settings_keys.parse_size(text)
    except ValueError:
        return None


def _read_settings(container, version):
    keys = settings_keys.KEYS[version]
    memory = _size_or_none(_config_item(container, keys["memory_limit"]))
    if version == 1:
        total = _size_or_none(_config_item(container, keys["memory_and_swap"]))
        swap = total - memory if total is not None and memory is not None and total >= memory else None
        shares = _int_or_none(_config_item(container, keys["cpu_shares"]))
    else:
        swap = _size_or_none(_config_item(container, keys["swap_limit"]))
        weight = _int_or_none(_config_item(container, keys["cpu_weight"]))
        shares = settings_keys.weight_to_shares(weight) if weight else None
    return ContainerSettings(
        memory_limit=memory, swap_limit=swap,
        cpuset=_config_item(container, keys["cpuset"]),
        cpu_shares=shares,
        autostart=_config_item(container, settings_keys.AUTOSTART).strip() == "1",
        start_delay=_int_or_none(_config_item(container, settings_keys.START_DELAY)) or 0,
        start_order=_int_or_none(_config_item(container, settings_keys.START_ORDER)) or 0,
        network_link=_config_item(container, settings_keys.NETWORK_LINK),
    )


def _write_items(container, items):
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
