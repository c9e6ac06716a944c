"""GET /api/v1/operations, GET and DELETE /api/v1/operations/<id>: who may, filters, pages, cancel."""

import uuid
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from operations.models import Event, LogLine, Operation, Status
from testing.api import assert_error

pytestmark = pytest.mark.django_db

LIST = ["/api/v1/operations", "/api/v1/operations/"]


def made(user, *, kind="start", container="web1", status=Status.SUCCEEDED, minutes_ago=0, **fields):
    operation = Operation.objects.create(kind=kind, container=container, user=user, username=user.get_username(),
                                         source="api", status=status, **fields)
    then = timezone.now() - timedelta(minutes=minutes_ago)
    Operation.objects.filter(pk=operation.pk).update(
        created=then, finished=then if status in (Status.SUCCEEDED, Status.FAILED, Status.CANCELLED) else None)
    operation.refresh_from_db()
    return operation


def detail_paths(operation):
    return [f"/api/v1/operations/{operation.pk}", f"/api/v1/operations/{operation.pk}/"]


# ----- who may: anonymous 401, no permission 403, permitted 200 ---------------------------------


@pytest.mark.parametrize("path", LIST)
def test_list_needs_credentials_and_the_view_permission(api, users, tokens, path):
    made(users.dave)
    assert_error(api("GET", path), 401, "unauthorized")
    assert_error(api("GET", path, token=tokens.charlie), 403, "permission_denied")
    response = api("GET", path, token=tokens.bob)
    assert response.status_code == 200 and response.body["count"] == 1


def test_detail_needs_credentials_and_the_view_permission(api, users, tokens):
    operation = made(users.dave)
    for path in detail_paths(operation):
        assert_error(api("GET", path), 401, "unauthorized")
        assert_error(api("GET", path, token=tokens.charlie), 403, "permission_denied")
        assert api("GET", path, token=tokens.bob).body["id"] == str(operation.pk)


def test_cancel_needs_credentials_and_permission(api, users, tokens):
    operation = made(users.dave, status=Status.PENDING)
    for path in detail_paths(operation):
        assert_error(api("DELETE", path), 401, "unauthorized")
        assert_error(api("DELETE", path, token=tokens.charlie), 403, "permission_denied")
    response = api("DELETE", detail_paths(operation)[0], token=tokens.dave)
    assert response.status_code == 202
    assert response.body["status"] == "cancelled"
    assert Event.objects.filter(action="permission.denied", username="charlie").count() == 2
    assert Event.objects.filter(action="permission.denied", username="").count() == 2  # the anonymous tries


# ----- what the list says, in which order, filtered and paged ---------------------------------------


def test_list_is_newest_first_with_who_and_from_where(api, users, tokens):
    older = made(users.dave, minutes_ago=5)
    newer = made(users.erin, kind="create", container="web2", minutes_ago=1, token="erin's script",
                 client_address="192.0.2.5")
    body = api("GET", "/api/v1/operations", token=tokens.bob).body
    assert [row["id"] for row in body["results"]] == [str(newer.pk), str(older.pk)]
    row = body["results"][0]
    assert (row["kind"], row["container"], row["user"], row["token"], row["client_address"], row["source"]) == (
        "create", "web2", "erin", "erin's script", "192.0.2.5", "api")
    assert row["url"] == f"/api/v1/operations/{newer.pk}"
    assert "log" not in row  # the log is in the detail only


@pytest.mark.parametrize(("query", "expected"), [
    ("status=pending", {"pending-web"}),
    ("status=succeeded", {"web1", "web2"}),
    ("container=web2", {"web2"}),
    ("user=erin", {"web2"}),
    ("user=dave&status=succeeded", {"web1"}),
    ("container=nothing", set()),
])
def test_list_filters(api, users, tokens, query, expected):
    made(users.dave, container="web1")
    made(users.erin, container="web2")
    made(users.dave, container="pending-web", status=Status.PENDING)
    body = api("GET", f"/api/v1/operations?{query}", token=tokens.bob).body
    assert {row["container"] for row in body["results"]} == expected
    assert body["count"] == len(expected)


@pytest.mark.parametrize(("query", "field"), [
    ("status=sleeping", "status"), ("container=" + "x" * 65, "container"), ("user=" + "u" * 151, "user"),
])
def test_bad_filter_values_are_400_in_the_one_error_shape(api, users, tokens, query, field):
    response = api("GET", f"/api/v1/operations?{query}", token=tokens.bob)
    assert_error(response, 400, "invalid")
    assert field in response.body["fields"]


