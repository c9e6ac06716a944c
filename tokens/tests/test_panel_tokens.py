"""My tokens page: list, create (secret shown once), revoke; only one's own tokens."""

import pytest
from django.utils import timezone

from tokens.models import Token

pytestmark = pytest.mark.django_db


def test_anonymous_visitor_is_sent_to_sign_in(client):
    assert client.get("/tokens/")["Location"].startswith("/login/")
    assert client.post("/tokens/1/revoke/")["Location"].startswith("/login/")


def test_list_shows_own_tokens_without_their_secret(client, users, make_token):
    secret = make_token(users.bob, description="backup script")
    make_token(users.dave, description="dave's own")
    client.force_login(users.bob)
    page = client.get("/tokens/").content.decode()
    assert "backup script" in page and "dave&#x27;s own" not in page
    assert secret not in page
    assert Token.objects.get(description="backup script").digest not in page


def test_create_shows_the_secret_once(client, users):
    client.force_login(users.bob)
    response = client.post("/tokens/", {"description": "ci", "lifetime": 30, "read_only": "on"})
    assert response.status_code == 201
    assert response["Cache-Control"].startswith("max-age=0")
    secret = response.context["secret"]
    token = Token.find(secret)
    assert token.user == users.bob and token.read_only and token.description == "ci"
    assert (token.expires - timezone.now()).days in (29, 30)
    assert secret not in client.get("/tokens/").content.decode()


def test_create_with_a_bad_lifetime_is_refused_on_the_page(client, users):
    client.force_login(users.bob)
    response = client.post("/tokens/", {"description": "x", "lifetime": 5})
    assert response.status_code == 400 and "lifetime" in response.context["form"].errors
    assert not Token.objects.filter(user=users.bob).exists()


def test_revoke_own_token(client, users, make_token):
    secret = make_token(users.bob, description="old")
    client.force_login(users.bob)
    token = Token.find(secret)
    response = client.post(f"/tokens/{token.pk}/revoke/")
    assert response["Location"] == "/tokens/"
    assert Token.find(secret) is None


def test_someone_elses_token_cannot_be_revoked_here(client, users, make_token):
    secret = make_token(users.dave)
    client.force_login(users.bob)
    assert client.post(f"/tokens/{Token.find(secret).pk}/revoke/").status_code == 404
    assert Token.find(secret) is not None


def test_revoke_is_never_a_get(client, users, make_token):
    secret = make_token(users.bob)
    client.force_login(users.bob)
    assert client.get(f"/tokens/{Token.find(secret).pk}/revoke/").status_code == 405
    assert Token.find(secret) is not None
