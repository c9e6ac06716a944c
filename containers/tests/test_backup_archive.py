"""The archive pipelines in this process (as the fake engine runs them): deadline and cancel."""

import os

import pytest

from containers.engines import archive
from containers.tests.archive_support import RecordingMonitor
from lwp.exceptions import Cancelled, LXCTimeout


@pytest.fixture(scope="module")
def big_rootfs(tmp_path_factory):
    rootfs = tmp_path_factory.mktemp("archive") / "rootfs"
    rootfs.mkdir()
    with open(rootfs / "big", "wb") as fh:
        for _ in range(128):
            fh.write(os.urandom(1 << 20))
    return str(rootfs)


def back_up(rootfs, path, watch):
    return archive.back_up(str(path), engine="test", container="t", rootfs=rootfs, config_text="", comment="",
                           watch=watch)


def test_an_archive_over_its_deadline_is_stopped_and_leaves_no_file(big_rootfs, tmp_path):
    path = tmp_path / "backup.tar.zst"
    with pytest.raises(LXCTimeout):
        back_up(big_rootfs, path, archive.Watch(timeout=0.1))
    assert not path.exists()


def test_a_cancelled_archive_leaves_no_file(big_rootfs, tmp_path):
    path = tmp_path / "backup.tar.zst"
    monitor = RecordingMonitor(stop_when=lambda monitor: bool(monitor.progress))
    with pytest.raises(Cancelled):
        back_up(big_rootfs, path, archive.Watch(monitor))
    assert not path.exists()


@pytest.mark.parametrize("stage", ["check", "extract"])
def test_reading_an_archive_stops_at_its_deadline(big_rootfs, tmp_path, stage):
    path = tmp_path / "backup.tar.zst"
    back_up(big_rootfs, path, archive.Watch())
    fd = archive.open_archive(str(path))
    try:
        with pytest.raises(LXCTimeout):
            if stage == "check":
                archive.check(fd, max_bytes=1 << 30, watch=archive.Watch(timeout=0.01))
            else:
                archive.extract_rootfs(fd, str(tmp_path), watch=archive.Watch(timeout=0.01))
    finally:
        os.close(fd)
