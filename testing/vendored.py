"""The vendored browser libraries (static/vendor/<name>/): each VERSION file names its files' SHA-256."""

import hashlib
import re
from pathlib import Path

from django.conf import settings

VENDOR = Path(settings.BASE_DIR) / "static" / "vendor"


def checksums(name):
    """The {file: sha256} that static/vendor/<name>/VERSION lists, each checked against the file."""
    folder = VENDOR / name
    sums = dict(reversed(line.split()) for line in (folder / "VERSION").read_text().splitlines()
                if re.match(r"[0-9a-f]{64}  ", line))
    for file, digest in sums.items():
        assert hashlib.sha256((folder / file).read_bytes()).hexdigest() == digest, file
    return sums


def assert_served(client, paths):
    """Each static path is served by the app itself (no CDN), with a body."""
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, path
        assert b"".join(response.streaming_content if response.streaming else [response.content]), path
