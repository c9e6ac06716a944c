"""A stand-in for the engine's backup methods (export, check, restore) over the FakeEngine.

For tests of permissions, forms, serializers and schedules, not of archives: what an archive
holds and how it is checked is the engines' (containers/tests hold that on real LXC).
Its "archive" is a JSON manifest line then filler bytes; anything else is InvalidArchive.
"""

import hashlib
import json
import os

from containers.engines.fake import FakeEngine
from containers.engines.types import BackupArchive, CreateResult
from lwp.exceptions import ContainerExists, ContainerNotFound, InvalidArchive

MAGIC = b"LWP-FAKE-BACKUP\n"


def fake_archive(manifest=None, filler=b"x" * 4096):
    return MAGIC + json.dumps(manifest or {"format": 1, "name": "source"}).encode() + b"\n" + filler


class BackupFakeEngine(FakeEngine):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.failing_exports = set()  # names whose export fails
        self.restored = {}  # name -> the archive path it came from

    def export_backup(self, name, path, *, comment="", monitor=None):
        if not self.exists(name):
            raise ContainerNotFound(f"container {name!r} does not exist")
        if name in self.failing_exports:
            raise InvalidArchive(f"the fake export of {name!r} fails")
        data = fake_archive({"format": 1, "name": name, "comment": comment})
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        if monitor is not None:
            monitor.set_progress(100)
        return BackupArchive(size_bytes=len(data), sha256=hashlib.sha256(data).hexdigest(),
                             source_bytes=len(data) * 3, manifest={"format": 1, "name": name})

    def check_backup(self, path, *, trusted=False):
        with open(path, "rb") as fh:
            head = fh.read(len(MAGIC))
            line = fh.readline()
        if head != MAGIC:
            raise InvalidArchive("not an archive LWP made")
        try:
            return json.loads(line)
        except ValueError:
            raise InvalidArchive("its manifest is damaged") from None

    def restore_backup(self, path, name, *, trusted=False, monitor=None):
        self.check_backup(path, trusted=trusted)
        if self.exists(name):
            raise ContainerExists(f"container {name!r} already exists")
        self.create(name, template="busybox")
        self.restored[name] = path
        return CreateResult(name=name, output="restored (fake)\n")


def with_backups(engine):
    """Give a FakeEngine already behind the services (the audit walk's) the backup methods above."""
    if not isinstance(engine, BackupFakeEngine):
        engine.__class__ = BackupFakeEngine
        engine.failing_exports, engine.restored = set(), {}
    return engine