def test_list_pages(api, users, tokens):
    for minutes in range(5):
        made(users.dave, container=f"web{minutes}", minutes_ago=minutes)
    first = api("GET", "/api/v1/operations?per_page=2", token=tokens.bob).body
    assert first["count"] == 5 and len(first["results"]) == 2 and first["previous"] is None
    assert "page=2" in first["next"] and "per_page=2" in first["next"]
    last = api("GET", "/api/v1/operations?per_page=2&page=3", token=tokens.bob).body
    assert [row["container"] for row in last["results"]] == ["web4"] and last["next"] is None
    assert_error(api("GET", "/api/v1/operations?page=9", token=tokens.bob), 404, "not_found")


def test_per_page_is_capped(api, users, tokens):
    Operation.objects.bulk_create(Operation(kind="start", container=f"c{n}", source="cli", status=Status.SUCCEEDED)
                                  for n in range(501))
    assert len(api("GET", "/api/v1/operations?per_page=1000", token=tokens.bob).body["results"]) == 500
    assert len(api("GET", "/api/v1/operations", token=tokens.bob).body["results"]) == 50  # the default


# ----- one operation -----------------------------------------------------------------------------


def test_detail_includes_the_log_lines_with_their_times(api, users, tokens):
    operation = made(users.erin, kind="create", status=Status.FAILED, error_code="template_failed",
                     error_message="the template failed", result={"output": "last words"})
    then = timezone.now()
    LogLine.objects.create(operation=operation, time=then, line="LWP: creating 'web1'")
    LogLine.objects.create(operation=operation, time=then, line="Downloading the rootfs")
    body = api("GET", f"/api/v1/operations/{operation.pk}", token=tokens.bob).body
    assert [entry["line"] for entry in body["log"]] == ["LWP: creating 'web1'", "Downloading the rootfs"]
    assert all(entry["time"].startswith(then.strftime("%Y-%m-%dT")) for entry in body["log"])
    assert body["error"] == {"code": "template_failed", "message": "the template failed"}
    assert body["status"] == "failed" and body["finished"]


@pytest.mark.parametrize("operation_id", [str(uuid.uuid4()), "not-a-uuid", "1", "x" * 300])
def test_unknown_or_malformed_ids_are_404(api, users, tokens, operation_id):
    for method in ("GET", "DELETE"):
        assert_error(api(method, f"/api/v1/operations/{operation_id}", token=tokens.erin), 404, "not_found")


# ----- cancelling -------------------------------------------------------------------------------


def test_cancelling_a_finished_operation_is_409_finished(api, users, tokens):
    operation = made(users.erin)
    assert_error(api("DELETE", f"/api/v1/operations/{operation.pk}", token=tokens.erin), 409, "finished")
    operation.refresh_from_db()
    assert operation.status == Status.SUCCEEDED


def test_only_the_owner_or_one_who_may_change_operations_cancels(api, users, tokens):
    erins = made(users.erin, status=Status.PENDING)
    response = api("DELETE", f"/api/v1/operations/{erins.pk}", token=tokens.dave)
    assert_error(response, 403, "permission_denied")
    assert Event.objects.filter(action="permission.denied", username="dave",
                                target=f"DELETE /api/v1/operations/{erins.pk}").exists()
    erins.refresh_from_db()
    assert erins.status == Status.PENDING and not erins.cancel_requested
    daves = made(users.dave, status=Status.PENDING)
    assert api("DELETE", f"/api/v1/operations/{daves.pk}/", token=tokens.erin).status_code == 202  # administrators
    assert api("DELETE", f"/api/v1/operations/{erins.pk}", token=tokens.erin).status_code == 202  # the owner


def test_a_read_only_token_cannot_cancel(api, users, tokens):
    mine = made(users.alice, status=Status.PENDING)
    assert_error(api("DELETE", f"/api/v1/operations/{mine.pk}", token=tokens.readonly), 403, "permission_denied")


def test_cancelling_a_running_operation_asks_its_worker(api, users, tokens):
    running = made(users.erin, status=Status.RUNNING)
    response = api("DELETE", f"/api/v1/operations/{running.pk}", token=tokens.erin)
    assert response.status_code == 202 and response.body["status"] == "running"
    running.refresh_from_db()
    assert running.cancel_requested


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH"])
def test_operations_cannot_be_written(api, users, tokens, method):
    operation = made(users.erin)
    assert_error(api(method, "/api/v1/operations", token=tokens.alice, data={}), 405, "method_not_allowed")
    assert_error(api(method, f"/api/v1/operations/{operation.pk}", token=tokens.alice, data={}), 405,
                 "method_not_allowed")


# ----- the schema ---------------------------------------------------------------------------------


def test_the_openapi_schema_generates_and_validates_without_warnings(tmp_path):
    out, err = StringIO(), StringIO()
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.json"),
                 stdout=out, stderr=err)
    assert "Warning" not in err.getvalue(), err.getvalue()
    assert (tmp_path / "schema.json").stat().st_size > 1000
