"""Long operations in a real worker on real LXC: live log and progress, cancel, kill -9, no worker.

A gunicorn server and `manage.py lwpworker` processes share the test database. The
`download` template here is a stand-in (slow_template.sh) that prints the real one's stage
lines and then waits for the test to open its gate, so each test sees a create mid-way.
"""

import json
import os
import shutil
import stat
import subprocess
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from operations.models import LogLine, Operation, Worker
from testing import playground
from testing.api import curl

pytestmark = pytest.mark.django_db(transaction=True)

SLOW_TEMPLATE = Path(__file__).with_name("slow_template.sh")


@pytest.fixture(scope="module")
def templates_dir(tmp_path_factory):
    directory = tmp_path_factory.mktemp("templates")
    shutil.copy(SLOW_TEMPLATE, directory / "lxc-download")
    (directory / "lxc-download").chmod(stat.S_IRWXU | stat.S_IRGRP | stat.S_IXGRP | stat.S_IROTH | stat.S_IXOTH)
    shutil.copy("/usr/share/lxc/templates/lxc-busybox", directory / "lxc-busybox")
    return directory


def _server(templates_dir, **kwargs):
    return playground.LiveServer(
        database_url=_test_database_url(),
        extra_env={"LWP_TEMPLATES_DIR": str(templates_dir), "LWP_WORKER_WAIT": "2"}, **kwargs)


def _test_database_url():
    return playground.database_url(connection.settings_dict)


@pytest.fixture(scope="module")
def server(django_db_setup, django_db_blocker, backend, templates_dir):
    with django_db_blocker.unblock():
        live = _server(templates_dir).start()
    yield live
    live.stop()


def call(server, method, path, token, data=None, *headers):
    args = ["-X", method, "-H", f"private-token: {token}", *[part for h in headers for part in ("-H", h)]]
    if data is not None:
        args += ["-H", "Content-Type: application/json", "--data", json.dumps(data)]
    return curl(*args, server.url + path)


def create_async(server, token, name, template="download"):
    response = call(server, "PUT", "/api/v1/containers/", token, {"name": name, "template": template},
                    "Prefer: respond-async")
    assert response.status == 202, response.body
    return response


def follow(server, token, operation_id, until, timeout=60):
    """GET the operation until until(body) holds; returns that body."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = call(server, "GET", f"/api/v1/operations/{operation_id}", token).body
        if until(body):
            return body
        time.sleep(0.1)
    raise AssertionError(f"operation {operation_id} never got there: {body}")


def log_text(body):
    return "\n".join(entry["line"] for entry in body["log"])


def open_gate(templates_dir, name):
    (templates_dir / f"open-{name}").touch()


def container_dir(name):
    return os.path.join(settings.LWP_LXC_PATH, name)


def wait_until(condition, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def leftovers(name, backend, worker):
    """What a failed clean-up left, for the assertion's message: processes, files, lock, worker log."""
    processes = subprocess.run(["ps", "-eo", "pid,ppid,pgid,stat,args"], capture_output=True, text=True,
                               timeout=10).stdout
    files = os.listdir(container_dir(name)) if os.path.isdir(container_dir(name)) else []
    return (f"files {files}, lock held {backend.locks.is_held(name)}\n{processes[-4000:]}\n"
            f"worker log: {worker.log_text()[-2000:]}")


def assert_name_is_free_again(server, token, backend, name):
    """No container and no lock is left of `name`: the same create, with a template that does not
    wait, succeeds (through a worker)."""
    created = call(server, "PUT", "/api/v1/containers/", token, {"name": name, "template": "busybox"})
    try:
        assert created.status == 200, created.body
    finally:
        if backend.exists(name):
            backend.destroy(name, force=True)


def test_async_create_shows_its_log_and_progress_while_it_runs_and_its_result_after(
        server, users, tokens, templates_dir, backend):
    name = playground.unique_name("async")
    accepted = create_async(server, tokens.erin, name)
    operation_id = accepted.body["id"]
    assert f"location: /api/v1/operations/{operation_id}" in accepted.headers
    assert accepted.body["status"] in ("pending", "running") and accepted.body["kind"] == "create"
    assert accepted.body["user"] == "erin" and accepted.body["token"] == "erin"
    try:
        running = follow(server, tokens.erin, operation_id, lambda body: "Downloading the rootfs" in log_text(body))
        assert running["status"] == "running"
        assert running["progress"] == 10  # the download template's "Downloading the rootfs" stage
        assert running["finished"] is None
        open_gate(templates_dir, name)
        done = follow(server, tokens.erin, operation_id, lambda body: body["finished"] is not None)
        assert done["status"] == "succeeded", done
        assert done["progress"] == 100
        assert done["result"]["name"] == name
        assert "Unpacking the rootfs" in log_text(done)
        assert all(entry["time"] for entry in done["log"])
        assert backend.exists(name)
    finally:
        open_gate(templates_dir, name)
        wait_until(lambda: Operation.objects.filter(pk=operation_id, finished__isnull=False).exists())
        if backend.exists(name):
            backend.destroy(name, force=True)


