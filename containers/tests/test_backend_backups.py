"""Backups on real liblxc: what a restore brings back, running containers, cancel, deadlines, and
hostile archives refused with nothing written."""

import os
import signal
import stat
import tarfile

import pytest

from containers.engines.base import OVERLAY_STORE
from containers.engines.lxc.container_ops import wait_until
from containers.engines.lxc.engine import LXCEngine
from containers.tests import archive_support
from containers.tests.archive_support import RecordingMonitor, member, sha256_of
from containers.tests.lxc_support import adhoc, new_name, run_python  # noqa: F401 - adhoc is a fixture
from lwp.exceptions import Cancelled, InvalidArchive, InvalidState, LXCTimeout

BIG_FILE_BYTES = 256 << 20


def rootfs(lxcpath, name):
    return os.path.join(lxcpath, name, "rootfs")


def describe(path):
    """What a restore must bring back of one file: kind, mode, owners, content, target, device, xattrs."""
    info = os.lstat(path)
    facts = {"kind": stat.S_IFMT(info.st_mode), "mode": stat.S_IMODE(info.st_mode),
             "owner": (info.st_uid, info.st_gid)}
    if stat.S_ISREG(info.st_mode):
        facts.update(sha256=sha256_of(path), mtime=int(info.st_mtime))
    elif stat.S_ISLNK(info.st_mode):
        facts["target"] = os.readlink(path)
    elif stat.S_ISCHR(info.st_mode) or stat.S_ISBLK(info.st_mode):
        facts["device"] = (os.major(info.st_rdev), os.minor(info.st_rdev))
    facts["xattrs"] = {key: os.getxattr(path, key, follow_symlinks=False)
                       for key in sorted(os.listxattr(path, follow_symlinks=False))}
    return facts


def tree(top):
    """Every entry under `top` described, and which paths are hard links of one another."""
    entries, inodes = {".": describe(top)}, {}
    for directory, dirs, files in os.walk(top):
        for entry in dirs + files:
            path = os.path.join(directory, entry)
            relative = os.path.relpath(path, top)
            entries[relative] = describe(path)
            info = os.lstat(path)
            if stat.S_ISREG(info.st_mode) and info.st_nlink > 1:
                inodes.setdefault(info.st_ino, set()).add(relative)
    return entries, sorted(sorted(paths) for paths in inodes.values())


def write_file(path, data=b"", mode=None):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as fh:
        fh.write(data)
    if mode is not None:
        os.chmod(path, mode)


def fill_with_everything(top):
    """Files a container must get back as they were: owners, modes, xattrs, links, nodes."""
    owned = os.path.join(top, "root/owned")
    write_file(owned, b"owned by 1234:5678\n")
    os.chown(owned, 1234, 5678)
    setuid = os.path.join(top, "usr/bin/lwp-setuid")
    write_file(setuid, b"#!/bin/sh\n")
    os.chmod(setuid, 0o4755)
    shared = os.path.join(top, "srv/shared")
    os.makedirs(shared)
    os.chmod(shared, 0o1777)
    sealed = os.path.join(top, "srv/sealed")  # its file is unpacked before its mode is set
    write_file(os.path.join(sealed, "inside"), b"in a read-only dir\n")
    os.chmod(sealed, 0o555)
    os.setxattr(owned, "user.lwp", b"kept")
    os.setxattr(owned, "trusted.lwp", b"kept for root")
    os.mknod(os.path.join(top, "dev/lwp-null"), stat.S_IFCHR | 0o666, os.makedev(1, 3))
    os.mkfifo(os.path.join(top, "root/fifo"), 0o600)
    os.symlink("/etc/passwd", os.path.join(top, "root/absolute-link"))
    os.symlink("../etc/passwd", os.path.join(top, "root/relative-link"))
    os.link(owned, os.path.join(top, "root/hard-link"))


def copies_left(lxcpath, name):
    return [entry for entry in os.listdir(os.path.join(lxcpath, name)) if entry.startswith("lwp-backup-")]


def test_a_backup_restored_under_a_new_name_starts_with_the_same_files_owners_modes_and_nodes(
        backend, make_container, lxcpath, adhoc, tmp_path):  # noqa: F811
    source = make_container("bak")
    fill_with_everything(rootfs(lxcpath, source))
    path = str(tmp_path / "backup.tar.zst")
    monitor = RecordingMonitor()

    made = backend.export_backup(source, path, monitor=monitor)

    assert made.sha256 == sha256_of(path) and made.size_bytes == os.path.getsize(path)
    assert monitor.progress[-1] == 100
    name = new_name(adhoc, "restored")
    backend.restore_backup(path, name)
    assert tree(rootfs(lxcpath, name)) == tree(rootfs(lxcpath, source))
    assert ["root/hard-link", "root/owned"] in tree(rootfs(lxcpath, name))[1]
    config = backend.raw_config(name)
    assert f"lxc.rootfs.path = dir:{rootfs(lxcpath, name)}" in config and f"lxc.uts.name = {name}" in config
    assert "hwaddr" not in config
    assert backend.start(name) == "RUNNING"


