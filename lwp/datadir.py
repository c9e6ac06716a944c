"""The data dir is private to root: 0700, and every file in it 0600.

It holds the database (live session keys), the generated secrets and the TLS key, so no
other local account may read any of it. New files get these modes from the process umask
(set by every entry point: manage.py, lwp/asgi.py, lwp/gunicorn_conf.py); make_private()
fixes what an older install left readable (a 0755 dir, a 0644 SQLite file).
No Django import: settings.py calls this before Django is configured.
"""

import os
import stat
from pathlib import Path

PRIVATE_UMASK = 0o077  # new files 0600, new dirs 0700
DIR_MODE = 0o700
FILE_MODE = 0o600
# SQLite's companions of a database file: they hold the same rows as the file itself.
SQLITE_SUFFIXES = ("", "-wal", "-shm", "-journal")


def use_private_umask():
    """Every file this process creates from now on is its owner's alone."""
    os.umask(PRIVATE_UMASK)


def _fix_mode(path, wanted):
    """chmod `path` to `wanted` unless it is a symlink (chmod would follow it out of the dir)."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:  # removed meanwhile (SQLite drops its -shm, a lock goes away)
        return False
    if stat.S_ISLNK(info.st_mode) or stat.S_IMODE(info.st_mode) == wanted:
        return False
    os.chmod(path, wanted)
    return True


def make_private(path):
    """Create `path` 0700 if needed, then set 0700 on it and its dirs and 0600 on its files.

    Returns how many modes it changed. Symlinks are neither followed nor changed.
    """
    path = Path(path)
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    changed = int(_fix_mode(path, DIR_MODE))
    for root, dirs, files in os.walk(path):  # os.walk does not descend into symlinked dirs
        for name in dirs:
            changed += _fix_mode(os.path.join(root, name), DIR_MODE)
        for name in files:
            changed += _fix_mode(os.path.join(root, name), FILE_MODE)
    return changed


def make_sqlite_private(database_file):
    """0600 on a SQLite database kept outside the data dir, and on its -wal/-shm/-journal."""
    changed = 0
    for suffix in SQLITE_SUFFIXES:
        changed += _fix_mode(f"{database_file}{suffix}", FILE_MODE)
    return changed
