"""A backup's archive as an HTTP download, for the API and the panel alike."""

import os

from django.http import FileResponse

BLOCK = 1 << 20  # read and sent in 1 MiB steps, never whole


def archive_response(archive, backup):
    """Streams `archive` (an open file) with its length, a safe file name and its SHA-256."""
    size = os.fstat(archive.fileno()).st_size
    response = FileResponse(archive, as_attachment=True,
                            filename=backup.download_name, content_type="application/zstd")
    response.block_size = BLOCK
    response["Content-Length"] = str(size)
    response["ETag"] = f'"{backup.sha256}"'
    response["X-Content-SHA256"] = backup.sha256
    return response
