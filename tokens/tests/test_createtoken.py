"""manage.py createtoken: how a sysadmin gets the first token."""

import io

import pytest
from django.core.management import CommandError, call_command

from tokens.models import Token

pytestmark = pytest.mark.django_db


def createtoken(*args):
    out = io.StringIO()
    call_command("createtoken", *args, stdout=out)
    return out.getvalue().strip()


def test_prints_a_generated_token_that_works_for_the_user(api, users):
    raw = createtoken("--user", "bob", "--description", "first token")
    assert len(raw) >= 32
    token = Token.find(raw)
    assert (token.user, token.description, token.read_only) == (users.bob, "first token", False)
    response = api("GET", "/api/v1/", token=raw)
    assert response.status_code == 200 and response.body["user"] == "bob"


def test_given_token_and_read_only_flag_are_used(users):
    raw = createtoken("--user", "alice", "--token", "chosen-token-0123456789", "--read-only")
    assert raw == "chosen-token-0123456789"
    assert Token.find(raw).read_only


def test_unknown_user_is_refused(users):
    with pytest.raises(CommandError, match="no user named 'nobody'"):
        createtoken("--user", "nobody")


def test_token_breaking_the_rules_is_refused(users):
    with pytest.raises(CommandError, match="printable"):
        createtoken("--user", "bob", "--token", "too short")
    assert not Token.objects.exists()


def test_existing_token_is_refused(users):
    createtoken("--user", "bob", "--token", "chosen-token-0123456789")
    with pytest.raises(CommandError, match="already exists"):
        createtoken("--user", "alice", "--token", "chosen-token-0123456789")
    assert Token.find("chosen-token-0123456789").user == users.bob


def test_a_lower_minimum_admits_a_short_token_marked_weak(users, settings):
    settings.LWP_TOKEN_MIN_LENGTH = 8
    with pytest.raises(CommandError, match="must be 8 to 128"):
        createtoken("--user", "bob", "--token", "seven77")
    assert createtoken("--user", "bob", "--token", "eight888") == "eight888"
    assert Token.find("eight888").weak
