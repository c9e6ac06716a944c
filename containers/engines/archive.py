"""Backup archives: the engines' one format, written, checked and unpacked with GNU tar and zstd.

An archive is one zstd-compressed tar (`.tar.zst`) whose members come in this order:

    lwp-backup.json   the manifest (FORMAT, VERSION, the engine, the container, when, comment, sizes)
    config            the container's configuration, as its engine stores it
    rootfs            the root filesystem: rootfs/bin, rootfs/etc/passwd, ...

written in POSIX (pax) format with numeric owners, modes, ACLs, xattrs (every namespace), hard
links, device nodes and fifos, so a restored container runs again. tar and zstd run as argv
lists, never through a shell; Python sits in the middle of each pipeline to count bytes
(progress), to stop it on cancel or when its deadline passes (the children are killed), and
to leave no file behind when it fails.

An archive comes from anyone who may upload one, so it is read twice: `check` walks its headers
in Python (tarfile, streaming, nothing written) against explicit rules, and only then `extract`
hands it to GNU tar, from the same open file. The rules are `_MemberRules`: only the three
members above, canonical relative names, no member reached through a symlink of the archive,
hard links only to earlier regular files under rootfs/, device nodes and fifos under rootfs/
only, sizes and counts bounded before any data is read.
"""

import contextlib
import datetime
import hashlib
import json
import os
import select
import shutil
import stat
import subprocess
import tarfile
import tempfile
import threading
import time

from containers.engines.types import BackupArchive
from lwp.exceptions import Cancelled, InvalidArchive, LXCError, LXCTimeout

FORMAT = "lwp-backup"
VERSION = 1
KNOWN_VERSIONS = (1,)
MANIFEST = "lwp-backup.json"
CONFIG = "config"
ROOTFS = "rootfs"

MANIFEST_LIMIT = 64 << 10
CONFIG_LIMIT = 256 << 10
# A pax or GNU long-name header is read into memory whole: one claiming more is refused unread.
EXTENSION_LIMIT = 1 << 20
# Members one archive may hold (a full distribution has some 10^5); their names are kept while checking.
MAX_MEMBERS = 2_000_000
# What may follow the end-of-archive blocks (tar pads to its record size, 10 KiB).
TRAILER_LIMIT = 1 << 20

_CHUNK = 1 << 20
_POLL = 0.2
_OUTPUT_TAIL = 2000

# tar's options for what a container needs to run again, on both sides.
_PRESERVE = ["--numeric-owner", "--acls", "--xattrs", "--xattrs-include=*"]
_MEMBER_TYPES = {tarfile.REGTYPE, tarfile.AREGTYPE, tarfile.DIRTYPE, tarfile.SYMTYPE, tarfile.LNKTYPE,
                 tarfile.CHRTYPE, tarfile.BLKTYPE, tarfile.FIFOTYPE}
_DEVICE_TYPES = {tarfile.CHRTYPE, tarfile.BLKTYPE, tarfile.FIFOTYPE}
# pax keywords GNU tar writes for the options above; anything else (GNU.sparse.*...) could make
# GNU tar read a member otherwise than the check did.
_PAX_KEYS = {"path", "linkpath", "size", "uid", "gid", "uname", "gname", "mtime", "atime", "ctime",
             "hdrcharset", "SCHILY.devmajor", "SCHILY.devminor", "SCHILY.acl.access", "SCHILY.acl.default"}
_PAX_PREFIXES = ("SCHILY.xattr.",)


# ----- watching a long step: progress, log, cancel, deadline ----------------------------------


