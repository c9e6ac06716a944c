"""Backups of a container through the API: list, start, show, download, delete, and a new
container from one (PUT /api/v1/containers/ with `backup`), each with who may and may not."""

import hashlib
import io
import uuid

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

from backups.models import Backup
from backups.tests.conftest import files_in
from backups.tests.support import failing
from containers.models import Container
from lwp.exceptions import LXCError
from operations import jobs
from operations.models import Event, Operation
from testing.api import assert_error

pytestmark = pytest.mark.django_db


def paths(route):
    return [route, route + "/"]


def back_up(api, token, name, **data):
    return api("POST", f"/api/v1/containers/{name}/backups", token=token, data=data)


@pytest.fixture
def container(fake_container):
    return fake_container("bk")


@pytest.fixture
def ready(api, tokens, container):
    """A ready backup of `container`, made through the API."""
    response = back_up(api, tokens.dave, container, comment="before the upgrade")
    assert response.status_code == 200, response.body
    return Backup.objects.get(pk=response.body["backup"]["id"])


def download(client, token, name, backup_id):
    return client.get(f"/api/v1/containers/{name}/backups/{backup_id}/download", headers={"private-token": token})


# ----- starting one ----------------------------------------------------------------------------


def test_a_backup_is_ready_when_answered_with_its_size_checksum_and_operation(api, tokens, container, backup_dir):
    response = back_up(api, tokens.dave, container, comment="before the upgrade")
    assert response.status_code == 200, response.body
    body = response.body["backup"]
    assert (body["status"], body["comment"], body["container"], body["scheduled"]) == (
        "ready", "before the upgrade", container, False)
    assert body["created_by"] == "dave" and len(body["sha256"]) == 64 and body["size_bytes"] > 0
    archive = backup_dir / f"{body['id']}.tar.zst"
    assert files_in(backup_dir) == [archive.name]  # only the final name: the partial file is gone
    assert archive.stat().st_mode & 0o777 == 0o600
    assert hashlib.sha256(archive.read_bytes()).hexdigest() == body["sha256"]
    operation = Operation.objects.get(pk=response.body["operation"])
    assert (operation.kind, operation.status, str(operation.pk)) == ("backup", "succeeded", body["operation"])
    assert Event.objects.filter(action="container.backup", target=container, operation=operation.pk).exists()


def test_async_answers_202_with_the_operation(api, tokens, container):
    response = api("POST", f"/api/v1/containers/{container}/backups?async=1", token=tokens.dave, data={})
    assert response.status_code == 202 and response["Location"].startswith("/api/v1/operations/")
    assert Backup.objects.get(container=container).operation_id == uuid.UUID(response.body["id"])


@pytest.mark.parametrize("path", paths("/api/v1/containers/{}/backups"))
def test_who_may_start_a_backup(api, tokens, container, path):
    path = path.format(container)
    assert_error(api("POST", path, data={}), 401, "unauthorized")
    assert_error(api("POST", path, token=tokens.bob, data={}), 403, "permission_denied")
    assert_error(api("POST", path, token=tokens.readonly, data={}), 403, "permission_denied")
    assert not Backup.objects.exists()
    assert api("POST", path, token=tokens.dave, data={}).status_code == 200


def test_an_unknown_container_or_a_bad_comment_is_refused_before_any_operation(api, tokens, container):
    assert_error(back_up(api, tokens.dave, "no-such-one"), 404, "not_found")
    assert_error(back_up(api, tokens.dave, container, comment="x" * 1001), 400, "invalid")
    assert_error(back_up(api, tokens.dave, container, colour="blue"), 400, "invalid")
    assert not Operation.objects.exists() and not Backup.objects.exists()


def test_a_failed_export_leaves_a_failed_backup_and_no_file(api, tokens, container, fake_engine, backup_dir,
                                                            monkeypatch):
    monkeypatch.setattr(fake_engine, "export_backup", failing(LXCError("tar failed")))
    response = back_up(api, tokens.dave, container)
    assert_error(response, 500, "lxc_error")
    assert Backup.objects.get(container=container).status == "failed"
    assert files_in(backup_dir) == []


# ----- reading ---------------------------------------------------------------------------------


def test_who_may_list_and_show(api, tokens, container, ready):
    routes = [*paths(f"/api/v1/containers/{container}/backups"),
              *paths(f"/api/v1/containers/{container}/backups/{ready.pk}")]
    for path in routes:
        assert_error(api("GET", path), 401, "unauthorized")
        assert_error(api("GET", path, token=tokens.charlie), 403, "permission_denied")
        assert api("GET", path, token=tokens.readonly).status_code == 200
    listed = api("GET", routes[0], token=tokens.bob).body
    assert [b["id"] for b in listed] == [str(ready.pk)]
    assert listed[0]["download"] == f"/api/v1/containers/{container}/backups/{ready.pk}/download"
    assert api("GET", routes[2], token=tokens.bob).body["sha256"] == ready.sha256


