"""Archives for the backup tests, made by the fake engine in the engines' own format."""

import io
import os
import tempfile

from testing import playground


def archive_bytes(engine):
    """A whole archive of a container `engine` makes for the purpose (and removes again)."""
    name = playground.unique_name("src")
    engine.create(name, template="busybox")
    try:
        with tempfile.TemporaryDirectory(prefix="lwp-test-archive-") as scratch:
            path = os.path.join(scratch, "made.tar.zst")
            engine.export_backup(name, path)
            with open(path, "rb") as fh:
                return fh.read()
    finally:
        engine.destroy(name)


def upload_of(data, file_name="web.tar.zst"):
    file = io.BytesIO(data)
    file.name = file_name
    return file


def failing(error):
    """An engine method that fails with `error` (monkeypatched over the fake's)."""
    def fail(*args, **kwargs):
        raise error
    return fail