@pytest.mark.parametrize("freeze", [False, True])
def test_a_running_container_is_backed_up_from_a_frozen_copy_and_left_as_it_was(
        backend, make_container, lxcpath, adhoc, tmp_path, freeze):  # noqa: F811
    source = make_container("bak", start=True)
    write_file(os.path.join(rootfs(lxcpath, source), "root/marker"), b"written while running\n")
    if freeze:
        backend.freeze(source)
    state = backend.state(source)
    path = str(tmp_path / "backup.tar.zst")

    backend.export_backup(source, path)

    assert backend.state(source) == state
    assert copies_left(lxcpath, source) == []
    name = new_name(adhoc, "restored")
    backend.restore_backup(path, name)
    with open(os.path.join(rootfs(lxcpath, name), "root/marker"), "rb") as fh:
        assert fh.read() == b"written while running\n"
    assert backend.start(name) == "RUNNING"


@pytest.fixture
def big_container(make_container, lxcpath):
    """A stopped busybox container with a large file of random bytes (slow to compress)."""
    name = make_container("big")
    with open(os.path.join(rootfs(lxcpath, name), "root/big"), "wb") as fh:
        for _ in range(BIG_FILE_BYTES >> 20):
            fh.write(os.urandom(1 << 20))
    return name


def test_a_cancelled_backup_leaves_no_file_and_the_container_free(backend, big_container, tmp_path):
    path = str(tmp_path / "backup.tar.zst")
    monitor = RecordingMonitor(stop_when=lambda monitor: any(0 < p < 100 for p in monitor.progress))
    with pytest.raises(Cancelled):
        backend.export_backup(big_container, path, monitor=monitor)
    assert [entry for entry in os.listdir(tmp_path) if entry.startswith("backup")] == []  # nor its staging dir
    assert backend.start(big_container) == "RUNNING"  # its lock was let go


def test_a_backup_cancelled_during_the_copy_thaws_the_container(backend, big_container, lxcpath, tmp_path):
    backend.start(big_container)
    path = str(tmp_path / "backup.tar.zst")
    with pytest.raises(Cancelled):
        backend.export_backup(big_container, path, monitor=RecordingMonitor(stop_when=lambda monitor: True))
    assert not os.path.exists(path)
    assert backend.state(big_container) == "RUNNING"
    assert copies_left(lxcpath, big_container) == []


def test_a_backup_over_its_deadline_is_stopped_and_leaves_no_file(backend, big_container, lxcpath, tmp_path):
    hasty = LXCEngine(lxcpath, lock_dir=tmp_path / "locks", backup_timeout=0.5)
    path = str(tmp_path / "backup.tar.zst")
    with pytest.raises(LXCTimeout):
        hasty.export_backup(big_container, path)
    assert not os.path.exists(path)


def test_a_cancelled_restore_leaves_nothing(backend, big_container, lxcpath, adhoc, tmp_path):  # noqa: F811
    path = str(tmp_path / "backup.tar.zst")
    backend.export_backup(big_container, path)
    before = sorted(os.listdir(lxcpath))
    name = new_name(adhoc, "restored")
    monitor = RecordingMonitor(stop_when=lambda monitor: any(p > 0 for p in monitor.progress))
    with pytest.raises(Cancelled):
        backend.restore_backup(path, name, monitor=monitor)
    assert sorted(os.listdir(lxcpath)) == before


# A process that runs one backup call, saying what its monitor hears, until it is killed.
CALL_IN_A_PROCESS = """
from containers.engines.lxc.engine import LXCEngine

class Monitor:
    def output(self, text):
        print("output", flush=True)

    def set_progress(self, percent):
        print("progress", percent, flush=True)

    def should_stop(self):
        return False

LXCEngine({lxcpath!r}, lock_dir={lock_dir!r}).{call}(*{args!r}, monitor=Monitor())
"""


def call_in_a_process(backend, call, *args):
    return run_python(CALL_IN_A_PROCESS.format(lxcpath=backend.lxcpath, lock_dir=backend.lock_dir, call=call,
                                               args=args))


def kill(process):
    process.send_signal(signal.SIGKILL)
    process.wait(10)


def test_a_process_killed_during_the_frozen_copy_leaves_the_container_running_and_no_copy(
        backend, big_container, lxcpath, tmp_path):
    backend.start(big_container)
    path = str(tmp_path / "backup.tar.zst")
    process = call_in_a_process(backend, "export_backup", big_container, path)
    assert process.stdout.readline().strip() == "output"  # "copying the rootfs ... while it is frozen"
    assert wait_until(lambda: backend.state(big_container) == "FROZEN", 10)
    kill(process)
    wait_until(lambda: backend.state(big_container) == "RUNNING" and not copies_left(lxcpath, big_container)
               and not os.path.exists(path), 20)
    assert (backend.state(big_container), copies_left(lxcpath, big_container), os.path.exists(path)) == ("RUNNING", [], False)