def test_a_backup_of_another_container_or_an_unknown_id_is_404(api, tokens, container, ready, fake_container):
    other = fake_container("other")
    assert_error(api("GET", f"/api/v1/containers/{other}/backups/{ready.pk}", token=tokens.bob), 404, "not_found")
    assert_error(api("GET", f"/api/v1/containers/{container}/backups/{uuid.uuid4()}", token=tokens.bob),
                 404, "not_found")
    assert_error(api("GET", f"/api/v1/containers/{container}/backups/not-a-uuid", token=tokens.bob), 404, "not_found")


def test_backups_outlive_their_container(api, tokens, container, ready):
    assert api("DELETE", f"/api/v1/containers/{container}", token=tokens.erin).status_code == 200
    listed = api("GET", f"/api/v1/containers/{container}/backups", token=tokens.bob)
    assert [b["id"] for b in listed.body] == [str(ready.pk)]


# ----- downloading -----------------------------------------------------------------------------


def test_the_download_streams_the_archive_that_matches_its_checksum(client, tokens, container, ready, backup_dir):
    for path in paths(f"/api/v1/containers/{container}/backups/{ready.pk}/download"):
        response = client.get(path, headers={"private-token": tokens.erin})
        assert response.status_code == 200 and response.streaming
        body = b"".join(response.streaming_content)
        assert hashlib.sha256(body).hexdigest() == ready.sha256
        assert int(response["Content-Length"]) == len(body) == ready.size_bytes
        stamp = ready.created.strftime("%Y%m%d-%H%M%S")
        assert response["Content-Disposition"] == f'attachment; filename="{container}-{stamp}.tar.zst"'
        assert response["ETag"] == f'"{ready.sha256}"' and response["X-Content-SHA256"] == ready.sha256
    assert Event.objects.filter(action="container.backup_download", target=container, username="erin").exists()


def test_who_may_download_needs_its_own_permission(api, tokens, container, ready, client):
    path = f"/api/v1/containers/{container}/backups/{ready.pk}/download"
    assert_error(api("GET", path), 401, "unauthorized")
    assert_error(api("GET", path, token=tokens.bob), 403, "permission_denied")
    # an operator may back up (change) but not take the archive away
    assert_error(api("GET", path, token=tokens.dave), 403, "permission_denied")
    assert download(client, tokens.readonly, container, ready.pk).status_code == 200  # a read
    assert download(client, tokens.erin, container, ready.pk).status_code == 200


def test_a_backup_that_is_not_ready_is_not_downloaded(api, tokens, container):
    backup = Backup.objects.create(container=container, status=Backup.Status.FAILED)
    assert_error(api("GET", f"/api/v1/containers/{container}/backups/{backup.pk}/download", token=tokens.erin),
                 409, "invalid_state")


# ----- deleting --------------------------------------------------------------------------------


@pytest.mark.parametrize("slash", ["", "/"])
def test_who_may_delete_a_backup(api, tokens, container, ready, backup_dir, slash):
    path = f"/api/v1/containers/{container}/backups/{ready.pk}{slash}"
    assert_error(api("DELETE", path), 401, "unauthorized")
    assert_error(api("DELETE", path, token=tokens.dave), 403, "permission_denied")  # change is not enough
    assert_error(api("DELETE", path, token=tokens.readonly), 403, "permission_denied")
    assert files_in(backup_dir) == [f"{ready.pk}.tar.zst"]
    response = api("DELETE", path, token=tokens.erin)
    assert response.status_code == 200, response.body
    assert not Backup.objects.exists() and files_in(backup_dir) == []
    assert Operation.objects.get(pk=response.body["operation"]).kind == "backup_delete"


def test_a_running_backup_is_not_deleted(api, tokens, container):
    backup = Backup.objects.create(container=container, status=Backup.Status.RUNNING)
    assert_error(api("DELETE", f"/api/v1/containers/{container}/backups/{backup.pk}", token=tokens.erin),
                 409, "invalid_state")


# ----- a new container from a backup -----------------------------------------------------------


def restore(api, token, **data):
    return api("PUT", "/api/v1/containers/", token=token, data=data)


