"""FakeEngine: a ContainerEngine in memory, for tests about permissions, forms and serializers.

It keeps the liblxc engine's states, errors and validation (the same name rule, settings
rules and template arguments), so a surface cannot tell it apart by what it answers;
tests/test_engine_contract.py holds both engines to the same assertions. Never a
substitute for real liblxc in a test of an LXC behaviour.
"""

import contextlib
import dataclasses
import datetime
import os
import tempfile
import threading
import time

from containers.engines import archive
from containers.engines import settings as settings_rules
from containers.engines.base import (
    OVERLAY_STORE, Capabilities, check_choice, check_snapshot_clone, require_action, require_console_state,
    require_stopped_source, stop_grace,
)
from containers.engines.lxc import backup_config, backups, settings_keys, template_args
from containers.engines.lxc.container_ops import read_settings
from containers.engines.types import (
    Check, CheckGroup, ContainerInfo, ContainerSettings, ContainerSummary, CreateResult, HostInfo, HostUsage,
    NetworkInterface, OK, SettingsResult, Snapshot, Usage,
)
from containers.vocabulary import (
    ACTIVE_STATES, validate_console_mode, validate_name, validate_snapshot_comment, validate_snapshot_name,
)
from lwp.exceptions import (
    Cancelled, ContainerBusy, ContainerExists, ContainerNotFound, InvalidInput, InvalidState, SnapshotNotFound,
    TemplateFailed,
)

# The fake's console, on the host: a fixed script given the name and mode as its arguments.
FAKE_CONSOLE_SHELL = "/bin/sh"
# A running fake container's figures (info() and usage() say the same).
_CPU_NS = 1_500_000_000
_MEMORY_BYTES = 4 << 20
_RX_BYTES = 1024
_TX_BYTES = 512


@dataclasses.dataclass
class _Container:
    name: str
    settings: ContainerSettings
    state: str = "STOPPED"
    overlay_of: str = ""  # the source of an overlay clone
    snapshots: list = dataclasses.field(default_factory=list)  # [(Snapshot, settings then)]


class FakeHost:
    """The HostLimits of the fake: two CPUs, swap accounting, the bridges it is given."""

    def __init__(self, bridges):
        self.bridges = set(bridges)

    def swap_accounting_available(self):
        return True

    def swap_needs_memory_limit(self):
        return False

    def online_cpus(self):
        return {0, 1}

    def cpuset_available(self):
        return True

    def is_bridge(self, interface):
        return interface in self.bridges


class FakeLocks:
    """Busy containers, as the liblxc engine's ContainerLocks: hold(names, wait=...)."""

    def __init__(self):
        self._held = set()
        self._guard = threading.Lock()

    @contextlib.contextmanager
    def hold(self, names, *, wait):
        names = sorted(set(names))
        deadline = time.monotonic() + wait
        while True:
            with self._guard:
                if not self._held & set(names):
                    self._held.update(names)
                    break
            if time.monotonic() >= deadline:
                busy = min(self._held & set(names))
                raise ContainerBusy(f"container {busy!r} is busy with another operation; "
                                    f"still busy after {wait:g} s, try again shortly")
            time.sleep(0.01)
        try:
            yield
        finally:
            with self._guard:
                self._held.difference_update(names)


