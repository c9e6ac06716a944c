"""GET /api/v1/events: the audit log, newest first, filtered, paged; who sees which events."""

from datetime import timedelta
from urllib.parse import quote

import pytest
from django.utils import timezone

from operations import audit
from operations.models import Event
from operations.origin import Origin
from testing.api import assert_error

pytestmark = pytest.mark.django_db

PATHS = ["/api/v1/events", "/api/v1/events/"]


def event(action, target="web1", *, minutes_ago=0, user=None, **fields):
    made = audit.record_event(action=action, target=target, user=user, **fields)
    Event.objects.filter(pk=made.pk).update(time=timezone.now() - timedelta(minutes=minutes_ago))
    made.refresh_from_db()
    return made


def listed(api, token, query=""):
    response = api("GET", f"/api/v1/events{query}", token=token)
    assert response.status_code == 200, response.body
    return response.body


@pytest.mark.parametrize("path", PATHS)
def test_events_need_credentials_and_the_view_permission(api, users, tokens, path):
    event("container.start")
    assert_error(api("GET", path), 401, "unauthorized")
    assert_error(api("GET", path, token=tokens.charlie), 403, "permission_denied")
    response = api("GET", path, token=tokens.bob)
    assert response.status_code == 200 and response.body["count"] == 1


def test_an_event_says_when_who_from_where_what_to_what_how_and_its_operation(api, users, tokens):
    made = event("container.create", "web1", user=users.erin, origin=Origin(source="api", address="192.0.2.9",
                                                                            token="erin's script"),
                 operation="6f1c3a52-4d43-4f7e-9a51-0c8f29bd8a10")
    row = listed(api, tokens.bob)["results"][0]
    assert row == {"id": made.pk, "time": row["time"], "user": "erin", "token": "erin's script", "source": "api",
                   "client_address": "192.0.2.9", "action": "container.create", "target": "web1",
                   "outcome": "succeeded", "message": "", "operation": "6f1c3a52-4d43-4f7e-9a51-0c8f29bd8a10"}
    assert row["time"].startswith(str(made.time.year))


def test_viewers_see_the_container_events_only_and_administrators_everything(api, users, tokens):
    event("container.start", user=users.dave)
    event("operation.cancel", user=users.erin)
    event("auth.login", "user:bob", user=users.bob)
    event("token.create", "token:backup (#3)", user=users.bob)
    event("permission.denied", "POST /containers/web1/action/", user=users.bob, outcome="denied")
    event("admin.change", "user:charlie", user=users.alice)
    container_events = {"container.start", "operation.cancel"}
    for token in (tokens.bob, tokens.dave):  # viewers, operators
        assert {row["action"] for row in listed(api, token)["results"]} == container_events
    for token in (tokens.erin, tokens.alice):  # administrators, a superuser
        assert listed(api, token)["count"] == 6


def test_newest_first(api, users, tokens):
    for minutes, target in ((30, "old"), (1, "newest"), (10, "middle")):
        event("container.start", target, minutes_ago=minutes)
    assert [row["target"] for row in listed(api, tokens.bob)["results"]] == ["newest", "middle", "old"]


@pytest.mark.parametrize(("query", "expected"), [
    ("?container=web1", {"web1-start", "web1-stop"}),
    ("?user=dave", {"web1-start", "web2-start"}),
    ("?action=container.stop", {"web1-stop"}),
    ("?user=erin&container=web1", {"web1-stop"}),
    ("?action=auth.login", {"sign-in"}),
])
def test_filters(api, users, tokens, query, expected):
    event("container.start", "web1", user=users.dave, message="web1-start")
    event("container.stop", "web1", user=users.erin, message="web1-stop")
    event("container.start", "web2", user=users.dave, message="web2-start")
    event("auth.login", "user:erin", user=users.erin, message="sign-in")
    assert {row["message"] for row in listed(api, tokens.alice, query)["results"]} == expected


def test_since_keeps_the_events_at_or_after_it(api, users, tokens):
    event("container.start", "old", minutes_ago=120)
    recent = event("container.start", "recent", minutes_ago=5)
    since = quote((timezone.now() - timedelta(minutes=60)).isoformat())
    assert [row["target"] for row in listed(api, tokens.bob, f"?since={since}")["results"]] == ["recent"]
    exactly = quote(recent.time.isoformat())
    assert [row["target"] for row in listed(api, tokens.bob, f"?since={exactly}")["results"]] == ["recent"]


@pytest.mark.parametrize(("query", "field"), [
    ("?since=yesterday", "since"), ("?since=2025-13-45T00:00:00Z", "since"),
    ("?container=" + "x" * 65, "container"), ("?action=" + "a" * 65, "action"),
])
def test_bad_filter_values_are_400_in_the_one_error_shape(api, users, tokens, query, field):
    response = api("GET", f"/api/v1/events{query}", token=tokens.bob)
    assert_error(response, 400, "invalid")
    assert field in response.body["fields"]


def test_events_are_paged(api, users, tokens):
    for minutes in range(5):
        event("container.start", f"web{minutes}", minutes_ago=minutes)
    first = listed(api, tokens.bob, "?per_page=2")
    assert first["count"] == 5 and [row["target"] for row in first["results"]] == ["web0", "web1"]
    assert first["previous"] is None and "page=2" in first["next"]
    second = listed(api, tokens.bob, "?per_page=2&page=2")
    assert [row["target"] for row in second["results"]] == ["web2", "web3"] and "page=1" not in second["next"]
    assert_error(api("GET", "/api/v1/events?page=99", token=tokens.bob), 404, "not_found")


def test_per_page_is_capped(api, users, tokens):
    now = timezone.now()
    Event.objects.bulk_create(Event(time=now, source="cli", action="container.start", target=f"c{n}",
                                    outcome="succeeded") for n in range(501))
    assert len(listed(api, tokens.bob, "?per_page=1000")["results"]) == 500
    assert len(listed(api, tokens.bob)["results"]) == 50


def test_no_token_secret_in_the_events(api, users, tokens):
    """Tokens at work, refused, created and revoked: what the API shows of it holds no secret."""
    api("GET", "/api/v1/containers/", token=tokens.bob)
    api("GET", "/api/v1/", token="not-a-real-token-0123456789abcdef")
    created = api("POST", "/api/v1/tokens", token=tokens.bob, data={"description": "made here"}).body["token"]
    api("DELETE", f"/api/v1/tokens/{created}", token=tokens.readonly)  # refused: a read-only token
    api("DELETE", f"/api/v1/tokens/{created}", token=tokens.bob)
    text = api("GET", "/api/v1/events?per_page=500", token=tokens.alice).content.decode()
    assert "token.create" in text and "token.revoke" in text and "token.refused" in text
    for secret in [*vars(tokens).values(), created, "not-a-real-token-0123456789abcdef"]:
        assert secret not in text
