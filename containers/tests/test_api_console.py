"""POST /api/v1/containers/<name>/console: a one-time ticket to the console socket, for scripts."""

import io
from datetime import datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.management import call_command

from containers import consoles
from containers.models import ConsoleTicket
from operations.models import Event
from testing.api import assert_error

pytestmark = pytest.mark.django_db


def ask(api, token, name, **data):
    return api("POST", f"/api/v1/containers/{name}/console", token=token, data=data)


def test_a_permitted_token_gets_a_ticket_and_the_socket_url(api, users, tokens, make_container):
    name = make_container("tkt", start=True)
    for path in (f"/api/v1/containers/{name}/console", f"/api/v1/containers/{name}/console/"):
        response = api("POST", path, token=tokens.erin, data={"mode": "tty"})
        assert response.status_code == 201, response.body
        body = response.body
        url = urlsplit(body["url"])
        assert (url.scheme, url.netloc, url.path) == ("ws", "testserver", f"/ws/containers/{name}/console")
        assert parse_qs(url.query) == {"mode": ["tty"], "ticket": [body["ticket"]]}
        assert body["mode"] == "tty" and body["status"] == "ok"
        assert 25 <= (datetime.fromisoformat(body["expires"]) - datetime.now().astimezone()).total_seconds() <= 30


def test_the_mode_defaults_to_shell_and_https_gives_wss(api, users, tokens, fake_container):
    name = fake_container("tkt", start=True)
    response = api("POST", f"/api/v1/containers/{name}/console", token=tokens.erin, data={})
    assert response.status_code == 201, response.body
    assert response.body["mode"] == "shell" and response.body["url"].startswith("ws://testserver/ws/containers/")
    secure = api.client.post(f"/api/v1/containers/{name}/console", data={}, content_type="application/json",
                             headers={"private-token": tokens.erin}, secure=True)
    assert secure.status_code == 201 and secure.json()["url"].startswith("wss://testserver/ws/containers/")


def test_only_a_digest_of_the_ticket_is_stored_and_issuing_it_is_an_event(api, users, tokens, fake_container):
    name = fake_container("tkt", start=True)
    secret = ask(api, tokens.erin, name).body["ticket"]
    ticket = ConsoleTicket.objects.get()
    assert secret not in ticket.digest and ticket.digest == consoles._digest(secret)
    assert (ticket.container, ticket.mode, ticket.user, ticket.token) == (name, "shell", users.erin, "erin")
    event = Event.objects.get(action="container.console_ticket")
    assert (event.target, event.username, event.source, event.token) == (name, "erin", "api", "erin")
    assert secret not in event.message


def test_expired_tickets_are_pruned_when_one_is_issued(api, users, tokens, fake_container):
    name = fake_container("tkt", start=True)
    ask(api, tokens.erin, name)
    ConsoleTicket.objects.update(expires=datetime(2000, 1, 1).astimezone())
    ask(api, tokens.erin, name)
    assert ConsoleTicket.objects.count() == 1


def test_anonymous_is_401(api, fake_container):
    name = fake_container("tkt", start=True)
    assert_error(api("POST", f"/api/v1/containers/{name}/console", data={"mode": "shell"}), 401, "unauthorized")


def test_a_user_without_the_console_permission_is_403(api, users, tokens, fake_container):
    name = fake_container("tkt", start=True)
    for token in (tokens.dave, tokens.bob, tokens.charlie):
        assert_error(ask(api, token, name, mode="shell"), 403, "permission_denied")
    assert not ConsoleTicket.objects.exists()


def test_a_read_only_token_is_403_even_for_a_superuser(api, users, tokens, fake_container):
    name = fake_container("tkt", start=True)
    response = ask(api, tokens.readonly, name, mode="shell")
    assert response.status_code == 403, response.body
    assert not ConsoleTicket.objects.exists()


def test_a_superuser_gets_a_ticket(api, users, tokens, fake_container):
    assert ask(api, tokens.alice, fake_container("tkt", start=True)).status_code == 201


def test_an_unknown_container_is_404(api, users, tokens, backend):
    assert_error(ask(api, tokens.erin, "tkt-nobody", mode="shell"), 404, "not_found")


def test_a_stopped_container_is_409(api, users, tokens, make_container):
    response = ask(api, tokens.erin, make_container("tkt"), mode="shell")
    assert_error(response, 409, "invalid_state")
    assert "STOPPED" in response.body["error"]
    assert not ConsoleTicket.objects.exists()


@pytest.mark.parametrize("data", [{"mode": "bash"}, {"mode": ""}, {"mode": ["shell"]}, {"mode": None},
                                  {"mode": "shell", "user": "root"}])
def test_a_bad_mode_or_an_unknown_field_is_400(api, users, tokens, fake_container, data):
    response = ask(api, tokens.erin, fake_container("tkt", start=True), **data)
    assert response.status_code == 400, response.body
    assert response.body["status"] == "error"
    assert not ConsoleTicket.objects.exists()


def test_a_name_outside_the_rules_is_400(api, users, tokens, fake_container):
    assert ask(api, tokens.erin, "a;reboot", mode="shell").status_code == 400


def test_the_schema_describes_the_console_route_without_a_warning(client, tokens):
    call_command("spectacular", "--validate", "--fail-on-warn", stdout=io.StringIO())
    schema = client.get("/api/v1/schema/", headers={"private-token": tokens.bob}).json()
    post = schema["paths"]["/api/v1/containers/{name}/console"]["post"]
    assert {"201", "400", "401", "403", "404", "409"} <= set(post["responses"])
    assert schema["components"]["schemas"]["ModeEnum"]["enum"] == ["shell", "tty"]
