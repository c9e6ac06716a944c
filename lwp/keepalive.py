"""Telling gunicorn that a long request is alive: an archive uploaded or downloaded for an hour,
a synchronous backup waited for.

gunicorn's arbiter kills a sync worker that has not notified it for `timeout` seconds, and a
sync worker notifies only between requests. lwp/gunicorn_worker.py installs its worker's
notify() here once (each worker is a process serving one request at a time); code that moves a
large body in steps, or waits, calls touch() at each step. Outside gunicorn (tests, commands,
the job worker) nothing is installed and touch() does nothing.
"""

import time

EVERY = 5.0  # seconds between notifications at most (each touches a file)

_notify = None
_next = 0.0


def install(notify):
    global _notify
    _notify = notify


def touch():
    global _next
    if _notify is not None and time.monotonic() >= _next:
        _notify()
        _next = time.monotonic() + EVERY


class KeepaliveReader:
    """A file read in steps (a FileResponse's), touching at each step.

    It has no fileno(), so gunicorn streams it in blocks instead of one sendfile() call that
    could outlast the timeout.
    """

    def __init__(self, file):
        self._file = file

    def read(self, size=-1):
        touch()
        return self._file.read(size)

    def close(self):
        self._file.close()
