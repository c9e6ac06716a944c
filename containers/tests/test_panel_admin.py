"""The Django admin: container metadata with start/stop actions, tokens with the secret shown once."""

import re

import pytest
from django.contrib.messages import get_messages

from containers.models import Container
from tokens.models import Token

pytestmark = pytest.mark.django_db


def texts(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_anonymous_visitor_is_sent_to_admin_sign_in(client):
    assert "/admin/login/" in client.get("/admin/containers/container/")["Location"]


def test_staff_without_permission_gets_403(client, users):
    users.charlie.is_staff = True
    users.charlie.save()
    client.force_login(users.charlie)
    assert client.get("/admin/containers/container/").status_code == 403


def test_admin_start_and_stop_actions_call_the_service(client, users, fake_container, fake_engine):
    name = fake_container("adm")
    meta = Container.objects.create(name=name)
    client.force_login(users.alice)
    response = client.post("/admin/containers/container/", {"action": "start_containers",
                                                             "_selected_action": [meta.pk]})
    assert f"{name}: start done, now RUNNING" in texts(response)
    assert fake_engine.state(name) == "RUNNING"
    response = client.post("/admin/containers/container/", {"action": "stop_containers",
                                                             "_selected_action": [meta.pk]})
    assert f"{name}: stop done, now STOPPED" in texts(response)


def test_admin_action_error_is_reported_not_raised(client, users):
    meta = Container.objects.create(name="ghost-ct")
    client.force_login(users.alice)
    response = client.post("/admin/containers/container/", {"action": "start_containers",
                                                             "_selected_action": [meta.pk]})
    assert response.status_code == 302
    assert any(t.startswith("ghost-ct: ") and "does not exist" in t for t in texts(response))


def test_token_list_and_add_shows_the_secret_once(client, users):
    client.force_login(users.alice)
    assert client.get("/admin/tokens/token/").status_code == 200
    page = client.get("/admin/tokens/token/add/").content.decode()
    assert 'name="digest"' not in page
    response = client.post("/admin/tokens/token/add/", {"user": users.bob.pk, "description": "from admin",
                                                        "expires_0": "", "expires_1": ""})
    assert response.status_code == 200, response.content[:3000]  # the secret in this answer, not a message
    secret = re.search(r'id="token-secret"[^>]* value="([^"]+)"', response.content.decode()).group(1)
    token = Token.find(secret)
    assert token.user == users.bob and token.description == "from admin"
    change = client.get(f"/admin/tokens/token/{token.pk}/change/").content.decode()
    assert token.digest not in change and 'name="digest"' not in change


def test_token_revoke_admin_action(client, users, make_token):
    secret = make_token(users.bob)
    client.force_login(users.alice)
    response = client.post("/admin/tokens/token/", {"action": "revoke_tokens",
                                                    "_selected_action": [Token.find(secret).pk]})
    assert "Revoked 1 token." in texts(response)
    assert Token.find(secret) is None
