"""Per-container locks: one operation at a time per container, across the server's processes."""

import contextlib
import dataclasses
import errno
import fcntl
import hashlib
import os
import time

from lwp.exceptions import ContainerBusy


@dataclasses.dataclass(frozen=True)
class HeldLock:
    """A container's lock, held: its open lock file and the path it must still be at."""

    name: str
    path: str
    fd: int

    def release(self):
        """Unlink the lock file while still holding it, then close: no file outlives its holder.

        Safe because only a holder unlinks, and an acquirer that opened the old file
        sees after its flock that the path no longer leads to it, and starts again.
        """
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)
        os.close(self.fd)


def _is_current(fd, path):
    """True when `path` still names the file open as `fd` (not unlinked, not replaced)."""
    try:
        named = os.stat(path)
    except FileNotFoundError:
        return False
    opened = os.fstat(fd)
    return (opened.st_dev, opened.st_ino) == (named.st_dev, named.st_ino)


def _try_flock(fd):
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError as exc:
        if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN):
            raise
        return False


class ContainerLocks:
    """One operation at a time per container, across every process of the server.

    flock on a file per (lxcpath, name): the kernel drops it when its holder dies,
    so a killed worker never leaves a container locked. The file is opened
    close-on-exec, and guarded calls run in workers that close it, so templates and
    monitors never hold the lock. The holder removes the file when it lets go, so
    operations on names that never existed leave nothing behind.
    """

    def __init__(self, lock_dir, lxcpath):
        digest = hashlib.sha256(os.fsencode(lxcpath)).hexdigest()[:16]
        self.directory = os.path.join(lock_dir, digest)

    def path_for(self, name):
        return os.path.join(self.directory, f"{name}.lock")

    @contextlib.contextmanager
    def hold(self, names, *, wait):
        """Hold the locks of `names` (sorted, so two holders never deadlock); yields the HeldLocks."""
        os.makedirs(self.directory, mode=0o700, exist_ok=True)
        held = []
        try:
            deadline = time.monotonic() + wait
            for name in sorted(set(names)):
                held.append(self._acquire(name, deadline, wait))
            yield tuple(held)
        finally:
            for lock in reversed(held):
                lock.release()

    def _acquire(self, name, deadline, wait):
        path = self.path_for(name)
        fd = None
        try:
            while True:
                if fd is None:
                    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
                if _try_flock(fd):
                    if _is_current(fd, path):
                        lock, fd = HeldLock(name, path, fd), None
                        return lock
                    os.close(fd)  # its holder removed it meanwhile: lock the file now at `path`
                    fd = None
                    continue
                if time.monotonic() >= deadline:
                    raise ContainerBusy(
                        f"container {name!r} is busy with another operation; "
                        f"still busy after {wait:g} s, try again shortly")
                time.sleep(0.05)
        finally:
            if fd is not None:
                os.close(fd)

    def is_held(self, name):
        """True when some process holds the lock of `name` (for tests and health checks)."""
        try:
            fd = os.open(self.path_for(name), os.O_RDWR | os.O_CLOEXEC)
        except FileNotFoundError:
            return False
        try:
            if _try_flock(fd):
                fcntl.flock(fd, fcntl.LOCK_UN)
                return False
            return True
        finally:
            os.close(fd)
