"""POST /api/v1/tokens adds a token for the caller's user; DELETE /api/v1/tokens/<token> revokes it."""

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from django.utils import timezone

from operations.models import Event
from testing.api import assert_error
from tokens.models import Token

pytestmark = pytest.mark.django_db

NEW_TOKEN = "my-new-token-0123456789"
REPO = Path(__file__).resolve().parents[2]


def whoami(api, token):
    response = api("GET", "/api/v1/", token=token)
    return response.body.get("user") if response.status_code == 200 else response.status_code


@pytest.mark.parametrize("path", ["/api/v1/tokens", "/api/v1/tokens/"])
def test_added_token_works_and_acts_as_the_callers_user(api, users, tokens, path):
    response = api("POST", path, token=tokens.bob, data={"token": NEW_TOKEN, "description": "backup job"})
    assert response.status_code == 200, response.body
    assert response.body["status"] == "ok"
    assert "token" not in response.body  # the caller chose it: never echoed
    assert whoami(api, NEW_TOKEN) == "bob"
    stored = Token.find(NEW_TOKEN)
    assert (stored.user, stored.description, stored.read_only) == (users.bob, "backup job", False)


def test_token_of_a_viewer_cannot_do_more_than_its_user(api, users, tokens):
    api("POST", "/api/v1/tokens", token=tokens.bob, data={"token": NEW_TOKEN})
    response = api("PUT", "/api/v1/containers/", token=NEW_TOKEN, data={"name": "x1", "template": "busybox"})
    assert_error(response, 403, "permission_denied")


def test_without_a_token_the_server_generates_one_and_shows_it_once(api, users, tokens):
    response = api("POST", "/api/v1/tokens", token=tokens.dave, data={"description": "generated"})
    assert response.status_code == 200
    generated = response.body["token"]
    assert len(generated) >= 32
    assert whoami(api, generated) == "dave"
    assert not Token.objects.filter(digest=generated).exists()


def test_form_encoded_body_is_accepted(api, users, tokens):
    response = api("POST", "/api/v1/tokens", token=tokens.bob, body=f"token={NEW_TOKEN}&read_only=1",
                   content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200, response.body
    assert Token.find(NEW_TOKEN).read_only


def test_read_only_flag_and_expiry_are_kept(api, users, tokens):
    expires = timezone.now() + timedelta(days=1)
    response = api("POST", "/api/v1/tokens", token=tokens.alice,
                   data={"token": NEW_TOKEN, "read_only": True, "expires": expires.isoformat()})
    assert response.status_code == 200
    stored = Token.find(NEW_TOKEN)
    assert stored.read_only and abs(stored.expires - expires) < timedelta(seconds=1)
    assert_error(api("DELETE", "/api/v1/containers/x", token=NEW_TOKEN), 403, "permission_denied")


def test_an_expiring_token_cannot_mint_one_that_outlives_it(api, users, make_token):
    soon = timezone.now() + timedelta(hours=1)
    caller = make_token(users.alice, expires=soon)
    api("POST", "/api/v1/tokens", token=caller, data={"token": NEW_TOKEN})
    assert Token.find(NEW_TOKEN).expires == Token.find(caller).expires


def test_existing_token_is_409(api, users, tokens):
    response = api("POST", "/api/v1/tokens", token=tokens.alice, data={"token": tokens.bob})
    assert_error(response, 409, "exists")
    assert Token.find(tokens.bob).user == users.bob


@pytest.mark.parametrize("bad", ["short", "has a space 0123456789", "x" * 129, "tab\t0123456789abcdef", 12345])
def test_token_that_breaks_the_rules_is_400_naming_the_field(api, users, tokens, bad):
    response = api("POST", "/api/v1/tokens", token=tokens.alice, data={"token": bad})
    assert_error(response, 400, "invalid")
    assert "token" in response.body["fields"]


def test_a_chosen_token_is_at_least_16_characters_by_default(api, users, tokens):
    response = api("POST", "/api/v1/tokens", token=tokens.alice, data={"token": "fifteen-chars-1"})
    assert_error(response, 400, "invalid")
    assert response.body["fields"]["token"] == "must be 16 to 128 printable characters without spaces"
    assert api("POST", "/api/v1/tokens", token=tokens.alice, data={"token": "sixteen-chars-12"}).status_code == 200
    assert not Token.find("sixteen-chars-12").weak


def test_a_lower_minimum_admits_short_chosen_tokens_marked_weak(api, users, tokens, settings):
    settings.LWP_TOKEN_MIN_LENGTH = 6
    assert_error(api("POST", "/api/v1/tokens", token=tokens.bob, data={"token": "five5"}), 400, "invalid")
    response = api("POST", "/api/v1/tokens", token=tokens.bob, data={"token": "six666", "description": "mine"})
    assert response.status_code == 200, response.body
    assert whoami(api, "six666") == "bob"
    assert Token.find("six666").weak
    assert Event.objects.filter(action="token.create", message="for bob, weak").exists()
    assert api("POST", "/api/v1/tokens", token=tokens.bob).status_code == 200  # generated: strong
    assert Token.objects.filter(user=users.bob, weak=False).count() == 2


@pytest.mark.parametrize("value", ["3", "129", "sixteen"])
def test_a_minimum_out_of_bounds_stops_start_up(value):
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=REPO, capture_output=True, text=True,
                            env={**os.environ, "LWP_TOKEN_MIN_LENGTH": value}, timeout=120)
    assert result.returncode != 0 and "ImproperlyConfigured: LWP_TOKEN_MIN_LENGTH=" in result.stderr


