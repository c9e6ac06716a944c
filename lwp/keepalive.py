"""Telling gunicorn that a long request is alive: an archive uploaded or downloaded for an hour.

gunicorn's arbiter kills a sync worker that has not notified it for `timeout` seconds, and a
sync worker notifies only between requests. lwp/gunicorn_worker.py puts its notify() in each
request's environ under ENVIRON_KEY; code that moves a large body in steps calls Keepalive()
at each step. Outside gunicorn (tests, runserver) there is nothing to notify.
"""

import time

ENVIRON_KEY = "lwp.keepalive"
EVERY = 5.0  # seconds between notifications at most (each touches a file)


class Keepalive:
    def __init__(self, environ):
        self._notify = environ.get(ENVIRON_KEY)
        self._next = 0.0

    def __call__(self):
        if self._notify is not None and time.monotonic() >= self._next:
            self._notify()
            self._next = time.monotonic() + EVERY


class KeepaliveReader:
    """A file read in steps (a FileResponse's), keeping the request alive at each step.

    It has no fileno(), so gunicorn streams it in blocks instead of one sendfile() call that
    could outlast the timeout.
    """

    def __init__(self, file, keepalive):
        self._file, self._keepalive = file, keepalive

    def read(self, size=-1):
        self._keepalive()
        return self._file.read(size)

    def close(self):
        self._file.close()
