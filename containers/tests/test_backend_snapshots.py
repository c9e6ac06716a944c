"""Snapshots on real liblxc: what a restore brings back, and what goes with the container."""

import os

from containers.tests.lxc_support import adhoc, new_name

__all__ = ["adhoc"]  # the fixture, imported for the tests below


def rootfs_file(lxcpath, name, path):
    return os.path.join(lxcpath, name, "rootfs", path)


def test_a_file_changed_after_a_snapshot_is_back_after_the_restore(backend, make_container, lxcpath):
    name = make_container("snap")
    marker = rootfs_file(lxcpath, name, "root/marker")
    with open(marker, "w") as fh:
        fh.write("before")
    backend.take_snapshot(name, comment="before")
    with open(marker, "w") as fh:
        fh.write("after")
    os.remove(rootfs_file(lxcpath, name, "etc/passwd"))

    backend.restore_snapshot(name, "snap0")

    with open(marker) as fh:
        assert fh.read() == "before"
    assert os.path.exists(rootfs_file(lxcpath, name, "etc/passwd"))
    assert backend.start(name) == "RUNNING"  # the restored container still runs


def test_a_snapshot_lives_under_its_container_and_goes_with_it(backend, make_container, lxcpath):
    name = make_container("snap")
    backend.take_snapshot(name, comment="kept")
    snapshot_dir = os.path.join(lxcpath, name, "snaps", "snap0")
    assert os.path.isdir(snapshot_dir)
    with open(os.path.join(snapshot_dir, "comment")) as fh:
        assert fh.read().strip() == "kept"

    backend.destroy(name)

    assert not os.path.lexists(os.path.join(lxcpath, name))


def test_a_snapshot_comment_is_only_text_in_a_file_never_a_path(backend, make_container, lxcpath, tmp_path):
    # The comment reaches liblxc as a file LWP writes: a comment naming a host file is just text.
    name = make_container("snap")
    secret = tmp_path / "secret"
    secret.write_text("host secret")
    taken = backend.take_snapshot(name, comment=str(secret))
    assert taken.comment == str(secret)


def test_a_clone_from_a_snapshot_has_the_snapshots_files_not_the_sources_later_ones(backend, make_container,
                                                                                     lxcpath, adhoc):
    source = make_container("snap")
    marker = rootfs_file(lxcpath, source, "root/marker")
    with open(marker, "w") as fh:
        fh.write("at the snapshot")
    backend.take_snapshot(source)
    with open(marker, "w") as fh:
        fh.write("changed since")
    backend.start(source)
    name = new_name(adhoc, "snapclone")

    backend.clone_snapshot(source, "snap0", name)

    with open(rootfs_file(lxcpath, name, "root/marker")) as fh:
        assert fh.read() == "at the snapshot"
    with open(marker) as fh:
        assert fh.read() == "changed since"
    with open(os.path.join(lxcpath, name, "config")) as fh:
        config = fh.read()
    assert f"lxc.rootfs.path = dir:{os.path.join(lxcpath, name, 'rootfs')}" in config
    assert "snaps" not in config  # nothing of the new container points into the source's snapshots
    assert backend.start(name) == "RUNNING"
