"""Brute force: failed sign-ins and failed tokens lock a client address (and an account) out for a while.

In-process tests run with a limit of 3 and a cool-off of 2 seconds (the real defaults are 10
and 15 minutes); each test uses its own client addresses (REMOTE_ADDR). The live tests run
gunicorn with LWP_LOGIN_FAILURE_LIMIT=3, as bin/lwp-run serves it.
"""

import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.utils import timezone

from containers.tests.campaign_support import call, call_json, error_shape_problems, live_server
from testing.api import assert_error
from tokens.models import Token

LIMIT = 3
COOL_OFF = timedelta(seconds=2)
INDEX = "/api/v1/"
BAD_TOKEN = "0123456789abcdef0123456789abcdef"
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def small_limit(settings):
    settings.AXES_FAILURE_LIMIT = LIMIT
    settings.AXES_COOLOFF_TIME = COOL_OFF


def sign_in(username, password, address, path="/login/"):
    """A fresh browser's sign-in from `address`: the answer (302 when signed in)."""
    return Client(REMOTE_ADDR=address).post(path, {"username": username, "password": password})


def api_get(token, address, path=INDEX, **headers):
    response = Client(REMOTE_ADDR=address).get(path, headers={"private-token": token, **headers})
    response.body = response.json()
    return response


def wait_cool_off():
    time.sleep(COOL_OFF.total_seconds() + 0.2)


def assert_locked_page(response):
    assert response.status_code == 429
    assert b"Sign-in locked" in response.content
    assert int(response["Retry-After"]) >= 1


# ----- sign-ins --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_failed_sign_ins_lock_the_address_out_even_for_a_good_password_until_the_cool_off_ends(users):
    for attempt in range(LIMIT):
        # A different unknown name each time: only the address reaches the limit.
        assert sign_in(f"nobody{attempt}", "guess", "10.1.0.1").status_code in (200, 429)
    assert_locked_page(sign_in("bob", "pw-bob", "10.1.0.1"))
    assert sign_in("bob", "pw-bob", "10.1.0.2").status_code == 302  # another address: unaffected
    wait_cool_off()
    assert sign_in("bob", "pw-bob", "10.1.0.1").status_code == 302  # the lock ended by itself


@pytest.mark.django_db
def test_failed_sign_ins_for_one_account_lock_that_account_from_every_address(users):
    for attempt in range(LIMIT):
        sign_in("alice", "guess", f"10.2.0.{attempt + 1}")
    assert_locked_page(sign_in("alice", "pw-alice", "10.2.0.9"))  # a fresh address, the good password
    assert sign_in("bob", "pw-bob", "10.2.0.9").status_code == 302  # other accounts from there: fine
    wait_cool_off()
    assert sign_in("alice", "pw-alice", "10.2.0.9").status_code == 302


@pytest.mark.django_db
def test_failed_admin_sign_ins_count_and_lock_the_panel_sign_in_too(users):
    for attempt in range(LIMIT):
        sign_in(f"admin{attempt}", "guess", "10.3.0.1", path="/admin/login/")
    assert_locked_page(sign_in("alice", "pw-alice", "10.3.0.1", path="/admin/login/"))
    assert_locked_page(sign_in("bob", "pw-bob", "10.3.0.1"))


@pytest.mark.django_db
def test_successful_sign_ins_are_never_throttled_and_do_not_count(users):
    sign_in("bob", "guess", "10.4.0.1")
    for _ in range(LIMIT * 3):
        assert sign_in("bob", "pw-bob", "10.4.0.1").status_code == 302
    sign_in("bob", "guess", "10.4.0.1")  # two failures in all: still under the limit
    assert sign_in("bob", "pw-bob", "10.4.0.1").status_code == 302


@pytest.mark.django_db
def test_the_lockout_page_needs_no_inline_script_and_says_when_to_come_back(users):
    for attempt in range(LIMIT):
        sign_in("bob", "guess", "10.5.0.1")
    response = sign_in("bob", "pw-bob", "10.5.0.1")
    assert_locked_page(response)
    assert b"axes_reset" in response.content
    assert "script-src 'self'" in response["Content-Security-Policy"]