class Watch:
    """A pipeline's monitor (engines.base.JobMonitor, or None) and deadline (seconds, or None)."""

    def __init__(self, monitor=None, *, timeout=None, what="backup"):
        self.monitor = monitor
        self.what = what
        self.timeout = timeout
        self.deadline = time.monotonic() + timeout if timeout else None
        self.percent = -1
        self.timed_out = threading.Event()

    def checkpoint(self):
        """Raise Cancelled once the monitor says stop, LXCTimeout once the deadline passed."""
        if self.monitor is not None and self.monitor.should_stop():
            raise Cancelled(f"{self.what} was cancelled")
        if self.timed_out.is_set() or (self.deadline is not None and time.monotonic() >= self.deadline):
            raise self._overran()

    def _overran(self):
        return LXCTimeout(f"{self.what} did not finish within {self.timeout:g} s and was stopped")

    def progress(self, done, total, *, low=0, high=99):
        """Progress from `low` to `high` percent as `done` of `total` bytes (told only on change)."""
        fraction = min(1.0, done / total) if total > 0 else 0.0
        self.set_percent(low + int((high - low) * fraction))

    def set_percent(self, percent):
        if percent != self.percent and self.monitor is not None:
            self.percent = percent
            self.monitor.set_progress(percent)

    def log(self, line):
        if self.monitor is not None:
            self.monitor.output(line + "\n")

    @contextlib.contextmanager
    def guarding(self, processes):
        """Kill `processes` when the deadline passes (a blocked read or write then ends), and
        whenever the block is left by an exception (cancel, failure): none outlives the step."""
        timer = None
        if self.deadline is not None:
            def expire():
                self.timed_out.set()
                _kill(processes)
            timer = threading.Timer(max(0.0, self.deadline - time.monotonic()), expire)
            timer.daemon = True
            timer.start()
        try:
            yield
        except BaseException:
            _kill(processes)
            if self.timed_out.is_set():
                raise self._overran() from None
            raise
        else:
            if self.timed_out.is_set():  # the killed children ended the step as if it were done
                raise self._overran()
        finally:
            if timer is not None:
                timer.cancel()


def _kill(processes):
    for process in processes:
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
    for process in processes:
        with contextlib.suppress(Exception):
            process.wait()


def _tail(errors):
    errors.seek(0)
    return errors.read()[-_OUTPUT_TAIL:].decode("utf-8", "replace").strip()


def _last_line(text):
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[-1][:300] if lines else "no reason given"


# ----- writing ----------------------------------------------------------------------------------


def new_manifest(*, engine, container, comment, rootfs_bytes, rootfs_entries, **extra):
    """The manifest of a new archive: what it is, of what, when, and how big its rootfs was."""
    created = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat()
    return {"format": FORMAT, "version": VERSION, "engine": engine, "container": container,
            "created": created, "comment": comment, "rootfs_bytes": rootfs_bytes,
            "rootfs_entries": rootfs_entries, **extra}


def back_up(path, *, engine, container, rootfs, config_text, comment, watch, created=False, **extra):
    """Archive the container `container` (its `rootfs` dir and `config_text`) into `path`.

    `engine` is LWP's name for the engine; `extra` goes into the manifest. See write_archive.
    """
    watch.log(f"measuring the rootfs of {container!r}")
    file_bytes, entries, estimate = measure(rootfs)
    manifest = new_manifest(engine=engine, container=container, comment=comment, rootfs_bytes=file_bytes,
                            rootfs_entries=entries, **extra)
    watch.log(f"archiving {entries} entries, {file_bytes >> 20} MiB")
    return write_archive(path, rootfs=rootfs, config_text=config_text, manifest=manifest, watch=watch,
                         estimate=estimate, created=created)


def restored_output(manifest):
    """What a restore says it did (CreateResult.output)."""
    return f"restored from a backup of {manifest.get('container')!r} taken {manifest.get('created')}\n"


