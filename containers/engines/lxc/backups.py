"""Backups of liblxc containers: what runs in the guarded child for export and restore.

LXCEngine (engine.py) decides locks, deadlines and clean-up; the archive itself is
containers/engines/archive.py, the config rules backup_config.py. Each function here runs in a
forked child of deadline.run_with_deadline, so its tar and zstd die with it on a deadline or a
cancel. The child cannot reach the job (no database there): it reports progress as lines of
its output, which ProgressRelay turns back into set_progress on the parent's side.
"""

import contextlib
import ctypes
import dataclasses
import errno
import os
import shutil
import subprocess
import tempfile

from containers.engines import archive
from containers.engines.lxc import backup_config
from containers.engines.lxc.container_ops import config_item, freeze_container, unfreeze_container
from containers.engines.lxc.deadline import _libc
from lwp.exceptions import ContainerExists, InvalidArchive, InvalidState, LXCError

ENGINE = "lxc"
COPY_PREFIX = "lwp-backup-tmp-"
STAGING_PREFIX = ".lwp-restore-"  # in the lxcpath; a dot name liblxc never takes for a container
_PROGRESS_MARK = "\x1elwp-progress "
_AT_FDCWD = -100
_RENAME_NOREPLACE = 1


@dataclasses.dataclass(frozen=True)
class BackupSource:
    """What a backup of one container reads: read under its lock, in a guarded child."""

    state: str
    directory: str  # the container's own directory (<lxcpath>/<name>)
    rootfs: str
    config_text: str


def backup_source(container):
    """The container's state, dir rootfs and config; InvalidState for any other backing store."""
    value = config_item(container, "lxc.rootfs.path")
    store, colon, location = value.partition(":")
    if not colon:
        store, location = "dir", value
    if store != "dir" or not os.path.isabs(location) or not os.path.isdir(location):
        raise InvalidState(f"container {container.name!r} is not backed by a plain directory "
                           f"({value[:120] or 'no rootfs'}); LWP backs up dir containers only")
    with open(container.config_file_name, encoding="utf-8", errors="surrogateescape") as fh:
        config_text = fh.read(archive.CONFIG_LIMIT + 1)
    if len(config_text) > archive.CONFIG_LIMIT:
        raise InvalidState(f"the config of {container.name!r} is over {archive.CONFIG_LIMIT} bytes")
    return BackupSource(state=container.state, directory=os.path.dirname(container.config_file_name),
                        rootfs=location, config_text=config_text)


# ----- progress across the process boundary ---------------------------------------------------


class ChildMonitor:
    """The child's JobMonitor: output and progress as lines of its output (fd 1)."""

    def output(self, text):
        os.write(1, text.encode("utf-8", "replace"))

    def set_progress(self, percent):
        os.write(1, f"{_PROGRESS_MARK}{percent}\n".encode())

    def should_stop(self):
        return False  # the parent asks the job, and kills the child's group


class ProgressRelay:
    """The parent's side: the child's output to `monitor` (may be None), progress lines as progress."""

    def __init__(self, monitor):
        self.monitor = monitor
        self.partial = ""

    def output(self, text):
        lines = (self.partial + text).split("\n")
        self.partial = lines.pop()
        for line in lines:
            if line.startswith(_PROGRESS_MARK):
                self.set_progress(int(line[len(_PROGRESS_MARK):]))
            elif self.monitor is not None:
                self.monitor.output(line + "\n")

    def set_progress(self, percent):
        if self.monitor is not None:
            self.monitor.set_progress(percent)

    def should_stop(self):
        return self.monitor is not None and self.monitor.should_stop()


def remove_quietly(*paths):
    """Remove files or directory trees a failed backup or restore made (those that exist)."""
    for path in paths:
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path, ignore_errors=True)
        else:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)


# ----- export -----------------------------------------------------------------------------------