def test_expiry_in_the_past_is_400(api, users, tokens):
    response = api("POST", "/api/v1/tokens", token=tokens.alice,
                   data={"token": NEW_TOKEN, "expires": "2001-01-01T00:00:00Z"})
    assert_error(response, 400, "invalid")
    assert "expires" in response.body["fields"]


def test_read_only_caller_cannot_add_tokens(api, users, tokens):
    assert_error(api("POST", "/api/v1/tokens", token=tokens.readonly, data={"token": NEW_TOKEN}),
                 403, "permission_denied")
    assert Token.find(NEW_TOKEN) is None


def test_anonymous_caller_cannot_add_tokens(api, users):
    assert api("POST", "/api/v1/tokens", data={"token": NEW_TOKEN}).status_code == 401
    assert Token.find(NEW_TOKEN) is None


@pytest.mark.parametrize("suffix", ["", "/"])
def test_revoked_token_gets_401_on_its_next_call(api, users, tokens, suffix):
    response = api("DELETE", f"/api/v1/tokens/{tokens.bob}{suffix}", token=tokens.alice)
    assert response.status_code == 200 and response.body == {"status": "ok"}
    assert whoami(api, tokens.bob) == 401


def test_a_token_may_revoke_itself(api, users, tokens):
    assert api("DELETE", f"/api/v1/tokens/{tokens.bob}", token=tokens.bob).status_code == 200
    assert whoami(api, tokens.bob) == 401


def test_token_holding_a_slash_can_be_revoked_percent_encoded(api, users, tokens, make_token):
    odd = make_token(users.bob, raw_token="odd/token?with#marks%")
    response = api("DELETE", f"/api/v1/tokens/{quote(odd, safe='')}", token=tokens.bob)
    assert response.status_code == 200, response.body
    assert Token.find(odd) is None


def test_revoking_an_unknown_token_is_404(api, users, tokens):
    assert_error(api("DELETE", "/api/v1/tokens/no-such-token-0123456789", token=tokens.alice), 404, "not_found")
    assert_error(api("DELETE", "/api/v1/tokens/short", token=tokens.alice), 404, "not_found")


def test_only_the_owner_or_a_superuser_may_revoke_a_token(api, users, tokens):
    # Another user's token answers exactly as an unknown one: a 403 would confirm a guess.
    unknown = api("DELETE", "/api/v1/tokens/no-such-token-0123456789", token=tokens.charlie)
    for caller in (tokens.charlie, tokens.erin):
        others = api("DELETE", f"/api/v1/tokens/{tokens.dave}", token=caller)
        assert_error(others, 404, "not_found")
        assert others.body == unknown.body
    assert whoami(api, tokens.dave) == "dave"
    assert api("DELETE", f"/api/v1/tokens/{tokens.dave}", token=tokens.alice).status_code == 200
    assert whoami(api, tokens.dave) == 401


def test_revoking_twice_is_404_the_second_time(api, users, tokens):
    assert api("DELETE", f"/api/v1/tokens/{tokens.bob}", token=tokens.alice).status_code == 200
    assert_error(api("DELETE", f"/api/v1/tokens/{tokens.bob}", token=tokens.alice), 404, "not_found")