def measure(rootfs):
    """(bytes of the rootfs's files, entries, the tar stream's size as estimated for progress)."""
    file_bytes, entries, estimate = 0, 1, 3 * 512
    linked = set()
    for directory, dirs, files in os.walk(rootfs):
        for entry in dirs + files:
            entries += 1
            estimate += 3 * 512  # a pax header, its data, the member's header
            try:
                info = os.lstat(os.path.join(directory, entry))
            except OSError:
                continue
            if not stat.S_ISREG(info.st_mode):
                continue
            if info.st_nlink > 1:
                if (info.st_dev, info.st_ino) in linked:
                    continue
                linked.add((info.st_dev, info.st_ino))
            file_bytes += info.st_size
            estimate += -(-info.st_size // 512) * 512
    return file_bytes, entries, estimate


def create_exclusive(path):
    """Create the archive file `path` (0600, which must not exist) and close it."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600))
    except OSError as exc:
        raise LXCError(f"cannot create the backup file {path}: {exc.strerror}") from None


def staging_dir(path):
    """Where the manifest and config wait for tar while `path` is written: beside the archive, in
    the backups dir, not in /tmp (a killed writer's leftovers are then found by its name)."""
    return f"{path}.meta"


def write_archive(path, *, rootfs, config_text, manifest, watch, estimate, created=False):
    """Write the archive of `rootfs` and `config_text` to `path`; its BackupArchive.

    `path` must not exist, unless `created` (create_exclusive made it, empty, for this call).
    On any failure, cancel or deadline, `path` is removed.
    """
    flags = os.O_RDWR | os.O_NOFOLLOW | os.O_CLOEXEC | (os.O_TRUNC if created else os.O_CREAT | os.O_EXCL)
    try:
        fd = os.open(path, flags, 0o600)
    except OSError as exc:
        raise LXCError(f"cannot create the backup file {path}: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "r+b") as out, _staging(staging_dir(path)) as meta:
            for member, text in ((MANIFEST, json.dumps(manifest, indent=1) + "\n"), (CONFIG, config_text)):
                with open(os.path.join(meta, member), "w", encoding="utf-8") as fh:
                    fh.write(text)
            stream_bytes = _tar_to_zstd(meta, rootfs, out, watch, estimate)
            watch.log(f"archived {stream_bytes} bytes; computing the SHA-256")
            digest, size = _sha256(out, watch)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
        raise
    watch.set_percent(100)
    return BackupArchive(size_bytes=size, sha256=digest, source_bytes=stream_bytes, manifest=manifest)


@contextlib.contextmanager
def _staging(meta):
    shutil.rmtree(meta, ignore_errors=True)  # a killed earlier writer's
    os.mkdir(meta, 0o700)
    try:
        yield meta
    finally:
        shutil.rmtree(meta, ignore_errors=True)


def _tar_to_zstd(meta, rootfs, out, watch, estimate):
    """tar's stream of meta's two files and rootfs, counted here, compressed by zstd into `out`."""
    tar_argv = ["tar", "--create", "--file=-", "--format=posix", *_PRESERVE,
                r"--transform=s,^\.,rootfs,S",  # ./bin -> rootfs/bin; symlink targets untouched
                "--directory", meta, MANIFEST, CONFIG, "--directory", rootfs, "."]
    with tempfile.TemporaryFile() as tar_errors, tempfile.TemporaryFile() as zstd_errors:
        tar = subprocess.Popen(tar_argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=tar_errors)
        zstd = subprocess.Popen(["zstd", "-T0", "-q", "-c"], stdin=subprocess.PIPE, stdout=out,
                                stderr=zstd_errors)
        done = 0
        with watch.guarding([tar, zstd]):
            last_log = time.monotonic()
            while True:
                watch.checkpoint()
                if not select.select([tar.stdout], [], [], _POLL)[0]:
                    continue
                chunk = os.read(tar.stdout.fileno(), _CHUNK)
                if not chunk:
                    break
                if not _write_all(zstd.stdin.fileno(), chunk):
                    break  # zstd died: its exit status says why
                done += len(chunk)
                watch.progress(done, max(estimate, done + 1), high=95)
                if time.monotonic() - last_log >= 10:
                    last_log = time.monotonic()
                    watch.log(f"{done >> 20} MiB of about {estimate >> 20} MiB archived")
            with contextlib.suppress(BrokenPipeError):
                zstd.stdin.close()
            _wait(tar, watch)
            _wait(zstd, watch)
            watch.checkpoint()
        tar.stdout.close()
        if tar.returncode != 0:
            raise LXCError(f"tar could not archive {rootfs}: {_last_line(_tail(tar_errors))}",
                           output=_tail(tar_errors))
        if zstd.returncode != 0:
            raise LXCError(f"zstd failed: {_last_line(_tail(zstd_errors))}", output=_tail(zstd_errors))
    return done


def _write_all(fd, data):
    """Write all of `data`; False when the reader is gone."""
    view = memoryview(data)
    try:
        while view:
            view = view[os.write(fd, view):]
    except BrokenPipeError:
        return False
    return True


def _wait(process, watch):
    while True:
        try:
            return process.wait(timeout=_POLL)
        except subprocess.TimeoutExpired:
            watch.checkpoint()


def _sha256(out, watch):
    out.flush()
    out.seek(0)
    digest, size = hashlib.sha256(), 0
    while chunk := out.read(_CHUNK):
        digest.update(chunk)
        size += len(chunk)
        watch.checkpoint()
    return digest.hexdigest(), size


# ----- checking ---------------------------------------------------------------------------------


class _BoundedTarInfo(tarfile.TarInfo):
    """A header whose extension (pax, GNU long name) claims more than EXTENSION_LIMIT, or a sparse
    member, is refused before tarfile reads its data into memory."""

    def _proc_member(self, tarfile_):  # tarfile's own dispatch, guarded first
        extensions = (tarfile.GNUTYPE_LONGNAME, tarfile.GNUTYPE_LONGLINK, tarfile.XHDTYPE, tarfile.XGLTYPE,
                      tarfile.SOLARIS_XHDTYPE)
        if self.type in extensions and self.size > EXTENSION_LIMIT:
            raise InvalidArchive(f"the archive has an extended header of {self.size} bytes "
                                 f"(at most {EXTENSION_LIMIT} are allowed)")
        if self.type == tarfile.GNUTYPE_SPARSE:
            raise InvalidArchive(f"member {self.name!r} is a sparse file, which LWP archives never hold")
        return super()._proc_member(tarfile_)


class _WatchedReader:
    """zstd's output as tarfile reads it: checks the watch and reports progress as it goes."""

    def __init__(self, stream, watch, position, high):
        self.stream = stream
        self.watch = watch
        self.position = position  # () -> (bytes of the compressed file read, its size)
        self.high = high
        self.ended = False  # zstd's output ended: zstd has exited, or is exiting
        self.unwatched = _CHUNK  # bytes read since the last look at the watch

    def read(self, size=-1):
        if self.unwatched >= _CHUNK:  # tarfile reads 10 KiB at a time: look every MiB
            self.unwatched = 0
            self.watch.checkpoint()
            self.watch.progress(*self.position(), high=self.high)
        data = self.stream.read(size)
        self.unwatched += len(data)
        self.ended = self.ended or not data
        return data


def _refuse(member, why):
    raise InvalidArchive(f"the archive's member {member!r} {why}")


def _parts(name):
    parts = name.split("/")
    if name.startswith("/"):
        _refuse(name, "has an absolute path")
    if ".." in parts:
        _refuse(name, "has a '..' component")
    if "" in parts or "." in parts:
        _refuse(name, "is not a plain relative path")
    return parts


class _MemberRules:
    """Every member, in order, against the format's rules; what restore needs from it."""

    def __init__(self, max_bytes):
        self.max_bytes = max_bytes
        self.count = 0
        self.total = 0
        self.names = set()
        self.regular = set()  # hard link targets
        self.not_directories = set()  # symlinks and the like: no member may go through one

    def check(self, member):
        name = member.name
        parts = _parts(name)
        position = self.count
        self.count += 1
        if self.count > MAX_MEMBERS:
            raise InvalidArchive(f"the archive has more than {MAX_MEMBERS} members")
        self._check_place(member, position)
        self._check_header(member)
        if name in self.names:
            _refuse(name, "appears twice")
        for depth in range(1, len(parts)):
            if "/".join(parts[:depth]) in self.not_directories:
                _refuse(name, f"lies under {'/'.join(parts[:depth])!r}, which is not a directory "
                              "(a symlink in the archive cannot be written through)")
        if member.islnk():
            if member.linkname not in self.regular:
                _refuse(name, f"is a hard link to {member.linkname!r}, which is not an earlier regular "
                              "file of the archive's rootfs/")
        self.names.add(name)
        if member.isreg() and name.startswith(ROOTFS + "/"):
            self.regular.add(name)
        if not member.isdir():
            self.not_directories.add(name)

    def _check_place(self, member, position):
        expected = {0: (MANIFEST, member.isreg, "a regular file"), 1: (CONFIG, member.isreg, "a regular file"),
                    2: (ROOTFS, member.isdir, "a directory")}
        if position in expected:
            name, is_kind, kind = expected[position]
            if member.name != name:
                _refuse(member.name, f"comes where {name!r} must be (an LWP archive starts with "
                                     f"{MANIFEST}, {CONFIG}, {ROOTFS}/)")
            if not is_kind() or member.type not in (tarfile.REGTYPE, tarfile.AREGTYPE, tarfile.DIRTYPE):
                _refuse(member.name, f"is not {kind}")
            return
        if member.type in _DEVICE_TYPES and not member.name.startswith(ROOTFS + "/"):
            _refuse(member.name, "is a device node or fifo outside rootfs/")
        if not member.name.startswith(ROOTFS + "/"):
            _refuse(member.name, f"is not one of {MANIFEST}, {CONFIG} or {ROOTFS}/")

    def _check_header(self, member):
        if member.type not in _MEMBER_TYPES:
            _refuse(member.name, f"has a member type LWP does not archive ({member.type!r})")
        limit = {MANIFEST: MANIFEST_LIMIT, CONFIG: CONFIG_LIMIT}.get(member.name, self.max_bytes)
        if member.size > limit:
            _refuse(member.name, f"claims {member.size} bytes (at most {limit} are allowed)")
        self.total += member.size
        if self.total > self.max_bytes:
            raise InvalidArchive(f"the archive holds more than {self.max_bytes} bytes (LWP_BACKUP_MAX_BYTES)")
        for key in member.pax_headers:
            if key not in _PAX_KEYS and not key.startswith(_PAX_PREFIXES):
                _refuse(member.name, f"has the extended header {key[:80]!r}, which LWP archives never hold")


def _read_manifest(data):
    try:
        manifest = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise InvalidArchive(f"the archive's {MANIFEST} is not JSON") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise InvalidArchive(f"the archive's {MANIFEST} is not an LWP backup manifest")
    if manifest.get("version") not in KNOWN_VERSIONS:
        raise InvalidArchive(f"the archive's format version {str(manifest.get('version'))[:20]!r} is not "
                             f"one this LWP reads ({', '.join(map(str, KNOWN_VERSIONS))})")
    return manifest


def _read_config(data):
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidArchive(f"the archive's {CONFIG} is not UTF-8 text") from None
    if "\0" in text:
        raise InvalidArchive(f"the archive's {CONFIG} is not text")
    return text


def open_archive(path):
    """The archive file at `path`, open for reading (a regular file, not through a symlink)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError as exc:
        raise InvalidArchive(f"cannot open the archive: {exc.strerror}") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise InvalidArchive("the archive is not a regular file")
    return fd


def check(fd, *, max_bytes, watch, high=99):
    """Read the archive open as `fd` from its start, writing nothing: (manifest, config text).

    InvalidArchive says what is wrong and with which member: not zstd, not tar, truncated,
    or against _MemberRules. Progress goes from 0 to `high` percent.
    """
    size = os.fstat(fd).st_size
    os.lseek(fd, 0, os.SEEK_SET)
    with tempfile.TemporaryFile() as zstd_errors:
        zstd = subprocess.Popen(["zstd", "-dc", "-q"], stdin=fd, stdout=subprocess.PIPE, stderr=zstd_errors)
        with watch.guarding([zstd]):
            reader = _WatchedReader(zstd.stdout, watch, lambda: (os.lseek(fd, 0, os.SEEK_CUR), size), high)
            try:
                found = _check_members(reader, max_bytes)
                _drain(zstd.stdout)
            except (tarfile.TarError, EOFError, InvalidArchive) as exc:
                if reader.ended:  # a truncated file: let zstd finish saying so
                    with contextlib.suppress(subprocess.TimeoutExpired):
                        zstd.wait(timeout=5)
                _kill([zstd])
                _refuse_damaged(zstd, zstd_errors, watch, exc)
            zstd.stdout.close()
            _wait(zstd, watch)
        if zstd.returncode != 0:
            raise InvalidArchive(f"the archive is not a complete zstd file (zstd: {_last_line(_tail(zstd_errors))})")
    watch.progress(1, 1, high=high)
    return found


def _refuse_damaged(zstd, zstd_errors, watch, exc):
    """Why the tar stream broke: zstd's complaint first (not zstd, truncated), else tarfile's."""
    watch.checkpoint()  # a cancel or deadline killed zstd: say that, not "damaged"
    reason = _tail(zstd_errors)
    if zstd.returncode not in (0, -9) and reason:
        raise InvalidArchive(f"the archive is not a complete zstd file (zstd: {_last_line(reason)})") from None
    if isinstance(exc, InvalidArchive):
        raise exc
    raise InvalidArchive(f"the archive is not a complete LWP tar archive ({exc or type(exc).__name__})") from None


def _check_members(reader, max_bytes):
    rules = _MemberRules(max_bytes)
    manifest = config = None
    with tarfile.open(fileobj=reader, mode="r|", tarinfo=_BoundedTarInfo) as archive:
        for member in archive:
            rules.check(member)
            if member.name == MANIFEST:
                manifest = _read_manifest(archive.extractfile(member).read())
            elif member.name == CONFIG:
                config = _read_config(archive.extractfile(member).read())
    if rules.count < 3:
        raise InvalidArchive(f"the archive lacks {(MANIFEST, CONFIG, ROOTFS)[rules.count]!r}")
    return manifest, config


def _drain(stream):
    """Read what follows the end of the tar archive: padding, nothing more."""
    trailing = 0
    while chunk := stream.read(_CHUNK):
        trailing += len(chunk)
        if trailing > TRAILER_LIMIT:
            raise InvalidArchive("the archive has unexpected data after its end")


# ----- unpacking --------------------------------------------------------------------------------


def extract_rootfs(fd, destination, *, watch, low=0):
    """Unpack the rootfs of the archive open as `fd` (checked before) into `destination`/rootfs.

    Only the rootfs member and what lies under it are written; progress goes from `low` to 99
    percent as zstd reads the file.
    """
    size = os.fstat(fd).st_size
    os.lseek(fd, 0, os.SEEK_SET)
    tar_argv = ["tar", "--extract", "--file=-", "--directory", destination, *_PRESERVE, "--same-owner",
                "--same-permissions", ROOTFS]
    with tempfile.TemporaryFile() as tar_errors, tempfile.TemporaryFile() as zstd_errors:
        zstd = subprocess.Popen(["zstd", "-dc", "-q"], stdin=fd, stdout=subprocess.PIPE, stderr=zstd_errors)
        tar = subprocess.Popen(tar_argv, stdin=zstd.stdout, stdout=subprocess.DEVNULL, stderr=tar_errors)
        zstd.stdout.close()  # tar alone reads it: zstd sees a closed pipe should tar die
        with watch.guarding([zstd, tar]):
            while True:
                watch.checkpoint()
                watch.progress(os.lseek(fd, 0, os.SEEK_CUR), size, low=low)
                try:
                    tar.wait(timeout=_POLL)
                    break
                except subprocess.TimeoutExpired:
                    continue
            _wait(zstd, watch)
        if tar.returncode != 0:  # first: zstd fails too once tar stopped reading
            raise LXCError(f"tar could not unpack the archive: {_last_line(_tail(tar_errors))}",
                           output=_tail(tar_errors))
        if zstd.returncode != 0:
            raise InvalidArchive(f"the archive is not a complete zstd file (zstd: {_last_line(_tail(zstd_errors))})")