def frozen_copy(lxc, container, version, rootfs, destination):
    """Copy the running container's rootfs to `destination` while it is frozen; thaw it after.

    A FROZEN container is copied as it is and stays FROZEN. liblxc refuses to snapshot a
    running dir container, so this copy is the "snapshot taken for the purpose".
    """
    froze = container.state == "RUNNING"
    if froze:
        freeze_container(container, version)
    try:
        copied = subprocess.run(["cp", "-a", "--reflink=auto", "--", rootfs, destination],
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                check=False)
        if copied.returncode != 0:
            reason = copied.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no reason given"]
            raise LXCError(f"could not copy the rootfs of {container.name!r}: {reason[0][:300]}")
    finally:
        if froze:
            unfreeze_container(lxc, container)
    return destination


def write_backup(path, *, name, source, comment):
    """Archive `source` into the file `path` (made empty by archive.create_exclusive)."""
    return archive.back_up(path, engine=ENGINE, container=name, rootfs=source.rootfs,
                           config_text=source.config_text, comment=comment, state=source.state,
                           watch=archive.Watch(ChildMonitor(), what=f"backup of {name!r}"), created=True)


# ----- check and restore -----------------------------------------------------------------------


def check_file(path, *, trusted, max_bytes, watch, high=99):
    """(fd, manifest, config text) of the archive at `path`, its config allowed for this user.

    The fd stays open for the caller to unpack the very file it checked (closed here on failure).
    """
    fd = archive.open_archive(path)
    try:
        manifest, config = archive.check(fd, max_bytes=max_bytes, watch=watch, high=high)
        backup_config.check(config, trusted=trusted)
    except BaseException:
        os.close(fd)
        raise
    return fd, manifest, config


def check_backup(path, *, trusted, max_bytes):
    fd, manifest, _ = check_file(path, trusted=trusted, max_bytes=max_bytes,
                                 watch=archive.Watch(what="backup check"))
    os.close(fd)
    return manifest


def restore(lxc, path, staging, *, name, lxcpath, trusted, max_bytes):
    """Check the archive, unpack it in `staging`, then put it in place as `name`; its manifest.

    Until the final rename nothing is in the lxcpath but `staging`, which holds no config
    of its own, so liblxc never lists a half-restored container.
    """
    watch = archive.Watch(ChildMonitor(), what=f"restore of {name!r}")
    watch.log("checking the archive")
    fd, manifest, config = check_file(path, trusted=trusted, max_bytes=max_bytes, watch=watch, high=30)
    target = os.path.join(staging, "container")
    try:
        os.mkdir(target, 0o770)
        watch.log(f"unpacking the rootfs of {manifest.get('container')!r}")
        archive.extract_rootfs(fd, target, watch=watch, low=30)
    finally:
        os.close(fd)
    final = os.path.join(lxcpath, name)
    with open(os.open(os.path.join(target, "config"), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640), "w") as fh:
        fh.write(backup_config.rewrite(config, name=name, rootfs=os.path.join(final, "rootfs")))
    os.chmod(target, 0o770)  # as lxc-create leaves a container's directory
    rename_noreplace(target, final, name)
    try:
        loaded = lxc.Container(name, lxcpath).defined
    except RuntimeError:
        loaded = False
    if not loaded:
        raise InvalidArchive("the backup's config cannot be loaded by liblxc")
    watch.set_percent(100)
    return manifest


def rename_noreplace(source, destination, name):
    """Move `source` to `destination`, which must not exist (not even as an empty directory)."""
    libc = _libc()
    if libc.renameat2(_AT_FDCWD, os.fsencode(source), _AT_FDCWD, os.fsencode(destination),
                      _RENAME_NOREPLACE) != 0:
        error = ctypes.get_errno()
        if error == errno.EEXIST:
            raise ContainerExists(f"container {name!r} already exists")
        raise LXCError(f"cannot move the restored container into place: {os.strerror(error)}")


def staging_dir(lxcpath):
    return tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=lxcpath)
