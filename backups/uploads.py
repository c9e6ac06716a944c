"""An archive uploaded for import, streamed to a private file in LWP_BACKUP_DIR as it arrives.

Never held in memory, never in the system's /tmp: Django's upload handlers are replaced by
ArchiveUploadHandler, which writes the field `file` to a 0600 file under a temporary name,
hashes it on the way, and refuses a body over LWP_UPLOAD_MAX_BYTES: at once when the
request says its length, else as soon as the bytes pass the limit (the file is removed).
"""

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, SkipFile

from lwp.exceptions import TooLarge

FIELD = "file"
# What a multipart body adds around the archive (boundaries, headers, the name field).
MULTIPART_SLACK = 64 * 1024
PREFIX, SUFFIX = "upload-", ".part"


@dataclass(frozen=True)
class Upload:
    path: Path
    size: int
    sha256: str
    original_name: str


def too_large():
    limit = settings.LWP_UPLOAD_MAX_BYTES
    return TooLarge(f"the archive is larger than LWP_UPLOAD_MAX_BYTES ({limit} bytes)",
                    fields={FIELD: f"must be at most {limit} bytes"})


class ArchiveUploadHandler(FileUploadHandler):
    chunk_size = 1 << 20

    def __init__(self, request=None):
        super().__init__(request)
        self.upload = None  # the Upload, once the whole file arrived
        self._file = self._path = self._hash = None
        self._size = 0

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        if content_length and content_length > settings.LWP_UPLOAD_MAX_BYTES + MULTIPART_SLACK:
            raise too_large()
        return None  # parse as usual, through the methods below

    def new_file(self, field_name, file_name, *args, **kwargs):
        super().new_file(field_name, file_name, *args, **kwargs)
        if field_name != FIELD or self._file is not None:
            raise SkipFile()  # one archive, in its field: anything else is not stored
        fd, path = tempfile.mkstemp(dir=settings.LWP_BACKUP_DIR, prefix=PREFIX, suffix=SUFFIX)  # 0600
        self._file, self._path, self._hash = os.fdopen(fd, "wb"), Path(path), hashlib.sha256()

    def receive_data_chunk(self, raw_data, start):
        self._size += len(raw_data)
        if self._size > settings.LWP_UPLOAD_MAX_BYTES:
            self.cleanup()
            raise too_large()
        self._hash.update(raw_data)
        self._file.write(raw_data)
        return None

    def file_complete(self, file_size):
        if self._file is None or self.upload is not None:
            return None
        self._file.close()
        self.upload = Upload(path=self._path, size=self._size, sha256=self._hash.hexdigest(),
                             original_name=os.path.basename(self.file_name or "")[:200])
        return None  # not in request.FILES: the view takes self.upload

    def cleanup(self):
        """Remove what was written, unless the service took it (renamed it) meanwhile."""
        if self._file is not None:
            self._file.close()
        if self._path is not None:
            self._path.unlink(missing_ok=True)
