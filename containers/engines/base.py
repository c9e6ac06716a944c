"""What a container engine must offer: the one contract between the services and an engine.

The services reach containers only through an object satisfying `ContainerEngine`
(`containers.engines.get_engine()`). Engines return the frozen dataclasses of
containers/engines/types.py, never an object of their own library, and fail with
the typed errors of lwp.exceptions:

- ContainerNotFound   no container of that name
- ContainerExists     create/clone onto a name that is taken
- InvalidName         a name outside the name rule (validate_name)
- InvalidInput        a bad argument, with `fields` naming it (store, template, xargs, timeout, settings)
- InvalidState        the container's state forbids the action (start a RUNNING one...)
- ContainerBusy       another operation holds the container
- BrokenConfig        the container exists but its engine cannot load it
- TemplateFailed      a create or clone failed; nothing of the new container is left
- SnapshotNotFound    no snapshot of that name
- InvalidArchive      a backup archive that is damaged, hostile or not made by LWP (nothing was written)
- LXCError / LXCTimeout  the engine itself failed or overran its deadline

Implementations: containers/engines/lxc/ (liblxc) and containers/engines/fake.py (in
memory, for tests about permissions, forms and serializers). containers/tests/test_engine_contract.py
runs the same assertions against both. The functions at the end are rules every engine applies.
"""

import math
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from containers.engines.types import (
    BackupArchive, CheckGroup, ContainerInfo, ContainerSettings, ContainerSummary, CreateResult, HostInfo,
    HostUsage, SettingsResult, Snapshot, Usage,
)
from containers.vocabulary import MAX_STOP_TIMEOUT, allowed_actions, validate_name, validate_snapshot_name
from lwp.exceptions import InvalidInput, InvalidState

# The store name that asks clone() for an overlay clone: copy-on-write over its source, which
# then cannot be destroyed while the clone exists. Not a snapshot (a container's saved state).
OVERLAY_STORE = "overlay"


@dataclass(frozen=True)
class Capabilities:
    """What this engine supports beyond the required methods, so a surface can hide the rest.

    A method whose capability is False raises InvalidInput (never a library error).
    """

    freeze: bool  # freeze()/unfreeze()
    overlay_clone: bool  # clone(..., store=OVERLAY_STORE) on this host
    raw_config: bool  # raw_config(): the container's configuration as the engine stores it
    template_arguments: bool  # create(args=...): arguments handed to the template
    kernel_memory: bool  # ContainerInfo.kmem_bytes can be other than None on this host
    swap_limit: bool  # ContainerSettings.swap_limit can be set on this host
    backups: bool  # export_backup(), check_backup(), restore_backup()
    console: bool  # console_command()


class JobMonitor(Protocol):
    """What a long call (create, clone, destroy) reports through while it runs: an operation's Job."""

    def output(self, text: str) -> None:
        """The call's output (a template's) as it comes, in any chunks."""

    def set_progress(self, percent: int) -> None: ...

    def should_stop(self) -> bool:
        """True once the call must stop: it then raises Cancelled, having undone its work."""