# ----- tokens ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_failed_tokens_lock_the_address_out_then_even_a_good_token_is_429_until_the_cool_off_ends(users, tokens):
    for _ in range(LIMIT - 1):
        assert_error(api_get(BAD_TOKEN, "10.6.0.1"), 401, "unauthorized")
    assert api_get(BAD_TOKEN, "10.6.0.1").status_code in (401, 429)  # the one that reaches the limit
    locked = api_get(tokens.bob, "10.6.0.1")
    assert_error(locked, 429, "locked_out")
    assert int(locked["Retry-After"]) >= 1
    assert api_get(tokens.bob, "10.6.0.2").status_code == 200  # another address: unaffected
    wait_cool_off()
    assert api_get(tokens.bob, "10.6.0.1").status_code == 200


@pytest.mark.django_db
def test_every_way_of_presenting_a_bad_token_counts(users, tokens):
    client = Client(REMOTE_ADDR="10.7.0.1")
    client.get(f"{INDEX}?private_token={BAD_TOKEN}")
    client.get(INDEX, headers={"Authorization": f"Bearer {BAD_TOKEN}"})
    client.get(INDEX, headers={"private-token": "short"})  # malformed counts too
    assert_error(api_get(tokens.bob, "10.7.0.1"), 429, "locked_out")


@pytest.mark.django_db
def test_revoked_and_expired_tokens_count_as_failures(users, make_token):
    revoked = make_token(users.bob)
    Token.find(revoked).revoke()
    expired = make_token(users.bob)
    Token.objects.filter(pk=Token.find(expired).pk).update(expires=timezone.now() - timedelta(minutes=1))
    for token in (revoked, expired, revoked):
        assert api_get(token, "10.8.0.1").status_code in (401, 429)
    assert_error(api_get(make_token(users.bob), "10.8.0.1"), 429, "locked_out")


@pytest.mark.django_db
def test_a_failed_token_is_recorded_without_the_token_or_a_token_in_its_path(users, tokens):
    # The double-encoded name does not authenticate, so it is just data: kept nowhere either.
    Client(REMOTE_ADDR="10.9.0.1").delete(
        f"/api/v1/tokens/{tokens.alice}?private_token={BAD_TOKEN}&private%255Ftoken={tokens.bob}",
        data=f"token={tokens.erin}", content_type="application/x-www-form-urlencoded")
    attempt = AccessAttempt.objects.get(ip_address="10.9.0.1")
    recorded = repr(list(AccessAttempt.objects.values_list()))
    assert attempt.username is None
    assert not [secret for secret in (tokens.alice, tokens.bob, tokens.erin, BAD_TOKEN) if secret in recorded]
    assert attempt.path_info == "/api/v1/tokens/[redacted]"
    assert attempt.get_data == attempt.post_data == ""


@pytest.mark.django_db
def test_a_failed_sign_in_keeps_its_next_on_the_page_but_not_in_the_record(users):
    response = Client(REMOTE_ADDR="10.9.0.2").post("/login/?next=/host/", {"username": "bob", "password": "guess"})
    assert response.status_code == 200 and b'name="next" value="/host/"' in response.content
    attempt = AccessAttempt.objects.get(ip_address="10.9.0.2")
    assert attempt.username == "bob" and attempt.get_data == attempt.post_data == ""


@pytest.mark.django_db
def test_a_409_for_an_existing_token_counts_as_a_failure(users, tokens):
    """Creating a token that exists confirms a guess: the third such 409 locks the caller out."""
    client = Client(REMOTE_ADDR="10.10.0.1")

    def create(token):
        response = client.post("/api/v1/tokens", {"token": token}, content_type="application/json",
                               headers={"private-token": tokens.bob})
        response.body = response.json()
        return response

    for _ in range(LIMIT - 1):
        assert_error(create(tokens.alice), 409, "exists")
    assert create(tokens.alice).status_code in (409, 429)
    assert_error(create("a-fresh-token-nobody-has-0001"), 429, "locked_out")
    assert_error(api_get(tokens.bob, "10.10.0.1"), 429, "locked_out")


@pytest.mark.django_db
def test_409s_lock_the_account_that_guessed_from_every_address(users, tokens):
    for attempt in range(LIMIT):
        Client(REMOTE_ADDR=f"10.11.0.{attempt + 1}").post(
            "/api/v1/tokens", {"token": tokens.alice}, content_type="application/json",
            headers={"private-token": tokens.bob})
    fresh = Client(REMOTE_ADDR="10.11.0.9").post("/api/v1/tokens", {"token": "another-fresh-token-0002"},
                                                 content_type="application/json",
                                                 headers={"private-token": tokens.bob})
    assert fresh.status_code == 429 and fresh.json()["code"] == "locked_out"


