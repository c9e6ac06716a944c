"""Who may call the API: tokens in the query, the header or as a Bearer, and browser sessions."""

import hashlib
import hmac
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from testing.api import assert_error
from tokens.models import Token

pytestmark = pytest.mark.django_db

INDEX = "/api/v1/"

# Every route and method of the API; each must refuse an anonymous caller the same way.
ROUTES = [
    ("GET", "/api/v1/"), ("GET", "/api/v1"),
    ("GET", "/api/v1/containers/"), ("GET", "/api/v1/containers"),
    ("PUT", "/api/v1/containers/"), ("PUT", "/api/v1/containers"),
    ("GET", "/api/v1/containers/some-name"), ("GET", "/api/v1/containers/some-name/"),
    ("POST", "/api/v1/containers/some-name"), ("DELETE", "/api/v1/containers/some-name"),
    ("POST", "/api/v1/tokens"), ("POST", "/api/v1/tokens/"),
    ("DELETE", "/api/v1/tokens/0123456789abcdef0123"),
    ("GET", "/api/v1/templates"), ("GET", "/api/v1/host"),
    ("GET", "/api/v1/schema/"), ("GET", "/api/v1/docs/"),
]


def assert_unauthorized(response):
    assert response.status_code == 401
    assert response.body == {"status": "error", "error": "Unauthorized", "code": "unauthorized"}
    assert response.has_header("WWW-Authenticate")


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_every_route_answers_an_anonymous_caller_with_401_and_www_authenticate(api, method, path):
    assert_unauthorized(api(method, path, data={"action": "start"}))


def test_token_in_the_query_string_authenticates(api, users, tokens):
    response = api("GET", f"{INDEX}?private_token={tokens.bob}")
    assert response.status_code == 200
    assert response.body["user"] == "bob"


@pytest.mark.parametrize("header", ["private-token", "Private-Token", "PRIVATE-TOKEN"])
def test_token_in_the_header_authenticates_in_any_letter_case(api, users, tokens, header):
    response = api("GET", INDEX, headers={header: tokens.bob})
    assert response.status_code == 200
    assert response.body["user"] == "bob"


def test_bearer_token_authenticates(api, users, tokens):
    response = api("GET", INDEX, headers={"Authorization": f"Bearer {tokens.dave}"})
    assert response.status_code == 200
    assert response.body["user"] == "dave"


def test_unknown_token_is_401(api, users, tokens):
    assert_unauthorized(api("GET", INDEX, token="x" * 32))


def test_malformed_tokens_are_401(api, users):
    for token in ("short", "with a space in it 1234", "é" * 20):
        assert_unauthorized(api("GET", INDEX, headers={"Authorization": f"Bearer {token}"}))


def test_revoked_token_is_401(api, users, tokens):
    Token.find(tokens.bob).revoke()
    assert_unauthorized(api("GET", INDEX, token=tokens.bob))


def test_expired_token_is_401(api, users, make_token):
    token = make_token(users.bob, expires=timezone.now() - timedelta(seconds=1))
    assert_unauthorized(api("GET", INDEX, token=token))


def test_token_of_a_deactivated_user_is_401(api, users, tokens):
    users.bob.is_active = False
    users.bob.save()
    assert_unauthorized(api("GET", INDEX, token=tokens.bob))


def test_basic_authentication_is_not_accepted(api, users):
    assert_unauthorized(api("GET", INDEX, headers={"Authorization": "Basic Ym9iOnB3LWJvYg=="}))


def test_bad_token_is_refused_even_with_a_logged_in_session(api, client, users):
    client.force_login(users.alice)
    assert_unauthorized(api("GET", INDEX, token="y" * 32))


def test_database_holds_only_a_keyed_digest_of_the_token(users, make_token):
    raw = make_token(users.bob)
    stored = Token.objects.get(user=users.bob)
    expected = hmac.new(settings.LWP_TOKEN_PEPPER.encode(), raw.encode(), hashlib.sha256).hexdigest()
    assert stored.digest == expected
    assert stored.digest != hashlib.sha256(raw.encode()).hexdigest()
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM tokens_token")
        assert all(raw not in str(value) for row in cursor.fetchall() for value in row)


def test_last_used_is_recorded_once_a_minute_not_on_every_request(api, users, tokens):
    api("GET", INDEX, token=tokens.bob)
    first = Token.find(tokens.bob).last_used
    assert first is not None and timezone.now() - first < timedelta(seconds=30)
    with CaptureQueriesContext(connection) as queries:
        api("GET", INDEX, token=tokens.bob)
    assert not [q for q in queries if q["sql"].startswith("UPDATE")]  # the update filters it out
    assert Token.find(tokens.bob).last_used == first
    Token.objects.filter(digest=Token.find(tokens.bob).digest).update(last_used=first - timedelta(minutes=2))
    api("GET", INDEX, token=tokens.bob)
    assert Token.find(tokens.bob).last_used > first - timedelta(seconds=1)


def test_logged_in_browser_session_may_read(api, client, users):
    client.force_login(users.bob)
    response = api("GET", INDEX)
    assert response.status_code == 200
    assert response.body["user"] == "bob"


def test_logged_in_session_must_send_csrf_token_to_write(users):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(users.alice)
    response = browser.post("/api/v1/tokens", data="{}", content_type="application/json")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert "CSRF" in response.json()["error"]


def test_read_only_token_may_read_but_never_write(api, users, tokens):
    assert api("GET", INDEX, token=tokens.readonly).status_code == 200
    for method, path in [("POST", "/api/v1/containers/whatever"), ("PUT", "/api/v1/containers/"),
                         ("DELETE", "/api/v1/containers/whatever"), ("POST", "/api/v1/tokens"),
                         ("DELETE", f"/api/v1/tokens/{tokens.alice}")]:
        response = api(method, path, token=tokens.readonly, data={"action": "start", "name": "x",
                                                                  "template": "busybox"})
        assert_error(response, 403, "permission_denied")
        assert "read-only" in response.body["error"]
    assert Token.find(tokens.alice) is not None


def test_index_reports_what_the_token_may_do(api, users, tokens):
    assert api("GET", INDEX, token=tokens.bob).body["permissions"] == {
        "view": True, "change": False, "add": False, "delete": False}
    assert api("GET", INDEX, token=tokens.readonly).body["permissions"] == {
        "view": True, "change": False, "add": False, "delete": False}
    assert api("GET", INDEX, token=tokens.alice).body["permissions"] == {
        "view": True, "change": True, "add": True, "delete": True}
