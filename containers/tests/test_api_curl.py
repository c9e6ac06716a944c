"""The reference's curl lines, as written in lwp-api-v1.txt, against the app served by gunicorn.

curl runs from an argv list (never a shell); the token goes in the query string
(`URL?private_token=...`) or the header (`--header "private-token: ..."`), and
bodies go with `-d '{...}'`, which curl labels as a form: the API reads them as JSON.
"""

import pytest

from testing.api import curl

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def url(live_app):
    return live_app.url + "/api/v1"


def test_list_with_the_token_in_the_query_string(url, users, tokens, make_container):
    name = make_container("curl")
    answer = curl(f"{url}/containers?private_token={tokens.bob}")
    assert answer.status == 200 and "content-type: application/json" in answer.headers
    assert {"state": "stopped", "container": name} in answer.body


def test_list_with_the_token_in_the_header(url, users, tokens, make_container):
    name = make_container("curl")
    answer = curl("--header", f"private-token: {tokens.bob}", f"{url}/containers/")
    assert answer.status == 200
    assert {"state": "stopped", "container": name} in answer.body


def test_start_and_stop_with_a_json_body_as_curl_d_sends_it(url, users, tokens, make_container):
    name = make_container("curl")
    started = curl("-d", '{"action": "start"}', f"{url}/containers/{name}?private_token={tokens.dave}")
    assert (started.status, started.body["state"]) == (200, "RUNNING")
    detail = curl("--header", f"private-token: {tokens.dave}", f"{url}/containers/{name}")
    assert detail.body["state"] == "RUNNING" and detail.body["pid"].isdigit()
    again = curl("-d", '{"action": "start"}', f"{url}/containers/{name}?private_token={tokens.dave}")
    assert (again.status, again.body["code"]) == (409, "invalid_state")
    stopped = curl("-d", '{"action": "stop", "timeout": 0}', "--header", f"private-token: {tokens.dave}",
                   f"{url}/containers/{name}")
    assert (stopped.status, stopped.body["state"]) == (200, "STOPPED")


def test_misspelled_action_and_unknown_container_answer_as_the_reference_says(url, users, tokens):
    misspelled = curl("-d", '{"acton": "start"}', f"{url}/containers/whatever?private_token={tokens.dave}")
    assert (misspelled.status, misspelled.body["code"]) == (400, "invalid")
    unknown = curl("-d", '{"action": "start"}', f"{url}/containers/no-such-one?private_token={tokens.dave}")
    assert (unknown.status, unknown.body["code"]) == (409, "not_found")


def test_create_with_put_then_delete(url, users, tokens, backend):
    name = "curl-made-" + tokens.erin[:8]
    try:
        made = curl("-X", "PUT", "-d", f'{{"name": "{name}", "template": "busybox"}}',
                    f"{url}/containers/?private_token={tokens.erin}")
        assert (made.status, made.body["status"]) == (200, "ok"), made.body
        assert backend.exists(name)
        taken = curl("-X", "PUT", "-d", f'{{"name": "{name}", "template": "busybox"}}',
                     f"{url}/containers/?private_token={tokens.erin}")
        assert (taken.status, taken.body["code"]) == (409, "exists")
        gone = curl("-X", "DELETE", f"{url}/containers/{name}?private_token={tokens.erin}")
        assert (gone.status, gone.body["status"], set(gone.body)) == (200, "ok", {"status", "operation"})
        assert not backend.exists(name)
    finally:
        if backend.exists(name):
            backend.destroy(name, force=True)


def test_add_a_token_use_it_and_revoke_it(url, users, tokens):
    new = "curl-added-token-0123456789"
    added = curl("-d", f'{{"token": "{new}", "description": "from curl"}}', f"{url}/tokens?private_token={tokens.bob}")
    assert (added.status, added.body["status"]) == (200, "ok")
    assert curl("--header", f"private-token: {new}", f"{url}/containers").status == 200
    revoked = curl("-X", "DELETE", f"{url}/tokens/{new}?private_token={tokens.bob}")
    assert (revoked.status, revoked.body) == (200, {"status": "ok"})
    assert curl("--header", f"private-token: {new}", f"{url}/containers").status == 401


def test_no_token_is_401_with_www_authenticate(url, users):
    answer = curl(f"{url}/containers")
    assert answer.status == 401
    assert answer.body == {"status": "error", "error": "Unauthorized", "code": "unauthorized"}
    assert "www-authenticate: bearer" in answer.headers


# Each container route once more over HTTP: (method, path, body, permission it needs).
ROUTES = [
    ("GET", "/containers/", None, "view"),
    ("GET", "/containers/{name}", None, "view"),
    ("POST", "/containers/{name}", '{"action": "start"}', "change"),
    ("PUT", "/containers/", '{"name": "never-made", "template": "busybox"}', "add"),
    ("DELETE", "/containers/{name}", None, "delete"),
    ("GET", "/templates", None, "view"),
    ("GET", "/host", None, "view"),
]


def test_every_route_refuses_anonymous_unpermitted_and_read_only_callers(url, users, tokens, make_container,
                                                                         backend):
    name = make_container("curl")
    for method, path, body, needs in ROUTES:
        target = url + path.format(name=name)
        args = ["-X", method, *(["-d", body] if body else [])]
        assert curl(*args, target).status == 401, (method, path)
        assert curl(*args, target + f"?private_token={tokens.charlie}").status == 403, (method, path)
        read_only = curl(*args, "--header", f"private-token: {tokens.readonly}", target)
        assert read_only.status == (200 if needs == "view" else 403), (method, path)
    assert backend.state(name) == "STOPPED" and not backend.exists("never-made")


def test_query_string_tokens_never_reach_the_servers_log(live_app, url, users, tokens):
    secret = tokens.bob
    curl(f"{url}/containers?private_token={secret}")
    curl(f"{url}/no-such-route?private_token={secret}")
    curl(f"{url}/containers/bad..name?private_token={secret}")
    curl(f"{url}/containers?private_token=unknown-{secret}")
    curl("-X", "DELETE", f"{url}/tokens/{tokens.dave}?private_token={tokens.charlie}")
    log = live_app.log_text()
    assert '"GET /api/v1/no-such-route HTTP/1.1" 404' in log  # the lines are there, without their query...
    assert secret not in log and tokens.dave not in log  # ...without the tokens