# ----- the client address ----------------------------------------------------------------------


@pytest.mark.django_db
def test_x_forwarded_for_is_ignored_from_a_peer_that_is_not_a_trusted_proxy(settings, users, tokens):
    settings.LWP_TRUSTED_PROXIES = []
    for attempt in range(LIMIT):
        api_get(BAD_TOKEN, "10.12.0.1", x_forwarded_for=f"192.0.2.{attempt + 1}")
    assert_error(api_get(tokens.bob, "10.12.0.1", x_forwarded_for="192.0.2.99"), 429, "locked_out")


@pytest.mark.django_db
def test_behind_a_trusted_proxy_each_forwarded_client_counts_apart(settings, users, tokens):
    from ipaddress import ip_network  # noqa: PLC0415

    settings.LWP_TRUSTED_PROXIES = [ip_network("10.13.0.1/32")]
    for _ in range(LIMIT):
        # The left-most entry is the client's own claim: only the one the proxy added counts.
        api_get(BAD_TOKEN, "10.13.0.1", x_forwarded_for="198.51.100.7, 192.0.2.1")
    assert_error(api_get(tokens.bob, "10.13.0.1", x_forwarded_for="192.0.2.1"), 429, "locked_out")
    assert_error(api_get(tokens.bob, "10.13.0.1", x_forwarded_for="203.0.113.5, 192.0.2.1"), 429, "locked_out")
    assert api_get(tokens.bob, "10.13.0.1", x_forwarded_for="192.0.2.2").status_code == 200


# ----- live: gunicorn as bin/lwp-run serves it, and the admin's way out ------------------------


@pytest.mark.django_db(transaction=True)
def test_live_server_locks_out_bad_tokens_and_manage_py_axes_reset_lifts_it(users, tokens):
    with live_server(extra_env={"LWP_LOGIN_FAILURE_LIMIT": str(LIMIT)}) as server:
        answers = [call(server, "GET", INDEX, headers={"private-token": BAD_TOKEN}).status for _ in range(LIMIT)]
        locked = call_json(server, "GET", INDEX, token=tokens.bob)
        reset = subprocess.run([sys.executable, "manage.py", "axes_reset"], cwd=REPO, env=server.env,
                               capture_output=True, text=True, timeout=60)
        after_reset = call_json(server, "GET", INDEX, token=tokens.bob)
    assert answers[:LIMIT - 1] == [401] * (LIMIT - 1)
    assert locked.status == 429, locked.raw
    assert not error_shape_problems(locked)
    assert locked.json["code"] == "locked_out"
    assert int(locked.headers["retry-after"]) == 15 * 60  # the default cool-off
    assert reset.returncode == 0, reset.stderr
    assert after_reset.status == 200, after_reset.raw


@pytest.mark.django_db(transaction=True)
def test_live_server_locks_out_a_panel_sign_in_and_the_admin_lists_the_attempt(users, settings):
    with live_server(extra_env={"LWP_LOGIN_FAILURE_LIMIT": str(LIMIT)}) as server:
        for _ in range(LIMIT + 1):
            answer = login_over_http(server, "bob", "guess")
        good = login_over_http(server, "bob", "pw-bob")
    assert answer.status == 429
    assert good.status == 429 and b"Sign-in locked" in good.raw
    attempt = AccessAttempt.objects.get(username="bob")
    assert attempt.failures_since_start == LIMIT and attempt.ip_address == "127.0.0.1"
    # The server's cool-off (its default, 15 minutes), not this module's 2 s: a sign-in here
    # cleans up the attempts older than the cool-off, which the live ones soon are.
    settings.AXES_COOLOFF_TIME = timedelta(minutes=15)
    client = Client()
    client.force_login(users.alice)
    assert "bob" in client.get("/admin/axes/accessattempt/").content.decode()


def login_over_http(server, username, password):
    """A browser's sign-in over real HTTP: the CSRF cookie and field from the page, then the POST."""
    page = call(server, "GET", "/login/")
    cookie = page.headers["set-cookie"].split(";")[0]
    csrf = cookie.split("=", 1)[1]
    body = f"csrfmiddlewaretoken={csrf}&username={username}&password={password}"
    return call(server, "POST", "/login/", body=body,
                headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie,
                         "Referer": server.url + "/login/"})