@runtime_checkable
class ContainerEngine(Protocol):
    """A container engine. Names follow containers' name rule; every method is safe to call
    from any thread of the web server."""

    # ----- reads ----------------------------------------------------------------------

    def capabilities(self) -> Capabilities: ...

    def list_containers(self, *, details: bool = False) -> list[ContainerSummary]:
        """Every container, sorted by name; one it cannot load is listed as BROKEN, with `error`.

        details=True also fills ipv4, memory_bytes (running ones) and autostart.
        """

    def exists(self, name: str) -> bool:
        """True when `name` is defined, also when its configuration is broken."""

    def state(self, name: str) -> str:
        """One of vocabulary STATES (upper case)."""

    def info(self, name: str) -> ContainerInfo:
        """Live figures; the ones this engine or host cannot give are None."""

    def raw_config(self, name: str) -> str:
        """The container's configuration as stored, for read-only display (capability raw_config)."""

    def usage(self, names: list[str] | None = None) -> dict[str, Usage]:
        """Counters of the RUNNING and FROZEN containers among `names` (all when None; a frozen one
        still holds its memory, and its counters stand still), read without forking
        where that cannot hang (cgroup files, /proc/<init pid>/net/dev): a pass over 100 running
        containers must cost a few ms. A container that is not running, is gone, or cannot be read
        in time is left out (logged), never an error for the others."""

    def host_usage(self) -> HostUsage:
        """The host's load, CPU counters, memory and the lxcpath's filesystem, without forking."""

    # ----- power actions: each returns the state reached, and raises InvalidState ------
    # ----- when the current state does not allow the action.                      ------

    def start(self, name: str) -> str: ...

    def stop(self, name: str, *, timeout: float | None = None, force: bool = False) -> str:
        """Shut down, gracefully for `timeout` seconds (None: the engine's default), then kill.

        force: kill at once. A timeout outside 0..MAX_STOP_TIMEOUT is InvalidInput(fields=timeout).
        """

    def restart(self, name: str, *, timeout: float | None = None, force: bool = False) -> str: ...

    def freeze(self, name: str) -> str: ...

    def unfreeze(self, name: str) -> str: ...

    # ----- life cycle -----------------------------------------------------------------

    def templates(self) -> list[str]:
        """The templates installed here, sorted."""

    def template_options(self, template: str) -> list[str] | None:
        """The options `template` accepts from anyone, sorted; None for a template the engine
        does not vet (it may read host files: only a trusted caller may use it, with any
        arguments but the engine's own)."""

    def backing_stores(self) -> list[str]:
        """Stores create() accepts on this host ("dir" always)."""

    def clone_stores(self) -> list[str]:
        """Stores clone() accepts: backing_stores(), plus OVERLAY_STORE with capability overlay_clone."""

    def check_create(self, name: str, *, template: str, store: str = "dir", args=(),
                     trusted: bool = False) -> list[str]:
        """Raise what create() would raise for these arguments before it starts (a bad name,
        template, store or argument; a name that is taken); returns the checked arguments."""

    def create(self, name: str, *, template: str, store: str = "dir", args=(),
               trusted: bool = False, monitor: JobMonitor | None = None) -> CreateResult:
        """Create `name` from `template`; on failure nothing of it is left (TemplateFailed).

        args: the template's arguments (["--dist", "debian"]), checked against
        template_options(); `trusted` allows any but the engine's own to an unvetted template.
        A `monitor` gets the template's output as it comes and can cancel the create.
        """

    def check_clone(self, source: str, name: str, *, store: str | None = None) -> None:
        """Raise what clone() would raise before it starts (bad names or store, no source, name taken)."""

    def clone(self, source: str, name: str, *, store: str | None = None,
              monitor: JobMonitor | None = None) -> CreateResult:
        """Copy the STOPPED container `source` as `name`; a source that does not exist is
        InvalidInput(fields=clone)."""

    def destroy(self, name: str, *, force: bool = False, with_snapshots: bool = True,
                monitor: JobMonitor | None = None) -> bool:
        """Destroy a STOPPED container (force: stop it first, or remove a BROKEN one).

        The source of an overlay clone is InvalidState while the clone exists.
        """

    # ----- snapshots ------------------------------------------------------------------

    def snapshots(self, name: str) -> list[Snapshot]:
        """The container's snapshots, oldest first."""

    def take_snapshot(self, name: str, *, comment: str = "", monitor: JobMonitor | None = None) -> Snapshot:
        """Snapshot a STOPPED container (InvalidState otherwise: its files must not change during
        the copy); `comment` is plain text (validate_snapshot_comment)."""

    def restore_snapshot(self, name: str, snapshot: str, *, force: bool = False,
                         monitor: JobMonitor | None = None) -> bool:
        """Bring the container back to `snapshot` (SnapshotNotFound if it has none of that name);
        a running or frozen one is InvalidState unless `force`, which stops it first."""

    def destroy_snapshot(self, name: str, snapshot: str) -> bool: ...

    def clone_snapshot(self, source: str, snapshot: str, name: str, *,
                       monitor: JobMonitor | None = None) -> CreateResult:
        """A new container `name` with the content and settings of `source`'s `snapshot` (the
        source may be running); nothing of `name` is left if it fails."""

    # ----- backups ----------------------------------------------------------------------
    # The archive format is the engines' own (containers/engines/archive.py): one zstd-compressed
    # tar holding `lwp-backup.json` (the manifest), `config` and `rootfs/`, owners numeric,
    # modes, xattrs and device nodes kept.

    def export_backup(self, name: str, path: str, *, comment: str = "",
                      monitor: JobMonitor | None = None) -> BackupArchive:
        """Write a backup of `name` to the new file `path` (0600). A running container is copied
        while frozen (then thawed) and archived from that copy, so the archive is consistent.
        Progress is bytes done of bytes total; on failure or cancel no file is left at `path`.
        The writer stages small files in the directory `path + ".meta"`; after a killed writer the
        caller removes both."""

    def check_backup(self, path: str, *, trusted: bool = False) -> dict:
        """Read the archive at `path` without writing anything; its manifest, or InvalidArchive
        (absolute paths, `..`, links out, device nodes outside rootfs/, a truncated file, sizes over
        the limit, a config with settings outside the allowed list unless `trusted`)."""

    def restore_backup(self, path: str, name: str, *, trusted: bool = False,
                       monitor: JobMonitor | None = None) -> CreateResult:
        """A new container `name` from the archive at `path` (checked first, as check_backup);
        ContainerExists if taken; nothing of `name` is left if it fails or is cancelled."""

    # ----- settings -------------------------------------------------------------------

    def get_settings(self, name: str) -> ContainerSettings: ...

    def update_settings(self, name: str, changes: dict) -> SettingsResult:
        """Check `changes` (containers.engines.settings.validate) and save them.

        Fields not in ContainerSettings, or values this host cannot honour, are
        InvalidInput naming each field; restart_needed says a running container applies
        them only once restarted.
        """

    # ----- console ----------------------------------------------------------------------

    def console_command(self, name: str, mode: str) -> list[str]:
        """The argv that opens a console into the RUNNING container `name` (capability console),
        for containers.console.ConsoleSession to run under a pseudo-terminal on the host.

        mode: one of vocabulary CONSOLE_MODES, "shell" (a login shell as root in the container,
        in a clean environment) or "tty" (the container's own console). An unknown mode is
        InvalidInput(fields=mode); a container not RUNNING is InvalidState.
        """

    # ----- host -----------------------------------------------------------------------

    def host_info(self) -> HostInfo: ...

    def host_checks(self) -> list[CheckGroup]:
        """What this host needs for containers, checked (ok, warning, missing), each with a hint."""