class FakeEngine:
    """Containers as dict entries; `failing_templates` are listed but fail (TemplateFailed)."""

    def __init__(self, *, templates=("busybox", "download", "local"), bridges=("lwpbr0",),
                 failing_templates=(), stop_timeout=30, lock_wait=0.2, backup_timeout=None,
                 backup_max_bytes=1 << 30):
        self._templates = sorted(set(templates) | set(failing_templates))
        self._failing = set(failing_templates)
        self.host = FakeHost(bridges)
        self.locks = FakeLocks()
        self.stop_timeout = stop_timeout
        self.lock_wait = lock_wait
        self.backup_timeout = backup_timeout
        self.backup_max_bytes = backup_max_bytes
        self._containers = {}
        self._guard = threading.RLock()

    # ----- plumbing -------------------------------------------------------------------

    def _get(self, name):
        validate_name(name)
        container = self._containers.get(name)
        if container is None:
            raise ContainerNotFound(f"container {name!r} does not exist")
        return container

    @contextlib.contextmanager
    def _changing(self, *names):
        """Hold `names` as the liblxc engine does, and the fake's own state."""
        with self.locks.hold(names, wait=self.lock_wait), self._guard:
            yield

    # ----- reads ----------------------------------------------------------------------

    def capabilities(self):
        return Capabilities(freeze=True, overlay_clone=True, raw_config=True, template_arguments=True,
                            kernel_memory=False, swap_limit=True, backups=True,
                            console=True)

    def list_containers(self, *, details=False):
        with self._guard:
            containers = sorted(self._containers.values(), key=lambda c: c.name)
            return [self._summary(c, details) for c in containers]

    def _summary(self, container, details):
        if not details:
            return ContainerSummary(name=container.name, state=container.state)
        running = container.state in ACTIVE_STATES
        return ContainerSummary(name=container.name, state=container.state,
                                autostart=container.settings.autostart,
                                ipv4=(self._ipv4(container),) if running else (),
                                memory_bytes=_MEMORY_BYTES if running else None)

    def _ipv4(self, container):
        return f"10.0.3.{sorted(self._containers).index(container.name) % 250 + 2}"

    def exists(self, name):
        validate_name(name)
        return name in self._containers

    def state(self, name):
        return self._get(name).state

    def info(self, name):
        with self._guard:
            container = self._get(name)
            running = container.state in ACTIVE_STATES
            link = container.settings.network_link
            return ContainerInfo(
                name=name, state=container.state, pid=4242 if running else None,
                ips=[self._ipv4(container)] if running else [],
                interfaces=[NetworkInterface(index=0, type="veth", link=link,
                                             host_interface="vethfake0" if running else "")],
                cpu_ns=_CPU_NS if running else None, memory_bytes=_MEMORY_BYTES if running else None,
                kmem_bytes=None, blkio_bytes=0 if running else None,
                rx_bytes=_RX_BYTES if running else None, tx_bytes=_TX_BYTES if running else None, cgroup_version=2)

    def usage(self, names=None):
        """The running (and frozen) containers among `names`, with info()'s figures; others left out."""
        with self._guard:
            wanted = self._containers if names is None else [name for name in names if name in self._containers]
            return {name: Usage(name=name, cpu_ns=_CPU_NS, memory_bytes=_MEMORY_BYTES, swap_bytes=0,
                                rx_bytes=_RX_BYTES, tx_bytes=_TX_BYTES, blkio_read_bytes=0, blkio_write_bytes=0)
                    for name in sorted(wanted) if self._containers[name].state in ACTIVE_STATES}

    def raw_config(self, name):
        container = self._get(name)
        lines = [f"lxc.uts.name = {name}", "lxc.net.0.type = veth"]
        if container.settings.network_link:
            lines.append(f"lxc.net.0.link = {container.settings.network_link}")
        return "\n".join(lines) + "\n"

    # ----- power actions --------------------------------------------------------------

    def start(self, name):
        return self._power(name, "start", "RUNNING")

    def stop(self, name, *, timeout=None, force=False):
        stop_grace(timeout, self.stop_timeout)
        return self._power(name, "stop", "STOPPED")

    def restart(self, name, *, timeout=None, force=False):
        stop_grace(timeout, self.stop_timeout)
        return self._power(name, "restart", "RUNNING")

    def freeze(self, name):
        return self._power(name, "freeze", "FROZEN")

    def unfreeze(self, name):
        return self._power(name, "unfreeze", "RUNNING")

    def _power(self, name, action, reached):
        with self._changing(name):
            container = self._get(name)
            require_action(name, container.state, action)
            container.state = reached
            return container.state

    # ----- life cycle -----------------------------------------------------------------

    def templates(self):
        return list(self._templates)

    def template_options(self, template):
        return template_args.allowed_options(template)

    def backing_stores(self):
        return ["dir"]

    def clone_stores(self):
        return ["dir", OVERLAY_STORE]

    def check_create(self, name, *, template, store="dir", args=(), trusted=False):
        validate_name(name)
        check_choice("template", template, self.templates())
        args = template_args.validate(template, args, trusted=trusted)
        check_choice("store", store, self.backing_stores())
        self._check_free(name)
        return args

    def create(self, name, *, template, store="dir", args=(), trusted=False, monitor=None):
        self.check_create(name, template=template, store=store, args=args, trusted=trusted)
        output = f"{template}: {name} created (fake)\n"
        if monitor is not None:
            monitor.output(output)
            if monitor.should_stop():
                raise Cancelled(f"template {template!r} was cancelled")
        with self._changing(name):
            self._check_free(name)
            if template in self._failing:
                raise TemplateFailed(f"template {template!r} failed for {name!r}: the fake template fails",
                                     output="the fake template fails")
            self._containers[name] = _Container(name=name, settings=ContainerSettings())
        return CreateResult(name=name, output=output)

    def check_clone(self, source, name, *, store=None):
        validate_name(source, "clone")
        validate_name(name)
        if store is not None:
            check_choice("store", store, self.clone_stores())
        if not self.exists(source):
            raise InvalidInput(f"clone source {source!r} does not exist",
                               fields={"clone": f"container {source!r} does not exist"})
        require_stopped_source(source, self._get(source).state)
        self._check_free(name)

    def clone(self, source, name, *, store=None, monitor=None):
        self.check_clone(source, name, store=store)
        with self._changing(name, source):
            self._check_free(name)
            original = self._get(source)
            require_stopped_source(source, original.state)
            self._containers[name] = _Container(
                name=name, settings=original.settings,
                overlay_of=source if store == OVERLAY_STORE else "")
        return CreateResult(name=name, output="")

    def _check_free(self, name):
        if name in self._containers:
            raise ContainerExists(f"container {name!r} already exists")

    def destroy(self, name, *, force=False, with_snapshots=True, monitor=None):
        with self._changing(name):
            container = self._get(name)
            clones = sorted(c.name for c in self._containers.values() if c.overlay_of == name)
            if clones:
                raise InvalidState(f"container {name!r} is the base of the overlay clones "
                                   f"{', '.join(clones)}; destroy them first")
            if container.state != "STOPPED" and not force:
                raise InvalidState(f"container {name!r} is {container.state}; stop it first "
                                   "or ask for a forced delete")
            del self._containers[name]
        return True

    # ----- snapshots ------------------------------------------------------------------

    def snapshots(self, name):
        return [snapshot for snapshot, _ in self._get(name).snapshots]

    def take_snapshot(self, name, *, comment="", monitor=None):
        comment = validate_snapshot_comment(comment)
        with self._changing(name):
            container = self._get(name)
            if container.state != "STOPPED":
                raise InvalidState(f"container {name!r} is {container.state}: a snapshot is taken of a "
                                   "stopped container only; stop it first")
            taken = max((int(s.name[4:]) + 1 for s, _ in container.snapshots), default=0)
            snapshot = Snapshot(name=f"snap{taken}", comment=comment.strip(),
                                created=datetime.datetime.now().replace(microsecond=0).isoformat())
            container.snapshots.append((snapshot, container.settings))
        return snapshot

    def restore_snapshot(self, name, snapshot, *, force=False, monitor=None):
        validate_snapshot_name(snapshot)
        with self._changing(name):
            container = self._get(name)
            saved = self._saved(container, snapshot)
            if container.state != "STOPPED" and not force:
                raise InvalidState(f"container {name!r} is {container.state}; stop it first or ask "
                                   "for a forced restore")
            container.state, container.settings = "STOPPED", saved
        return True

    def destroy_snapshot(self, name, snapshot):
        validate_snapshot_name(snapshot)
        with self._changing(name):
            container = self._get(name)
            self._saved(container, snapshot)
            container.snapshots = [(s, saved) for s, saved in container.snapshots if s.name != snapshot]
        return True

    def clone_snapshot(self, source, snapshot, name, *, monitor=None):
        check_snapshot_clone(self, source, snapshot, name)
        with self._changing(name, source):
            self._check_free(name)
            saved = self._saved(self._get(source), snapshot)
            self._containers[name] = _Container(name=name, settings=saved)
        return CreateResult(name=name, output="")

    @staticmethod
    def _saved(container, snapshot):
        """The settings `snapshot` of `container` saved, or SnapshotNotFound."""
        for taken, settings in container.snapshots:
            if taken.name == snapshot:
                return settings
        raise SnapshotNotFound(f"container {container.name!r} has no snapshot {snapshot!r}")

    # ----- backups --------------------------------------------------------------------
    # Real archives of the shared format (containers/engines/archive.py): a rootfs of two files
    # and a config holding the fake's settings as LXC keys (cgroup v1's: they keep cpu_shares as is).

    def export_backup(self, name, path, *, comment="", monitor=None):
        comment = validate_snapshot_comment(comment)
        with self._changing(name), tempfile.TemporaryDirectory(prefix="lwp-fake-backup-") as made:
            container = self._get(name)
            rootfs = os.path.join(made, "rootfs")
            os.makedirs(os.path.join(rootfs, "etc"))
            for file, text in (("etc/hostname", name), ("etc/motd", "a fake container\n")):
                with open(os.path.join(rootfs, file), "w") as fh:
                    fh.write(text)
            return archive.back_up(path, engine="fake", container=name, rootfs=rootfs,
                                   config_text=self._config_text(container), comment=comment, state=container.state,
                                   watch=archive.Watch(monitor, timeout=self.backup_timeout, what=f"backup of {name!r}"))

    @staticmethod
    def _config_text(container):
        lines = [f"lxc.uts.name = {container.name}", f"lxc.rootfs.path = dir:/fake/{container.name}/rootfs",
                 "lxc.net.0.type = veth", "lxc.net.0.hwaddr = 00:16:3e:00:00:01"]
        lines += [f"{key} = {value}" for key, value in settings_keys.config_items(container.settings, 1)
                  if value is not None]
        return "\n".join(lines) + "\n"

    def check_backup(self, path, *, trusted=False):
        return backups.check_backup(path, trusted=trusted, max_bytes=self.backup_max_bytes)

    def restore_backup(self, path, name, *, trusted=False, monitor=None):
        validate_name(name)
        self._check_free(name)
        watch = archive.Watch(monitor, timeout=self.backup_timeout, what=f"restore of {name!r}")
        fd, manifest, config = backups.check_file(path, trusted=trusted, max_bytes=self.backup_max_bytes,
                                                  watch=watch, high=30)
        try:
            with tempfile.TemporaryDirectory(prefix="lwp-fake-restore-") as staging:
                archive.extract_rootfs(fd, staging, watch=watch, low=30)
        finally:
            os.close(fd)
        settings = read_settings(backup_config.ConfigItems(config), 1)
        with self._changing(name):
            self._check_free(name)
            self._containers[name] = _Container(name=name, settings=settings)
        watch.set_percent(100)
        return CreateResult(name=name, output=archive.restored_output(manifest))

    # ----- settings -------------------------------------------------------------------

    def get_settings(self, name):
        return self._get(name).settings

    def update_settings(self, name, changes):
        with self._changing(name):
            container = self._get(name)
            current = container.settings
            clean = settings_rules.validate(changes, current=current, host=self.host)
            wanted = dataclasses.replace(current, **clean)
            changed = [f for f in clean if getattr(current, f) != getattr(wanted, f)]
            container.settings = wanted
            restart_needed = bool(changed) and container.state in ACTIVE_STATES and any(
                f not in settings_rules.APPLIED_WITHOUT_RESTART for f in changed)
            return SettingsResult(settings=wanted, changed=changed, restart_needed=restart_needed)

    # ----- host -----------------------------------------------------------------------

    def console_command(self, name, mode):
        """Refused as the real engine refuses; else a stand-in on the host that greets with the
        container's name and echoes what is typed (cat: it runs nothing it is given)."""
        validate_name(name)
        validate_console_mode(mode)
        with self._guard:
            state = self._get(name).state
        require_console_state(name, state)
        return [FAKE_CONSOLE_SHELL, "-c", 'printf "fake %s console of %s\\r\\n" "$1" "$0"; exec cat', name, mode]

    def host_checks(self):
        return [CheckGroup("Fake host", [Check("in-memory containers", OK, "always available")])]

    def host_info(self):
        return HostInfo(hostname="fake-host", kernel="6.1.0-fake", lxc_version=None, cgroup_version=2,
                        cpus=2, load=(0.0, 0.0, 0.0), memory_total=4 << 30, memory_used=1 << 30,
                        uptime_seconds=3600, lxcpath=None, disk_total=100 << 30, disk_used=10 << 30,
                        disk_free=90 << 30)

    def host_usage(self):
        return HostUsage(load1=0.0, load5=0.0, load15=0.0, cpus=2, cpu_busy_ns=60 * 10**9, cpu_total_ns=7200 * 10**9,
                         memory_total_bytes=4 << 30, memory_used_bytes=1 << 30, swap_total_bytes=0, swap_used_bytes=0,
                         disk_total_bytes=100 << 30, disk_used_bytes=10 << 30)

