"""Backups on real LXC through the API and the worker: back up a busybox container, download
the archive, restore it (from the backup and from the file) under new names that start with
the same files, and a schedule that backs up by itself in a live worker, keeping only N."""

import datetime
import hashlib
import io
import os
import subprocess

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from backups.models import Backup, BackupSchedule
from containers.tests.lxc_support import adhoc  # noqa: F401 - adhoc is a fixture
from testing import playground
from testing.api import assert_error

MARKER = "/root/marker.txt"


def rootfs(lxcpath, name):
    return os.path.join(lxcpath, name, "rootfs")


def file_sum(lxcpath, name, path):
    with open(rootfs(lxcpath, name) + path, "rb") as fh:
        return hashlib.sha256(fh.read()).hexdigest()


def write_marker(lxcpath, name):
    path = rootfs(lxcpath, name) + MARKER
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as fh:
        fh.write(f"made in {name}\n")
    os.chown(path, 1234, 2345)
    os.chmod(path, 0o640)


@pytest.mark.django_db
def test_a_backup_restored_under_a_new_name_starts_with_the_same_files(api, client, tokens, make_container, backend,
                                                                      lxcpath, adhoc):  # noqa: F811
    source = make_container("bk")
    write_marker(lxcpath, source)
    made = api("POST", f"/api/v1/containers/{source}/backups", token=tokens.dave, data={"comment": "e2e"})
    assert made.status_code == 200, made.body
    backup = made.body["backup"]
    assert backup["status"] == "ready" and backup["size_bytes"] > 0 and backup["manifest"]
    archive = settings.LWP_BACKUP_DIR / f"{backup['id']}.tar.zst"
    assert hashlib.sha256(archive.read_bytes()).hexdigest() == backup["sha256"]

    download = client.get(f"/api/v1/containers/{source}/backups/{backup['id']}/download",
                          headers={"private-token": tokens.erin})
    body = b"".join(download.streaming_content)
    assert hashlib.sha256(body).hexdigest() == backup["sha256"]
    assert int(download["Content-Length"]) == len(body)

    copy = playground.unique_name("bkr")
    adhoc.append(copy)
    answer = api("PUT", "/api/v1/containers/", token=tokens.erin, data={"name": copy, "backup": backup["id"]})
    assert answer.status_code == 200, answer.body
    assert file_sum(lxcpath, copy, MARKER) == file_sum(lxcpath, source, MARKER)
    assert file_sum(lxcpath, copy, "/bin/busybox") == file_sum(lxcpath, source, "/bin/busybox")
    stat = os.lstat(rootfs(lxcpath, copy) + MARKER)
    assert (stat.st_uid, stat.st_gid, stat.st_mode & 0o7777) == (1234, 2345, 0o640)
    started = api("POST", f"/api/v1/containers/{copy}", token=tokens.dave, data={"action": "start"})
    assert started.status_code == 200 and started.body["state"] == "RUNNING", started.body

    # ... and the downloaded file, uploaded, makes another one
    upload = io.BytesIO(body)
    upload.name = download["Content-Disposition"].split('filename="')[1].rstrip('"')
    imported = playground.unique_name("bki")
    adhoc.append(imported)
    response = client.post("/api/v1/backups/import", {"file": upload, "name": imported},
                           headers={"private-token": tokens.erin})
    assert response.status_code == 200, response.content
    assert file_sum(lxcpath, imported, MARKER) == file_sum(lxcpath, source, MARKER)
    assert Backup.objects.get(container=imported).sha256 == backup["sha256"]


@pytest.mark.django_db
def test_a_truncated_upload_is_400_and_leaves_nothing(client, tokens, make_container, api, backend, adhoc):  # noqa: F811
    source = make_container("bk")
    backup = api("POST", f"/api/v1/containers/{source}/backups", token=tokens.dave, data={}).body["backup"]
    whole = (settings.LWP_BACKUP_DIR / f"{backup['id']}.tar.zst").read_bytes()
    before = sorted(os.listdir(settings.LWP_BACKUP_DIR))
    name = playground.unique_name("bkt")
    adhoc.append(name)
    upload = io.BytesIO(whole[: len(whole) // 2])
    upload.name = "cut.tar.zst"
    response = client.post("/api/v1/backups/import", {"file": upload, "name": name},
                           headers={"private-token": tokens.erin})
    response.body = response.json()
    assert_error(response, 400, "invalid_archive")
    assert sorted(os.listdir(settings.LWP_BACKUP_DIR)) == before
    assert not backend.exists(name) and not Backup.objects.filter(container=name).exists()


# ----- a schedule, run by a live worker ---------------------------------------------------------


@pytest.fixture(scope="module")
def worker_server(django_db_setup, django_db_blocker, backend):
    with django_db_blocker.unblock():
        live = playground.LiveServer(database_url=playground.database_url(connection.settings_dict)).start()
    yield live
    live.stop()


@pytest.mark.django_db(transaction=True)
def test_a_due_schedule_backs_up_by_itself_and_keeps_only_n(worker_server, make_container, tokens):
    name = make_container("bks")
    schedule = BackupSchedule.objects.create(container=name, time=datetime.time(3, 0), keep=1,
                                             next_run=timezone.now() + datetime.timedelta(seconds=2))

    def ready_scheduled():
        return list(Backup.objects.filter(container=name, scheduled=True, status="ready"))

    [first] = playground.wait_for(ready_scheduled, "first scheduled backup", 60)
    schedule.refresh_from_db()
    assert schedule.next_run > timezone.now() + datetime.timedelta(hours=1)  # tomorrow's, moved on once
    assert schedule.last_operation.source == "worker" and schedule.last_operation.status == "succeeded"
    # due again: a second backup replaces the first (keep=1), file and record
    BackupSchedule.objects.filter(pk=schedule.pk).update(next_run=timezone.now())
    [second] = playground.wait_for(lambda: [b for b in ready_scheduled() if b.pk != first.pk], "second one", 60)
    playground.wait_for(lambda: not Backup.objects.filter(pk=first.pk).exists(), "pruning of the first", 30)
    assert not (settings.LWP_BACKUP_DIR / f"{first.pk}.tar.zst").exists()
    assert (settings.LWP_BACKUP_DIR / f"{second.pk}.tar.zst").is_file()
    assert Backup.objects.filter(container=name).count() == 1

    # served by gunicorn: streamed in blocks (no sendfile), whole, with its length and checksum
    download = curl("--header", f"private-token: {tokens.erin}", "--output", "-", "--dump-header", "/dev/stderr",
                    f"{worker_server.url}/api/v1/containers/{name}/backups/{second.pk}/download")
    assert hashlib.sha256(download.stdout).hexdigest() == second.sha256
    assert f"content-length: {second.size_bytes}" in download.stderr.decode().lower()


def curl(*args):
    return subprocess.run(["curl", "--silent", "--show-error", "--fail", "--max-time", "60", "--noproxy", "*", *args],
                          capture_output=True, timeout=90, check=True)