# ----- rules every engine applies ------------------------------------------------------


def require_stopped_source(source, state):
    """Only a stopped container is cloned: a running one's files change under the copy."""
    if state != "STOPPED":
        raise InvalidState(f"container {source!r} is {state}; stop it before cloning")


def check_snapshot_clone(engine, source, snapshot, name):
    """The names of a clone from a snapshot, and its source there (InvalidInput naming clone)."""
    validate_name(source, "clone")
    validate_snapshot_name(snapshot)
    validate_name(name)
    if not engine.exists(source):
        raise InvalidInput(f"clone source {source!r} does not exist",
                           fields={"clone": f"container {source!r} does not exist"})


def stop_grace(timeout, default):
    """Whole seconds of graceful shutdown for stop()/restart(): `default` or a checked number."""
    if timeout is None:
        return default
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) \
            or not 0 <= timeout <= MAX_STOP_TIMEOUT:
        message = f"must be a number of seconds from 0 to {MAX_STOP_TIMEOUT}"
        raise InvalidInput(f"timeout {message}", fields={"timeout": message})
    return math.ceil(timeout)  # engines count whole seconds; 0.5 must not become 0


# Why a state refuses an action, as engines say it: {action: {state: reason}}, "*" for any other state.
_REFUSALS = {
    "start": {"RUNNING": "already RUNNING", "FROZEN": "FROZEN; unfreeze it instead",
              "*": "{state}; try again when it settles"},
    "stop": {"*": "already {state}"},
    "freeze": {"*": "{state}; only a RUNNING container can be frozen"},
    "unfreeze": {"*": "{state}; only a FROZEN container can be unfrozen"},
    "restart": {"*": "{state}; only a running or frozen container can be restarted"},
}


def require_action(name, state, action):
    """InvalidState unless a container in `state` allows the power `action` (vocabulary's table)."""
    if action not in allowed_actions(state):
        reasons = _REFUSALS[action]
        raise InvalidState(f"container {name!r} is " + reasons.get(state, reasons["*"]).format(state=state))


def require_console_state(name, state):
    """Only a RUNNING container has a console to open (a frozen one would not answer)."""
    if state != "RUNNING":
        raise InvalidState(f"container {name!r} is {state}; only a RUNNING container has a console")


def check_choice(field, value, choices):
    """InvalidInput naming `field` unless `value` is one of `choices` (a template, a store)."""
    if not isinstance(value, str) or value not in choices:
        shown = value[:80] if isinstance(value, str) else type(value).__name__
        message = f"{shown!r} is not available here; choose one of: {', '.join(choices) or 'none'}"
        raise InvalidInput(f"{field} {message}", fields={field: message})
