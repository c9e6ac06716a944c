"""LXCEngine: the ContainerEngine (containers/engines/base.py) on liblxc, with checked results
and deadlines.

The only code that imports `lxc` (python3-lxc). Reads of the whole list run in
the web process (one pass over the lxcpath, no process spawned); every other
call runs through deadline.run_with_deadline, in a forked child that is killed
when its deadline passes, holding the container's lock (locks.py) when it changes it.
"""

import contextlib
import dataclasses
import logging
import os
import shutil
import tempfile

from containers.engines import archive
from containers.engines import settings as settings_rules
from containers.engines.base import (
    OVERLAY_STORE, Capabilities, check_choice, check_snapshot_clone, require_action, require_console_state,
    require_stopped_source, stop_grace,
)
from containers.engines.lxc import backups, console, host, host_checks, live, settings_keys, template_args
from containers.engines.lxc.container_ops import (
    FREEZE_TIMEOUT, config_item, dependent_clones, freeze_container, gather_info, read_settings, require_snapshot,
    running_interfaces, snapshots_of, start_container, stop_container, take_snapshot, telling_line,
    unfreeze_container, write_config_items,
)
from containers.engines.lxc.deadline import run_with_deadline
from containers.engines.lxc.locks import ContainerLocks
from containers.engines.types import (
    ContainerInfo, ContainerSummary, CreateResult, HostInfo, HostUsage, SettingsResult, Usage,
)
from containers.vocabulary import (
    ACTIVE_STATES, BROKEN, validate_console_mode, validate_name, validate_snapshot_comment, validate_snapshot_name,
)
from lwp.exceptions import (
    BrokenConfig, ContainerExists, ContainerNotFound, InvalidInput, InvalidState, LWPError, LXCError,
    LXCUnavailable, TemplateFailed,
)

log = logging.getLogger("lwp.containers")

CONFIG_TEXT_LIMIT = 256 * 1024

# Deadlines (seconds) of the calls whose duration does not depend on the user.
READ_TIMEOUT = 15
START_TIMEOUT = 60
DESTROY_TIMEOUT = 300
CONFIG_TIMEOUT = 15
# A snapshot, or its restore, copies the container's whole rootfs (dir store).
SNAPSHOT_TIMEOUT = 1800
# Asking liblxc for an init pid or a state that live.find could not see (another cgroup layout):
# a monitor that does not answer this fast is skipped by usage() and listed as BROKEN, not waited for.
USAGE_FALLBACK_TIMEOUT = 2
# Containers remembered (_incarnations, _interfaces, _autostart): more than any host runs.
_REMEMBERED = 4096


def _remember(memory, key, value):
    """memory[key] = value in a dict kept below _REMEMBERED entries (emptied when full: entries are
    cheap to find again, and a host never runs that many containers)."""
    if len(memory) >= _REMEMBERED:
        memory.clear()
    memory[key] = value


def load_lxc():
    """python3-lxc, or LXCUnavailable when the host lacks it."""
    try:
        import lxc  # noqa: PLC0415 - imported on first use, never at Django start-up
    except ImportError as exc:
        raise LXCUnavailable(f"liblxc is not available on this host (python3-lxc: {exc})") from None
    return lxc


def _with_reason(error):
    """Append liblxc's own explanation (from its captured log output) to a bare LXCError."""
    if not error.output or isinstance(error, TemplateFailed):
        return error
    reason = telling_line(error.output)
    if not reason or reason in error.message:
        return error
    return type(error)(f"{error.message}: {reason}", error.fields, error.output)