def test_a_process_killed_during_a_restore_leaves_nothing(backend, big_container, lxcpath, adhoc, tmp_path):  # noqa: F811
    path = str(tmp_path / "backup.tar.zst")
    backend.export_backup(big_container, path)
    before = sorted(os.listdir(lxcpath))
    process = call_in_a_process(backend, "restore_backup", path, new_name(adhoc, "restored"))
    while not ((line := process.stdout.readline().split())[:1] == ["progress"] and int(line[1]) > 30):
        assert line or process.poll() is None, process.stderr.read()  # unpacking is past 30 %
    kill(process)
    assert wait_until(lambda: sorted(os.listdir(lxcpath)) == before, 20)


def test_only_a_directory_backed_container_is_backed_up(backend, make_container, adhoc, tmp_path):  # noqa: F811
    source = make_container("bak")
    clone = new_name(adhoc, "overlay")
    backend.clone(source, clone, store=OVERLAY_STORE)
    path = str(tmp_path / "backup.tar.zst")
    with pytest.raises(InvalidState, match="dir containers only"):
        backend.export_backup(clone, path)
    assert not os.path.exists(path)


# ----- hostile archives ------------------------------------------------------------------------

HEAD = archive_support.head()
HOOK = archive_support.CONFIG + "lxc.hook.pre-start = /bin/sh -c 'touch /tmp/lwp-owned'\n"
ETC_BIND = archive_support.CONFIG + "lxc.mount.entry = /etc etc none bind 0 0\n"
HOSTILE = {
    "absolute path": (HEAD + [member("/etc/lwp-evil", data=b"x")], "absolute path"),
    "dot-dot": (HEAD + [member("rootfs/../../lwp-evil", data=b"x")], "'..'"),
    "symlink out, then a member through it": (
        HEAD + [member("rootfs/etc/out", kind=tarfile.SYMTYPE, linkname="/etc"),
                member("rootfs/etc/out/lwp-evil", data=b"x")], "symlink"),
    "hard link out": (HEAD + [member("rootfs/etc/shadow", kind=tarfile.LNKTYPE, linkname="/etc/shadow")],
                      "hard link"),
    "hard link up": (HEAD + [member("rootfs/etc/shadow", kind=tarfile.LNKTYPE, linkname="../../etc/shadow")],
                     "hard link"),
    "hard link to the config": (HEAD + [member("rootfs/etc/config", kind=tarfile.LNKTYPE, linkname="config")],
                                "hard link"),
    "device node outside rootfs": (HEAD + [member("sda", kind=tarfile.BLKTYPE, device=(8, 0))], "device node"),
    "unexpected top-level member": (HEAD + [member("extra", data=b"x")], "is not one of"),
    "huge claimed size": (HEAD + [member("rootfs/etc/huge", size=10 ** 13, data=b"x" * 512)], "claims"),
    "huge extended header": (HEAD + [member("PaxHeaders/huge", kind=tarfile.XHDTYPE, size=10 ** 9)],
                             "extended header"),
    "missing manifest": (HEAD[1:], "lwp-backup.json"),
    "garbage manifest": (archive_support.head(manifest=b"\x00garbage"), "not JSON"),
    "another format": (archive_support.head(manifest={"format": "tar", "version": 1}), "not an LWP"),
    "unknown version": (archive_support.head(manifest={**archive_support.MANIFEST, "version": 99}), "version"),
    "config as a symlink": ([HEAD[0], member("config", kind=tarfile.SYMTYPE, linkname="/etc/shadow")],
                            "not a regular file"),
    "hook in the config": (archive_support.head(config=HOOK), "lxc.hook.pre-start"),
    "bind mount of /etc": (archive_support.head(config=ETC_BIND), "lxc.mount.entry"),
}


def _hostile_file(case, tmp_path):
    if case == "not zstd":
        path = tmp_path / "plain.tar"
        path.write_bytes(archive_support.tar_bytes(HEAD))
        return str(path), "zstd"
    if case == "truncated":
        whole = archive_support.zstd(archive_support.tar_bytes(
            HEAD + [member("rootfs/etc/big", data=os.urandom(1 << 20))]))
        path = tmp_path / "truncated.tar.zst"
        path.write_bytes(whole[:len(whole) // 2])
        return str(path), "zstd"
    members, reason = HOSTILE[case]
    return archive_support.write_crafted(tmp_path / "hostile.tar.zst", members), reason


@pytest.mark.parametrize("case", [*HOSTILE, "not zstd", "truncated"])
def test_a_hostile_archive_is_refused_with_nothing_written(backend, lxcpath, adhoc, tmp_path, case):  # noqa: F811
    path, reason = _hostile_file(case, tmp_path)
    before = sorted(os.listdir(lxcpath))
    name = new_name(adhoc, "hostile")
    with pytest.raises(InvalidArchive, match=reason):
        backend.check_backup(path)
    with pytest.raises(InvalidArchive, match=reason):
        backend.restore_backup(path, name)
    assert sorted(os.listdir(lxcpath)) == before
    assert not os.path.lexists("/etc/lwp-evil") and not os.path.lexists("/tmp/lwp-owned")