def test_a_new_container_from_a_backup(api, tokens, container, ready, fake_engine, backup_dir):
    response = restore(api, tokens.erin, name="from-backup", backup=str(ready.pk))
    assert response.status_code == 200, response.body
    assert response.body["name"] == "from-backup"
    assert fake_engine.exists("from-backup")
    assert container in response.body["output"]  # the engine's word on what it restored
    metadata = Container.objects.get(name="from-backup")
    assert metadata.created_by.username == "erin"
    assert metadata.description == f"restored from backup {ready.pk} of {container}"
    operation = Operation.objects.get(pk=response.body["operation"])
    assert operation.kind == "backup_restore" and operation.container == "from-backup"


def test_who_may_restore_needs_add(api, tokens, ready):
    assert_error(restore(api, None, name="r1", backup=str(ready.pk)), 401, "unauthorized")
    assert_error(restore(api, tokens.dave, name="r1", backup=str(ready.pk)), 403, "permission_denied")
    assert_error(restore(api, tokens.readonly, name="r1", backup=str(ready.pk)), 403, "permission_denied")
    assert not Operation.objects.filter(kind="backup_restore").exists()


@pytest.mark.parametrize("extra, field", [
    ({"template": "busybox"}, "template"),
    ({"clone": "web"}, "clone"),
    ({"xargs": "-x"}, "xargs"),
    ({"store": "dir"}, "store"),
    ({"snapshot": "snap0"}, "snapshot"),
])
def test_backup_with_template_clone_or_options_is_400(api, tokens, ready, extra, field):
    response = restore(api, tokens.erin, name="r2", backup=str(ready.pk), **extra)
    assert_error(response, 400, "invalid")
    assert field in response.body["fields"]


def test_restore_refusals_come_before_any_operation(api, tokens, container, ready, fake_container):
    taken = fake_container("taken")
    assert_error(restore(api, tokens.erin, name=taken, backup=str(ready.pk)), 409, "exists")
    response = restore(api, tokens.erin, name="r3", backup=str(uuid.uuid4()))
    assert_error(response, 400, "invalid")
    assert "backup" in response.body["fields"]
    assert_error(restore(api, tokens.erin, name="bad name!", backup=str(ready.pk)), 400, "invalid")
    assert_error(restore(api, tokens.erin, name="r4", backup="not-a-uuid"), 400, "invalid")
    assert not Operation.objects.filter(kind="backup_restore").exists()


# ----- the schema and the permission ----------------------------------------------------------


def test_the_schema_describes_the_backup_routes_without_a_warning(client, tokens):
    out = io.StringIO()
    call_command("spectacular", "--validate", "--fail-on-warn", stdout=out)
    schema = client.get("/api/v1/schema/", headers={"private-token": tokens.bob}).json()
    assert {"/api/v1/containers/{name}/backups", "/api/v1/containers/{name}/backups/{backup_id}",
            "/api/v1/containers/{name}/backups/{backup_id}/download", "/api/v1/containers/{name}/backup-schedule",
            "/api/v1/backups/import"} <= set(schema["paths"])
    assert "multipart/form-data" in schema["paths"]["/api/v1/backups/import"]["post"]["requestBody"]["content"]
    assert "413" in schema["paths"]["/api/v1/backups/import"]["post"]["responses"]


def test_the_migration_gives_download_backup_to_administrators_only():
    holders = set(Group.objects.filter(permissions__codename="download_backup").values_list("name", flat=True))
    assert holders == {"administrators"}


# ----- what an interrupted or unclaimed job leaves ----------------------------------------------


def test_an_interrupted_backup_leaves_no_partial_archive_and_is_failed(users, container, backup_dir):
    backup = Backup.objects.create(container=container, status=Backup.Status.RUNNING)
    operation = Operation.objects.create(kind="backup", container=container, status="failed",
                                         params={"backup": str(backup.pk)})
    partial = backup_dir / f"{backup.pk}.tar.zst.part"
    partial.write_bytes(b"half an archive")
    staged = backup_dir / f"{partial.name}.meta"  # what the killed writer staged beside it
    staged.mkdir()
    (staged / "config").write_text("lxc.uts.name = c\n")
    jobs.undo_for("backup")(operation)  # what recovery runs once the worker is known dead
    assert files_in(backup_dir) == []
    backup.refresh_from_db()
    assert backup.status == "failed"


def test_a_backup_whose_operation_ended_without_running_is_listed_as_failed(api, tokens, container):
    operation = Operation.objects.create(kind="backup", container=container, status="failed")
    backup = Backup.objects.create(container=container, status=Backup.Status.PENDING, operation=operation)
    listed = api("GET", f"/api/v1/containers/{container}/backups", token=tokens.bob).body
    assert [(b["id"], b["status"]) for b in listed] == [(str(backup.pk), "failed")]