class LXCEngine:
    def __init__(self, lxcpath=None, *, lock_dir, templates_dir="/usr/share/lxc/templates",
                 lock_wait=5, create_timeout=900, stop_timeout=30, backup_timeout=4 * 3600,
                 backup_max_bytes=1 << 40):
        self._lxcpath = lxcpath
        self.templates_dir = templates_dir
        self.lock_dir = str(lock_dir)
        self.lock_wait = lock_wait
        self.create_timeout = create_timeout
        self.stop_timeout = stop_timeout
        self.backup_timeout = backup_timeout
        self.backup_max_bytes = backup_max_bytes
        self._locks = None
        # {(name, init pid, its start time): [NetworkInterface]}: the host side of a container's veth
        # is known only to its monitor (a command socket, so a forked call) and never changes while
        # the same init runs.
        self._interfaces = {}
        # {name: live.Incarnation}: where a running container's files are, while its init lives
        # (saves finding its monitor again: read_counters says when the init is gone).
        self._incarnations = {}
        # {name: (its config file's stat signature, autostart or None when liblxc cannot load it)}:
        # liblxc parses a whole config to build a container's object (most of a 1000-row dashboard's
        # time), and a config changes far less often than the dashboard refreshes.
        self._autostart = {}

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
            raise BrokenConfig(
                f"container {name!r} has a configuration liblxc cannot load: fix "
                f"{os.path.join(self.lxcpath, name, 'config')} or delete it with force") from None
        if not container.defined:
            raise ContainerNotFound(f"container {name!r} does not exist")
        return container

    def _guarded(self, name, what, fn, *, timeout, lock=True, capture_output=False, monitor=None):
        """Run fn(lxc, container) in a deadline-bound child, holding the container's lock."""
        validate_name(name)
        lxc = load_lxc()

        def in_child():
            return fn(lxc, self._open(lxc, name))

        with self.locks.hold([name], wait=self.lock_wait) if lock else contextlib.nullcontext(()) as held:
            try:
                return run_with_deadline(in_child, timeout=timeout, what=f"{what} of {name!r}",
                                         capture_output=capture_output, holding=held, monitor=monitor)
            except LXCError as exc:
                raise _with_reason(exc) from None

    # ----- reads ----------------------------------------------------------------------

    def list_containers(self, *, details=False):
        """Every container of the lxcpath with its state, sorted by name, in one pass.

        A container whose config cannot be loaded is listed as BROKEN instead of
        breaking the list. A container is running when it has a monitor (its command socket
        in /proc/net/unix); a running one's state is read from its cgroup's files, and only
        when they cannot be found is its monitor asked. With details, running containers
        also get their IPv4 addresses (read from /proc/<init pid>/net, no process spawned),
        memory use and autostart flag.
        """
        lxc = load_lxc()
        if not os.path.isdir(self.lxcpath):
            return []
        try:
            names = lxc.list_containers(config_path=self.lxcpath, as_object=False)
        except Exception as exc:  # noqa: BLE001 - liblxc failing to list is a server fault
            raise LXCError(f"liblxc could not list {self.lxcpath}: {exc}") from None
        version = host.cgroup_version()
        active = self._active_names(lxc)
        return [self._listed_summary(lxc, name, version, name in active, details) for name in sorted(set(names))]

    def _summary(self, lxc, name):
        container = self._load(lxc, name)
        if container is None:
            return ContainerSummary(name=name, state=BROKEN, error="its configuration cannot be loaded by liblxc")
        return ContainerSummary(name=name, state=container.state)

    def _asked_summary(self, name):
        """`name`'s state from its monitor, under a short deadline: a monitor that does not answer
        makes a BROKEN row that says so, not a list that waits for it."""
        try:
            state = self._guarded(name, "state", lambda lxc, c: c.state, timeout=USAGE_FALLBACK_TIMEOUT, lock=False)
        except LWPError as exc:
            return ContainerSummary(name=name, state=BROKEN, error=str(exc))
        return ContainerSummary(name=name, state=state)

    def _load(self, lxc, name):
        """liblxc's object for `name` (its config parsed, nothing asked of its monitor); None if broken."""
        try:
            return lxc.Container(name, self.lxcpath)
        except RuntimeError:
            return None

    def _listed_summary(self, lxc, name, version, active, details):
        """A row of the list: a stopped container's monitor is not asked (it has none), a running
        one's state (and with details its figures) comes from its files (live.py), and its config
        is parsed only when it changed; liblxc's object is built only when the files cannot say."""
        autostart = self._autostart_of(lxc, name)
        if autostart is None:
            return self._summary(lxc, name)
        if not details:
            autostart = False  # a field of the detailed list only
        if not active:
            return ContainerSummary(name=name, state="STOPPED", autostart=autostart)
        found, counters = self._live(name, version, fallback=lambda: self._found_by_liblxc(name, version),
                                     read=live.read_glance)
        if counters is None:  # it stopped meanwhile, or its files cannot be read: its state only
            return dataclasses.replace(self._asked_summary(name), autostart=autostart)
        if not details:
            return ContainerSummary(name=name, state=counters.state)
        return ContainerSummary(name=name, state=counters.state, autostart=autostart,
                                ipv4=host.ipv4_addresses_of_pid(found.pid), memory_bytes=counters.memory_bytes)

    def _autostart_of(self, lxc, name):
        """`name`'s lxc.start.auto, None when liblxc cannot load its config; parsed again only when
        the config file changed (its inode, size, modification or change time)."""
        try:
            stat = os.stat(os.path.join(self.lxcpath, name, "config"))
        except OSError:
            return None  # gone meanwhile: _summary says what it is now
        signature = (stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)
        known = self._autostart.get(name)
        if known is not None and known[0] == signature:
            return known[1]
        container = self._load(lxc, name)
        autostart = None if container is None else config_item(container, settings_keys.AUTOSTART).strip() == "1"
        _remember(self._autostart, name, (signature, autostart))
        return autostart

    def _active_names(self, lxc):
        """Names of the containers of the lxcpath that have a monitor, from /proc/net/unix (their
        command sockets): no monitor is asked anything."""
        try:
            return set(lxc.list_containers(active=True, defined=False, config_path=self.lxcpath, as_object=False))
        except Exception as exc:  # noqa: BLE001 - liblxc failing to list is a server fault
            raise LXCError(f"liblxc could not list the running containers of {self.lxcpath}: {exc}") from None

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
        """Full figures for one container, raw; ContainerInfo.formatted() gives lxc-info's text.

        A running container's are read from its files (live.py), without a forked call; a stopped
        one, or one live.py cannot find, is read through liblxc in a guarded child."""
        validate_name(name)
        version = host.cgroup_version()
        found, counters = self._live(name, version)
        if counters is None:
            return self._guarded(name, "info", lambda lxc, c: gather_info(c, version),
                                 timeout=READ_TIMEOUT, lock=False)
        return self._live_info(found, counters, self._running_interfaces(found))

    def _live(self, name, version, *, fallback=None, read=live.read_counters):
        """(live.Incarnation, live.Counters) of the running `name`, read from its files; (None, None)
        when it is not running or cannot be read. `fallback` gives its Incarnation when live.find
        cannot (another cgroup layout); `read` may read less (live.read_glance)."""
        remembered = self._incarnations.get(name)
        counters = read(remembered) if remembered is not None else None
        if counters is not None:
            return remembered, counters
        self._incarnations.pop(name, None)
        found = live.find(self.lxcpath, name, version)
        remember = found is not None  # not what a fallback found: it is asked each time
        if found is None and fallback is not None:
            found = fallback()
        counters = read(found) if found is not None else None
        if counters is None:
            return None, None
        if remember:
            _remember(self._incarnations, name, found)
        return found, counters

    @staticmethod
    def _live_info(found, counters, interfaces):
        # As before and as lxc-info: traffic figures only for a container with a host side interface.
        network = any(interface.host_interface for interface in interfaces)
        return ContainerInfo(
            name=found.name, state=counters.state, pid=found.pid, ips=live.addresses(found.pid),
            interfaces=interfaces, cpu_ns=counters.cpu_ns, memory_bytes=counters.memory_bytes,
            kmem_bytes=counters.kmem_bytes, blkio_bytes=counters.blkio_bytes,
            rx_bytes=counters.rx_bytes if network else None, tx_bytes=counters.tx_bytes if network else None,
            cgroup_version=found.version)

    def _running_interfaces(self, found):
        """The container's interfaces with their host side, asked of liblxc once per incarnation."""
        key = (found.name, found.pid, found.started())
        interfaces = self._interfaces.get(key)
        if interfaces is None:
            interfaces = self._guarded(found.name, "interfaces", lambda lxc, c: running_interfaces(c),
                                       timeout=READ_TIMEOUT, lock=False)
            if interfaces:  # none: it is stopping, or its monitor did not say; ask again next time
                _remember(self._interfaces, key, interfaces)
        return list(interfaces)

    def usage(self, names=None):
        """Counters of the running (and frozen) containers among `names`, from their files."""
        lxc = load_lxc()
        version = host.cgroup_version()
        active = self._active_names(lxc)
        wanted = sorted(active) if names is None else [name for name in names if name in active]
        found = {}
        for name in wanted:
            usage = self._usage_of(name, version)
            if usage is not None:
                found[name] = usage
        return found

    def _usage_of(self, name, version):
        _, counters = self._live(name, version, fallback=lambda: self._found_by_liblxc(name, version))
        if counters is None:
            log.warning("%s: its figures cannot be read (cgroup or /proc gone or unreadable); left out", name)
            return None
        return Usage(name=name, cpu_ns=counters.cpu_ns, memory_bytes=counters.memory_bytes,
                     swap_bytes=counters.swap_bytes, rx_bytes=counters.rx_bytes, tx_bytes=counters.tx_bytes,
                     blkio_read_bytes=counters.blkio_read_bytes, blkio_write_bytes=counters.blkio_write_bytes)

    def _found_by_liblxc(self, name, version):
        """The Incarnation of a running container live.find cannot see (another cgroup layout),
        from the init pid its monitor gives, under a short deadline; None when it cannot tell."""
        try:
            pid = self._guarded(name, "init pid", lambda lxc, c: c.init_pid, timeout=USAGE_FALLBACK_TIMEOUT,
                                lock=False)
        except LWPError as exc:
            log.warning("%s: no init pid from liblxc (%s)", name, exc)
            return None
        return live.from_pid(name, pid, version)

    def host_usage(self):
        return HostUsage(**host.host_usage(self.lxcpath))

    def raw_config(self, name):
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
        return self._guarded(name, "start", start_container, timeout=START_TIMEOUT, capture_output=True)[0]

    def stop(self, name, *, timeout=None, force=False):
        grace = stop_grace(timeout, self.stop_timeout)
        return self._guarded(name, "stop", lambda lxc, c: stop_container(c, grace, force),
                             timeout=grace + START_TIMEOUT)

    def restart(self, name, *, timeout=None, force=False):
        grace = stop_grace(timeout, self.stop_timeout)

        def restart(lxc, container):
            require_action(name, container.state, "restart")
            stop_container(container, grace, force)
            return start_container(lxc, container)

        return self._guarded(name, "restart", restart, timeout=grace + 2 * START_TIMEOUT,
                             capture_output=True)[0]

    def freeze(self, name):
        version = host.cgroup_version()
        return self._guarded(name, "freeze", lambda lxc, c: freeze_container(c, version),
                             timeout=FREEZE_TIMEOUT)

    def unfreeze(self, name):
        return self._guarded(name, "unfreeze", unfreeze_container, timeout=FREEZE_TIMEOUT)

    # ----- life cycle -----------------------------------------------------------------

    def templates(self):
        return host.template_names(self.templates_dir)

    def template_options(self, template):
        return template_args.allowed_options(template)

    def backing_stores(self):
        return host.backing_stores(self.lxcpath)

    def clone_stores(self):
        stores = self.backing_stores()
        return stores + [OVERLAY_STORE] if host.overlay_available() else stores

    def check_create(self, name, *, template, store="dir", args=(), trusted=False):
        """Refuse what create() would refuse from its arguments alone; returns the checked arguments."""
        validate_name(name)
        check_choice("template", template, self.templates())
        args = template_args.validate(template, args, trusted=trusted)
        check_choice("store", store, self.backing_stores())
        if self.exists(name):
            raise ContainerExists(f"container {name!r} already exists")
        return args

    def create(self, name, *, template, store="dir", args=(), trusted=False, monitor=None):
        """Create `name` from a template; on any failure nothing of it is left behind.

        Arguments are checked against the template's allowed options (template_args);
        `trusted` (a superuser) may also hand free arguments to a template LWP does not vet.
        """
        args = self.check_create(name, template=template, store=store, args=args, trusted=trusted)
        path = host.template_path(self.templates_dir, template)
        lxc = load_lxc()
        self._ensure_lxcpath()

        def create_in_child():
            container = lxc.Container(name, self.lxcpath)
            return container.create(path, 0, tuple(args), store)

        monitor = template_args.with_progress(template, monitor)
        return self._make(name, f"template {template!r}", create_in_child, monitor=monitor)

    def check_clone(self, source, name, *, store=None):
        validate_name(source, "clone")
        validate_name(name)
        if store is not None:
            check_choice("store", store, self.clone_stores())
        if not self.exists(source):
            raise InvalidInput(f"clone source {source!r} does not exist",
                               fields={"clone": f"container {source!r} does not exist"})
        require_stopped_source(source, self.state(source))
        if self.exists(name):
            raise ContainerExists(f"container {name!r} already exists")

    def clone(self, source, name, *, store=None, monitor=None):
        """Copy the stopped container `source` as `name` (store OVERLAY_STORE: an overlay clone)."""
        self.check_clone(source, name, store=store)
        lxc = load_lxc()

        def clone_in_child():
            original = self._open(lxc, source)
            require_stopped_source(source, original.state)
            # liblxc calls an overlay clone a "snapshot clone"; it is no snapshot of LWP's.
            flags = lxc.LXC_CLONE_SNAPSHOT if store == OVERLAY_STORE else 0
            return bool(original.clone(name, config_path=self.lxcpath, flags=flags, bdevtype=store))

        return self._make(name, f"clone of {source!r}", clone_in_child, also_lock=[source], monitor=monitor)

    def _ensure_lxcpath(self):
        """Create a missing lxcpath (0755, as LXC's own tools do): liblxc fails there without a word."""
        if os.path.isdir(self.lxcpath):
            return
        try:
            os.makedirs(self.lxcpath, mode=0o755, exist_ok=True)
            os.chmod(self.lxcpath, 0o755)  # not the server's private umask: containers live here
        except OSError as exc:
            raise LXCError(f"cannot create the container directory {self.lxcpath}: {exc.strerror}") from None

    def _make(self, name, what, make_in_child, also_lock=(), monitor=None):
        """Run a create or clone; undo every trace of `name` if it fails or times out."""
        with self.locks.hold([name, *also_lock], wait=self.lock_wait) as held:
            if self.exists(name) or os.path.lexists(self._dir_of(name)):
                raise ContainerExists(f"container {name!r} already exists")
            try:
                # Should this server process die meanwhile, the call's supervisor undoes it.
                succeeded, output = run_with_deadline(
                    make_in_child, timeout=self.create_timeout, what=what, capture_output=True,
                    holding=held, on_abandon=lambda: self._remove_leftovers(name), monitor=monitor)
            except BaseException:  # a timeout, a refusal, an interrupted request: undo it all
                self._remove_leftovers(name, holding=held)
                raise
            if not succeeded or not self.exists(name):
                self._remove_leftovers(name, holding=held)
                # liblxc logs nothing unless asked: a failed clone often says nothing at all.
                reason = telling_line(output) or "liblxc gave no reason (see the host's LXC log)"
                raise TemplateFailed(f"{what} failed for {name!r}: {reason}", output=output)
        return CreateResult(name=name, output=output)

    def _dir_of(self, name):
        return os.path.join(self.lxcpath, name)

    def _remove_leftovers(self, name, holding=()):
        """Destroy what a failed create left: through liblxc first, then the directory.

        Also runs in an orphaned call's supervisor (no database there): keep it to liblxc and files.
        """
        lxc = load_lxc()

        def destroy_in_child():
            container = lxc.Container(name, self.lxcpath)
            return container.destroy() if container.defined else True

        with contextlib.suppress(LXCError, RuntimeError):
            run_with_deadline(destroy_in_child, timeout=DESTROY_TIMEOUT, what=f"clean-up of {name!r}",
                              holding=holding, on_abandon=lambda: self._remove_leftovers(name))
        self._remove_directory(name)

    def _remove_directory(self, name):
        directory = self._dir_of(name)
        if os.path.lexists(directory) and os.path.dirname(directory) == os.path.normpath(self.lxcpath):
            shutil.rmtree(directory, ignore_errors=True)

    def destroy(self, name, *, force=False, with_snapshots=True, monitor=None):
        """Destroy a stopped container (force: stop it first) with its snapshots."""

        def destroy(lxc, container):
            clones = dependent_clones(container)
            if clones:  # liblxc refuses to destroy the base of an overlay clone, with no reason given
                raise InvalidState(f"container {name!r} is the base of the overlay clones "
                                   f"{', '.join(clones)}; destroy them first")
            if container.state != "STOPPED":
                if not force:
                    raise InvalidState(f"container {name!r} is {container.state}; stop it first "
                                       "or ask for a forced delete")
                stop_container(container, 0, True)
            snapshots = [snap[0] for snap in (container.snapshot_list() or ())]
            if snapshots and not with_snapshots:
                raise InvalidState(f"container {name!r} has {len(snapshots)} snapshots")
            for snapshot in snapshots:
                if not container.snapshot_destroy(snapshot):
                    raise LXCError(f"could not destroy snapshot {snapshot} of {name!r}")
            if not container.destroy():
                raise LXCError(f"liblxc could not destroy {name!r}")
            return True

        try:
            return self._guarded(name, "destroy", destroy, timeout=DESTROY_TIMEOUT, monitor=monitor)
        except BrokenConfig:
            if not force:
                raise
            return self._destroy_broken(name)

    def _destroy_broken(self, name):
        """Remove a container liblxc cannot load (so cannot destroy): its directory goes."""
        with self.locks.hold([name], wait=self.lock_wait):
            active = load_lxc().list_containers(active=True, defined=False, config_path=self.lxcpath)
            if name in active:
                raise InvalidState(f"container {name!r} is still running although its configuration "
                                   "can no longer be loaded; fix the config and stop it first")
            self._remove_directory(name)
        return True

    # ----- snapshots ------------------------------------------------------------------

    def snapshots(self, name):
        return self._guarded(name, "snapshot list", lambda lxc, container: snapshots_of(container),
                             timeout=READ_TIMEOUT, lock=False)

    def take_snapshot(self, name, *, comment="", monitor=None):
        comment = validate_snapshot_comment(comment)
        return self._guarded(name, "snapshot", lambda lxc, container: take_snapshot(container, comment),
                             timeout=SNAPSHOT_TIMEOUT, monitor=monitor)

    def restore_snapshot(self, name, snapshot, *, force=False, monitor=None):
        """Bring `name` back to `snapshot`; a running or frozen one is stopped first with force."""
        validate_snapshot_name(snapshot)

        def restore(lxc, container):
            require_snapshot(container, snapshot)
            if container.state != "STOPPED":
                if not force:
                    raise InvalidState(f"container {name!r} is {container.state}; stop it first or ask "
                                       "for a forced restore")
                stop_container(container, 0, True)
            if not container.snapshot_restore(snapshot):
                raise LXCError(f"liblxc could not restore {name!r} to {snapshot}")
            return True

        return self._guarded(name, "snapshot restore", restore, timeout=SNAPSHOT_TIMEOUT, monitor=monitor)

    def clone_snapshot(self, source, snapshot, name, *, monitor=None):
        """A new container `name` from `source`'s `snapshot` (the source may run: the snapshot
        does not change); nothing of `name` is left if it fails."""
        check_snapshot_clone(self, source, snapshot, name)
        lxc = load_lxc()

        def clone_in_child():
            original = self._open(lxc, source)
            require_snapshot(original, snapshot)
            # liblxc copies the snapshot (its own lxcpath under <source>/snaps) as a new container.
            return bool(original.snapshot_restore(snapshot, name))

        return self._make(name, f"clone of {source!r} at {snapshot}", clone_in_child, also_lock=[source],
                          monitor=monitor)

    def destroy_snapshot(self, name, snapshot):
        validate_snapshot_name(snapshot)

        def destroy(lxc, container):
            require_snapshot(container, snapshot)
            if not container.snapshot_destroy(snapshot):
                raise LXCError(f"liblxc could not delete snapshot {snapshot} of {name!r}")
            return True

        return self._guarded(name, "snapshot delete", destroy, timeout=SNAPSHOT_TIMEOUT)

    # ----- backups --------------------------------------------------------------------

    def export_backup(self, name, path, *, comment="", monitor=None):
        """Archive a dir container into the new file `path`, under its lock.

        A running (or frozen) one is copied while frozen, inside its own directory, then thawed
        (a frozen one stays frozen); the copy is archived once the lock is let go, and removed.
        """
        validate_name(name)
        comment = validate_snapshot_comment(comment)
        relay = backups.ProgressRelay(monitor)
        lxc = load_lxc()
        with self.locks.hold([name], wait=self.lock_wait) as held:
            source = run_with_deadline(lambda: backups.backup_source(self._open(lxc, name)),
                                       timeout=READ_TIMEOUT, what=f"backup of {name!r}")
            if source.state not in ("STOPPED", *ACTIVE_STATES):
                raise InvalidState(f"container {name!r} is {source.state}; try again when it settles")
            archive.create_exclusive(path)
            if source.state == "STOPPED":
                return self._archive(name, source, path, comment, relay, holding=held)
            try:
                copy = tempfile.mkdtemp(prefix=backups.COPY_PREFIX, dir=source.directory)
                copied = self._copy_frozen(name, source, copy, relay, held, leftovers=[path])
            except BaseException:
                backups.remove_quietly(path)
                raise
        try:
            return self._archive(name, copied, path, comment, relay, leftovers=[copy])
        finally:
            backups.remove_quietly(copy)

    def _copy_frozen(self, name, source, copy, relay, held, *, leftovers=()):
        """Copy the rootfs of the running `name` into the dir `copy` while frozen, thawing it
        whatever happens; the BackupSource of the copy. On failure `leftovers` go with the copy."""
        lxc = load_lxc()
        version = host.cgroup_version()

        def undo():
            backups.remove_quietly(copy, *leftovers)
            if source.state == "RUNNING":  # it was we who froze it
                self._thaw(name)

        destination = os.path.join(copy, "rootfs")
        relay.output(f"copying the rootfs of {name!r} while it is frozen\n")
        try:
            run_with_deadline(lambda: backups.frozen_copy(lxc, self._open(lxc, name), version, source.rootfs,
                                                             destination),
                              timeout=self.backup_timeout, what=f"backup copy of {name!r}", holding=held,
                              on_abandon=undo, monitor=relay, capture_output=True)
        except BaseException:
            undo()
            raise
        return dataclasses.replace(source, rootfs=destination)

    def _thaw(self, name):
        """Unfreeze `name` if it is FROZEN (after a backup copy was stopped half-way)."""
        lxc = load_lxc()

        def thaw():
            container = self._open(lxc, name)
            if container.state == "FROZEN":
                unfreeze_container(lxc, container)

        with contextlib.suppress(LXCError):
            run_with_deadline(thaw, timeout=FREEZE_TIMEOUT, what=f"thaw of {name!r}")

    def _archive(self, name, source, path, comment, relay, *, holding=(), leftovers=()):
        """Write the archive of `source` to `path` in a guarded child; no file is left if it fails."""

        def undo():  # the child may be killed: its staging dir is ours to remove
            backups.remove_quietly(path, archive.staging_dir(path), *leftovers)

        try:
            return run_with_deadline(
                lambda: backups.write_backup(path, name=name, source=source, comment=comment),
                timeout=self.backup_timeout, what=f"backup of {name!r}", capture_output=True,
                holding=holding, on_abandon=undo, monitor=relay)[0]
        except BaseException:
            undo()
            raise

    def check_backup(self, path, *, trusted=False):
        return run_with_deadline(
            lambda: backups.check_backup(path, trusted=trusted, max_bytes=self.backup_max_bytes),
            timeout=self.backup_timeout, what="backup check")

    def restore_backup(self, path, name, *, trusted=False, monitor=None):
        """A new container `name` from the archive at `path`, checked first; nothing is left of
        `name` or of the unpacked files if it fails, is cancelled or this process dies."""
        validate_name(name)
        if self.exists(name):
            raise ContainerExists(f"container {name!r} already exists")
        relay = backups.ProgressRelay(monitor)
        lxc = load_lxc()
        self._ensure_lxcpath()
        with self.locks.hold([name], wait=self.lock_wait) as held:
            if self.exists(name) or os.path.lexists(self._dir_of(name)):
                raise ContainerExists(f"container {name!r} already exists")
            staging = backups.staging_dir(self.lxcpath)

            def restore_in_child():
                return backups.restore(lxc, path, staging, name=name, lxcpath=self.lxcpath, trusted=trusted,
                                       max_bytes=self.backup_max_bytes)

            def abandoned():
                backups.remove_quietly(staging)
                self._remove_leftovers(name)

            try:
                manifest = run_with_deadline(
                    restore_in_child, timeout=self.backup_timeout, what=f"restore of {name!r}",
                    capture_output=True, holding=held, on_abandon=abandoned, monitor=relay)[0]
            except BaseException as exc:
                backups.remove_quietly(staging)
                if not isinstance(exc, ContainerExists):  # else made meanwhile by someone else: not ours
                    self._remove_leftovers(name, holding=held)
                raise
            backups.remove_quietly(staging)
        return CreateResult(name=name, output=archive.restored_output(manifest))

    # ----- settings -------------------------------------------------------------------

    def get_settings(self, name):
        version = host.cgroup_version()
        return self._guarded(name, "settings", lambda lxc, c: read_settings(c, version),
                             timeout=CONFIG_TIMEOUT, lock=False)

    def update_settings(self, name, changes):
        """Validate and save settings; returns what changed and whether a restart applies it."""
        version = host.cgroup_version()

        def update(lxc, container):
            current = read_settings(container, version)
            clean = settings_rules.validate(changes, current=current, host=host)
            if "network_link" in clean and not config_item(container, "lxc.net.0.type"):
                raise InvalidInput("this container has no network interface to link",
                                   fields={"network_link": "the container has no network interface"})
            wanted = dataclasses.replace(current, **clean)
            changed = [f for f in clean if getattr(current, f) != getattr(wanted, f)]
            if changed:
                write_config_items(container, settings_keys.config_items(wanted, version))
            restart_needed = bool(changed) and container.state in ACTIVE_STATES and any(
                f not in settings_rules.APPLIED_WITHOUT_RESTART for f in changed)
            return SettingsResult(settings=read_settings(container, version), changed=changed,
                                  restart_needed=restart_needed)

        return self._guarded(name, "settings update", update, timeout=CONFIG_TIMEOUT)

    # ----- console ----------------------------------------------------------------------

    def console_command(self, name, mode):
        validate_name(name)
        validate_console_mode(mode)
        require_console_state(name, self.state(name))
        return console.console_command(self.lxcpath, name, mode)

    # ----- host -----------------------------------------------------------------------

    def capabilities(self):
        kmem = host.cgroup_version() == 1  # cgroup v2 accounts kernel memory within memory.current
        return Capabilities(freeze=True, overlay_clone=host.overlay_available(), raw_config=True,
                            template_arguments=True, kernel_memory=kmem,
                            swap_limit=host.swap_accounting_available(), backups=True, console=True)

    def host_checks(self):
        return host_checks.run_checks()

    def host_info(self):
        lxc = load_lxc()
        facts = host.host_facts(self.lxcpath)
        return HostInfo(lxc_version=lxc.version, lxcpath=self.lxcpath, **facts)
