"""POST /api/v1/backups/import: a new container from an uploaded archive, checked before
anything is written; too large or bad, it is refused and nothing of it stays."""

import hashlib

import pytest

from backups.models import Backup
from backups.tests.conftest import files_in
from backups.tests.support import archive_bytes, upload_of
from containers.models import Container
from operations.models import Operation
from testing.api import assert_error

pytestmark = pytest.mark.django_db

PATHS = ["/api/v1/backups/import", "/api/v1/backups/import/"]


def upload(client, token, data, path=PATHS[0], **kwargs):
    headers = {"private-token": token} if token else {}
    response = client.post(path, data, headers=headers, **kwargs)
    response.body = response.json()
    return response


@pytest.fixture
def good(fake_engine):
    """A whole archive, as another host's panel would have made it."""
    return archive_bytes(fake_engine)


def nothing_left(fake_engine, backup_dir, name):
    assert files_in(backup_dir) == []
    assert not fake_engine.exists(name)
    assert not Backup.objects.exists() and not Container.objects.filter(name=name).exists()
    assert not Operation.objects.filter(kind="backup_restore").exists()


@pytest.mark.parametrize("path", PATHS)
def test_an_uploaded_archive_becomes_a_container_and_is_kept_as_its_backup(client, tokens, fake_engine, backup_dir,
                                                                         good, path):
    response = upload(client, tokens.erin, {"file": upload_of(good), "name": "imported"}, path=path)
    assert response.status_code == 200, response.body
    assert response.body["name"] == "imported" and fake_engine.exists("imported")
    backup = Backup.objects.get(pk=response.body["backup"])
    assert (backup.container, backup.status, backup.comment) == ("imported", "ready", "imported from web.tar.zst")
    assert backup.sha256 == hashlib.sha256(good).hexdigest() and backup.size_bytes == len(good)
    assert backup.manifest["container"].startswith("src-")  # the archive's own word on its source
    assert files_in(backup_dir) == [f"{backup.pk}.tar.zst"]  # the upload's temporary name is gone
    assert (backup_dir / f"{backup.pk}.tar.zst").stat().st_mode & 0o777 == 0o600
    assert Operation.objects.get(pk=response.body["operation"]).kind == "backup_restore"


def test_async_import_answers_202(client, tokens, fake_engine, good):
    response = upload(client, tokens.erin, {"file": upload_of(good), "name": "imported"},
                      path=PATHS[0] + "?async=1")
    assert response.status_code == 202 and response.body["kind"] == "backup_restore"


def test_who_may_import(client, tokens, fake_engine, backup_dir, good):
    for token, status, code in ((None, 401, "unauthorized"), (tokens.bob, 403, "permission_denied"),
                                (tokens.dave, 403, "permission_denied"), (tokens.readonly, 403, "permission_denied")):
        assert_error(upload(client, token, {"file": upload_of(good), "name": "imported"}), status, code)
    nothing_left(fake_engine, backup_dir, "imported")


def test_a_session_without_permission_leaves_no_upload_behind(client, users, fake_engine, backup_dir, good):
    client.force_login(users.dave)  # the session's CSRF check reads the body before the refusal
    response = upload(client, None, {"file": upload_of(good), "name": "imported"})
    assert response.status_code == 403
    nothing_left(fake_engine, backup_dir, "imported")


@pytest.mark.parametrize("cut", [lambda good: b"not an archive at all", lambda good: b"",
                                 lambda good: good[:len(good) // 2], lambda good: good[:-1]])
def test_a_bad_archive_is_400_and_leaves_nothing(client, tokens, fake_engine, backup_dir, good, cut):
    assert_error(upload(client, tokens.erin, {"file": upload_of(cut(good)), "name": "imported"}), 400,
                 "invalid_archive")
    nothing_left(fake_engine, backup_dir, "imported")


def test_over_the_limit_by_its_length_is_413_before_it_is_read(client, tokens, fake_engine, backup_dir, settings):
    settings.LWP_UPLOAD_MAX_BYTES = 1000
    response = upload(client, tokens.erin, {"file": upload_of(b"x" * 200_000), "name": "imported"})
    assert_error(response, 413, "too_large")
    assert "file" in response.body["fields"]
    nothing_left(fake_engine, backup_dir, "imported")


def test_over_the_limit_as_it_arrives_is_413_and_the_part_written_is_removed(client, tokens, fake_engine,
                                                                             backup_dir, settings):
    settings.LWP_UPLOAD_MAX_BYTES = 1000  # the body (5 kB) is within the multipart slack: caught on the way
    response = upload(client, tokens.erin, {"file": upload_of(b"x" * 5000), "name": "imported"})
    assert_error(response, 413, "too_large")
    nothing_left(fake_engine, backup_dir, "imported")


@pytest.mark.parametrize("data, field", [
    ({"name": "imported"}, "file"),
    ({"file": "just text", "name": "imported"}, "file"),
    ({"name": "bad name!"}, "name"),
    ({}, "name"),
    ({"name": "imported", "colour": "blue"}, "colour"),
])
def test_a_bad_request_is_400_naming_the_field(client, tokens, fake_engine, backup_dir, good, data, field):
    if "file" not in data and field != "file":
        data = {**data, "file": upload_of(good)}
    response = upload(client, tokens.erin, data)
    assert response.status_code == 400, response.body
    assert field in response.body["fields"]
    nothing_left(fake_engine, backup_dir, "imported")


def test_a_taken_name_is_409_and_leaves_nothing(client, tokens, fake_engine, fake_container, backup_dir, good):
    taken = fake_container("taken")
    assert_error(upload(client, tokens.erin, {"file": upload_of(good), "name": taken}), 409, "exists")
    assert files_in(backup_dir) == [] and not Backup.objects.exists()


def test_a_json_body_is_a_400(api, tokens, fake_engine):
    assert_error(api("POST", PATHS[0], token=tokens.erin, data={"name": "x"}), 400, "parse_error")
