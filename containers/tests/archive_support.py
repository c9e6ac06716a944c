"""Helpers for the backup tests: a recording monitor, checksums, and archives crafted by hand."""

import hashlib
import io
import json
import subprocess
import tarfile


class RecordingMonitor:
    """A JobMonitor that keeps what it was told; should_stop turns True once `stop_when` says so."""

    def __init__(self, stop_when=lambda monitor: False):
        self.progress = []
        self.text = ""
        self.stop_when = stop_when

    def output(self, text):
        self.text += text

    def set_progress(self, percent):
        self.progress.append(percent)

    def should_stop(self):
        return self.stop_when(self)


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def member(name, *, kind=tarfile.REGTYPE, data=b"", linkname="", mode=0o644, size=None, device=(0, 0)):
    """A (TarInfo, data) pair; `size` may claim more than `data` holds."""
    info = tarfile.TarInfo(name)
    info.type = kind
    info.mode = mode
    info.linkname = linkname
    info.size = len(data) if size is None else size
    info.devmajor, info.devminor = device
    return info, data


MANIFEST = {"format": "lwp-backup", "version": 1, "engine": "lxc", "container": "crafted",
            "created": "2026-11-27T10:00:00+00:00", "comment": ""}
CONFIG = "lxc.uts.name = crafted\nlxc.rootfs.path = dir:/var/lib/lxc/crafted/rootfs\n"


def head(*, manifest=MANIFEST, config=CONFIG):
    """The members an LWP archive starts with."""
    manifest_data = manifest if isinstance(manifest, bytes) else json.dumps(manifest).encode()
    return [member("lwp-backup.json", data=manifest_data), member("config", data=config.encode()),
            member("rootfs", kind=tarfile.DIRTYPE, mode=0o755), member("rootfs/etc", kind=tarfile.DIRTYPE)]


def tar_bytes(members):
    """A pax tar of `members`, written header by header so a header may lie about its size."""
    out = io.BytesIO()
    for info, data in members:
        out.write(info.tobuf(tarfile.PAX_FORMAT, "utf-8", "surrogateescape"))
        if data:
            out.write(data + b"\0" * (-len(data) % 512))
    out.write(b"\0" * 1024)
    return out.getvalue()


def zstd(data):
    return subprocess.run(["zstd", "-q", "-c"], input=data, capture_output=True, check=True, timeout=60).stdout


def write_crafted(path, members):
    path.write_bytes(zstd(tar_bytes(members)))
    return str(path)
