"""GET /api/v1/backups: every backup the user may see, of containers that exist and of those
destroyed since, filtered and paged like the operations list."""

import datetime

import pytest
from django.utils import timezone

from backups.models import Backup
from testing.api import assert_error

pytestmark = pytest.mark.django_db

ROUTES = ["/api/v1/backups", "/api/v1/backups/"]


def made(container, minutes_ago, **fields):
    """A backup row of `container`, made `minutes_ago` (the list is ordered by when)."""
    return Backup.objects.create(container=container, created=timezone.now() - datetime.timedelta(minutes=minutes_ago),
                                 **fields)


@pytest.fixture
def backups(fake_container):
    """Three backups of two containers (web: one ready, one failed; db: one ready), oldest first."""
    web, db = fake_container("web"), fake_container("db")
    return [made(web, 30, status=Backup.Status.READY, comment="before the upgrade", size_bytes=1234, sha256="a" * 64),
            made(db, 20, status=Backup.Status.READY, scheduled=True),
            made(web, 10, status=Backup.Status.FAILED)]


def ids(response):
    return [item["id"] for item in response.body["results"]]


@pytest.mark.parametrize("path", ROUTES)
def test_who_may_list_every_backup(api, tokens, backups, path):
    assert_error(api("GET", path), 401, "unauthorized")
    assert_error(api("GET", path, token=tokens.charlie), 403, "permission_denied")
    assert api("GET", path, token=tokens.readonly).status_code == 200  # a read
    response = api("GET", path, token=tokens.bob)
    assert response.status_code == 200
    assert ids(response) == [str(b.pk) for b in reversed(backups)]  # newest first
    assert response.body["count"] == 3 and response.body["next"] is None


def test_each_item_is_the_backup_record_and_whether_its_container_exists(api, tokens, backups):
    listed = api("GET", ROUTES[0], token=tokens.bob).body["results"][-1]
    web = backups[0].container
    record = api("GET", f"/api/v1/containers/{web}/backups/{backups[0].pk}", token=tokens.bob).body
    assert listed == {**record, "container_exists": True}
    assert listed["download"] == f"/api/v1/containers/{web}/backups/{backups[0].pk}/download"


def test_a_destroyed_containers_backup_is_listed_with_container_exists_false(api, tokens, backups):
    assert api("DELETE", f"/api/v1/containers/{backups[0].container}", token=tokens.erin).status_code == 200
    listed = {item["id"]: item["container_exists"] for item in api("GET", ROUTES[0], token=tokens.bob).body["results"]}
    assert listed == {str(backups[0].pk): False, str(backups[1].pk): True, str(backups[2].pk): False}


def test_the_engine_is_listed_once_whatever_the_number_of_rows(api, tokens, backups, fake_engine, monkeypatch):
    calls = []
    listing = fake_engine.list_containers
    monkeypatch.setattr(fake_engine, "list_containers", lambda **kw: calls.append(kw) or listing(**kw))
    monkeypatch.setattr(fake_engine, "exists", lambda name: pytest.fail("one listing, not a call per row"))
    assert len(ids(api("GET", ROUTES[0], token=tokens.bob))) == 3
    assert len(calls) == 1


def test_filtered_by_container_and_status(api, tokens, backups):
    web = backups[0].container
    assert ids(api("GET", ROUTES[0] + f"?container={web}", token=tokens.bob)) == [str(backups[2].pk),
                                                                                 str(backups[0].pk)]
    assert ids(api("GET", ROUTES[0] + f"?container={web}&status=ready", token=tokens.bob)) == [str(backups[0].pk)]
    assert ids(api("GET", ROUTES[0] + "?status=failed", token=tokens.bob)) == [str(backups[2].pk)]
    assert ids(api("GET", ROUTES[0] + "?container=gone", token=tokens.bob)) == []
    response = api("GET", ROUTES[0] + "?status=lost", token=tokens.bob)
    assert_error(response, 400, "invalid")
    assert "status" in response.body["fields"]


def test_paged_like_the_operations_list(api, tokens, backups):
    first = api("GET", ROUTES[0] + "?per_page=2", token=tokens.bob).body
    assert first["count"] == 3 and [item["id"] for item in first["results"]] == [str(backups[2].pk),
                                                                               str(backups[1].pk)]
    assert first["previous"] is None and "page=2" in first["next"]
    second = api("GET", ROUTES[0] + "?per_page=2&page=2", token=tokens.bob).body
    assert [item["id"] for item in second["results"]] == [str(backups[0].pk)] and second["next"] is None
    assert_error(api("GET", ROUTES[0] + "?page=9", token=tokens.bob), 404, "not_found")


def test_the_schema_describes_the_list_with_its_filters(client, tokens):
    schema = client.get("/api/v1/schema/", headers={"private-token": tokens.bob}).json()
    route = schema["paths"]["/api/v1/backups"]["get"]
    assert {p["name"] for p in route["parameters"]} == {"container", "status", "page", "per_page"}
    assert "container_exists" in schema["components"]["schemas"]["ListedBackup"]["properties"]
