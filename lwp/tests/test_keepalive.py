"""lwp/keepalive.py: a long request tells gunicorn it is alive, at most every EVERY seconds."""

import io

import pytest
from gunicorn.workers.sync import SyncWorker

from lwp import keepalive
from lwp.gunicorn_worker import JsonErrorSyncWorker


@pytest.fixture
def notified(monkeypatch):
    calls = []
    monkeypatch.setattr(keepalive, "_notify", None)
    monkeypatch.setattr(keepalive, "_next", 0.0)
    keepalive.install(lambda: calls.append(1))
    return calls


def test_touch_notifies_at_most_every_few_seconds(notified, monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(keepalive.time, "monotonic", lambda: now[0])
    keepalive.touch()
    keepalive.touch()
    assert len(notified) == 1
    now[0] += keepalive.EVERY
    keepalive.touch()
    assert len(notified) == 2


def test_without_gunicorn_touch_does_nothing(monkeypatch):
    monkeypatch.setattr(keepalive, "_notify", None)
    keepalive.touch()  # no error, nothing to notify


def test_a_download_touches_at_each_block(notified, monkeypatch):
    monkeypatch.setattr(keepalive, "EVERY", 0)
    reader = keepalive.KeepaliveReader(io.BytesIO(b"abcdef"))
    assert [reader.read(4), reader.read(4), reader.read(4)] == [b"abcd", b"ef", b""]
    assert len(notified) == 3 and not hasattr(reader, "fileno")  # streamed in blocks, not one sendfile()


def test_the_gunicorn_worker_installs_its_heartbeat(monkeypatch):
    monkeypatch.setattr(keepalive, "_notify", None)
    monkeypatch.setattr(SyncWorker, "init_process", lambda self: None)  # not the request loop
    worker = JsonErrorSyncWorker.__new__(JsonErrorSyncWorker)
    worker.notify = lambda: None
    worker.init_process()
    assert keepalive._notify is worker.notify