def test_cancelled_create_leaves_nothing_behind_and_frees_the_name(server, users, tokens, templates_dir, backend):
    name = playground.unique_name("cancel")
    operation_id = create_async(server, tokens.erin, name).body["id"]
    follow(server, tokens.erin, operation_id, lambda body: "Downloading the rootfs" in log_text(body))
    assert os.path.isdir(container_dir(name))  # liblxc made its directory: there is something to undo

    cancel = call(server, "DELETE", f"/api/v1/operations/{operation_id}", tokens.erin)

    assert cancel.status == 202, cancel.body
    done = follow(server, tokens.erin, operation_id, lambda body: body["finished"] is not None, timeout=30)
    assert done["status"] == "cancelled", done
    assert done["error"]["code"] == "cancelled"
    assert not backend.exists(name)
    assert not os.path.lexists(container_dir(name))
    again = call(server, "DELETE", f"/api/v1/operations/{operation_id}", tokens.erin)
    assert (again.status, again.body["code"]) == (409, "finished")
    assert_name_is_free_again(server, tokens.erin, backend, name)


def test_a_synchronous_create_through_the_worker_answers_200_as_before(server, users, tokens, backend):
    name = playground.unique_name("sync")
    response = call(server, "PUT", "/api/v1/containers/", tokens.erin, {"name": name, "template": "busybox"})
    try:
        assert response.status == 200, response.body
        assert set(response.body) == {"status", "name", "output", "operation"}
        assert (response.body["status"], response.body["name"]) == ("ok", name)
        operation = Operation.objects.get(pk=response.body["operation"])
        assert (operation.status, operation.kind, operation.container) == ("succeeded", "create", name)
        assert operation.worker  # run by a worker, not by the web server
        assert operation.source == "api" and operation.client_address == "127.0.0.1"
    finally:
        if backend.exists(name):
            backend.destroy(name, force=True)


def test_worker_killed_mid_create_leaves_a_failed_operation_no_container_no_lock(
        server, users, tokens, templates_dir, backend):
    name = playground.unique_name("killed")
    operation_id = create_async(server, tokens.erin, name).body["id"]
    follow(server, tokens.erin, operation_id, lambda body: "Downloading the rootfs" in log_text(body))
    worker = server.job_workers[0]
    # Its row, which an earlier test's flush of the tables removed, is back (it beats every 5 s):
    # without it, nobody could tell that the worker of this operation died.
    assert wait_until(lambda: Worker.objects.filter(pid=worker.process.pid).exists(), 15)

    worker.kill()

    # The liblxc call's own supervisor undoes the half-made container when its worker dies.
    assert wait_until(lambda: not os.path.lexists(container_dir(name)), timeout=30), \
        leftovers(name, backend, worker)
    assert not backend.exists(name)
    worker.start()  # as bin/lwp-run restarts a worker that died
    done = follow(server, tokens.erin, operation_id, lambda body: body["finished"] is not None, timeout=30)
    assert done["status"] == "failed" and done["error"]["code"] == "interrupted", done
    assert_name_is_free_again(server, tokens.erin, backend, name)  # and the new worker runs new jobs


def test_two_workers_never_run_the_same_job(django_db_setup, django_db_blocker, backend, templates_dir,
                                            users, tokens):
    with django_db_blocker.unblock():
        pair = _server(templates_dir, job_workers=2).start()
    names = [playground.unique_name("pair") for _ in range(8)]
    try:
        operation_ids = [create_async(pair, tokens.erin, name, template="busybox").body["id"] for name in names]
        for operation_id in operation_ids:
            done = follow(pair, tokens.erin, operation_id, lambda body: body["finished"] is not None)
            assert done["status"] == "succeeded", (done["error"], log_text(done))
        for operation_id in operation_ids:
            starts = LogLine.objects.filter(operation_id=operation_id, line__startswith="LWP: creating").count()
            assert starts == 1, operation_id
        assert all(backend.exists(name) for name in names)
    finally:
        pair.stop()
        for name in names:
            if backend.exists(name):
                backend.destroy(name, force=True)


def test_without_a_worker_a_synchronous_create_is_a_503_and_its_operation_failed(
        django_db_setup, django_db_blocker, backend, templates_dir, users, tokens):
    with django_db_blocker.unblock():
        lonely = _server(templates_dir, job_workers=0).start()
    name = playground.unique_name("noworker")
    try:
        started = time.monotonic()
        response = call(lonely, "PUT", "/api/v1/containers/", tokens.erin, {"name": name, "template": "busybox"})
        waited = time.monotonic() - started
    finally:
        lonely.stop()
    assert (response.status, response.body["code"]) == (503, "worker_unavailable"), response.body
    assert 2 <= waited < 10  # LWP_WORKER_WAIT=2
    operation = Operation.objects.get(container=name)
    assert (operation.status, operation.error_code) == ("failed", "worker_unavailable")
    assert not backend.exists(name)
