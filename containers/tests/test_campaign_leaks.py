"""Nothing-leaks campaign: after a run that used tokens every way, neither the database nor the logs hold one.

Tokens go in query strings (valid, unknown, revoked, with an encoded parameter name), in
headers, in a revocation's path and in a Referer; some requests end in 4xx, some in
gunicorn's own refusals. Then every table of the database, the database file's bytes and
the server's log are searched for each token, raw and URL-encoded, and for any 12-character
piece of it.
"""

import secrets
import subprocess
from urllib.parse import quote, quote_plus

import pytest
from django.db import connection

from containers.tests.campaign_support import call, call_json, live_server, raw_request
from lwp.log_redaction import redact
from tokens.models import token_digest

pytestmark = pytest.mark.django_db(transaction=True)

PIECE = 12  # characters of a token that would already say too much


def token_forms(token):
    return {token, quote(token, safe=""), quote_plus(token), quote(token)}


def pieces(token):
    return {token[i:i + PIECE] for i in range(len(token) - PIECE + 1)}


def found_in(text, secrets_):
    return sorted({secret for secret in secrets_ if any(form in text for form in token_forms(secret))}
                  | {secret for secret in secrets_ if any(piece in text for piece in pieces(secret))})


def database_text():
    """Every row of every table of the test database, as text; on SQLite also the file's own
    bytes decoded loosely (deleted rows linger in free pages)."""
    rows = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608 - own names
            rows += [repr([bytes(value) if isinstance(value, memoryview) else value for value in row])
                     for row in cursor.fetchall()]
    if connection.vendor == "sqlite":
        # Read by another process: closing a plain open() of the database here would drop every
        # POSIX lock this process's SQLite connections hold on it, and a server worker would then
        # take itself for the last user and delete the shared -shm file under everyone's feet.
        raw = subprocess.run(["cat", "--", connection.settings_dict["NAME"]], capture_output=True, check=True,
                             timeout=30).stdout
        rows.append(raw.decode("latin-1"))
    return "\n".join(rows)


def exercise(server, tokens, revoked, chosen):
    """Use tokens every way a client might, including ways that fail."""
    unknown = secrets.token_hex(20)
    generated = call_json(server, "POST", "/api/v1/tokens", token=tokens.alice, data={"description": "gen"})
    assert generated.status == 200
    made = generated.json["token"]
    for token in (tokens.bob, unknown, revoked, made):
        call(server, "GET", f"/api/v1/?private_token={token}")
        call(server, "GET", f"/api/v1/containers/?state=bogus&private_token={token}")  # 400
        call(server, "GET", f"/api/v1/containers/no-such-one?private_token={token}")  # 404
        call(server, "GET", f"/api/v1/nowhere?private%5Ftoken={token}")  # encoded name, no route
        call(server, "POST", f"/api/v1/containers/x?private_token={token}", body=b"\xff")  # parse error
        call(server, "GET", f"/login/?next=/api/v1/%3Fprivate_token%3D{token}")
        call(server, "GET", "/api/v1/", headers={"private-token": token, "Referer": f"http://x/?private_token={token}"})
        call(server, "GET", "/api/v1/", headers={"Authorization": f"Bearer {token}"})
        call(server, "GET", f"/api/v1/?private_token={token}&pad={'x' * 5000}")  # the server: 414
        for line in (f"GET /api/v1/?private_token={token} HTTP/1.1\xff", f"GET /api/\xff?private_token={token} HTTP/1.1",
                     f"GET /api/v1/?private_token={token}"):  # refused by the server itself
            raw_request(server, line.encode("latin-1") + b"\r\nHost: 127.0.0.1\r\n\r\n")
        call(server, "GET", f"/api/v1/?private_token={token}", headers={"Host": "evil.example"})  # 400
    revocation = call(server, "DELETE", f"/api/v1/tokens/{quote(chosen, safe='')}", headers={"private-token": chosen})
    assert revocation.status == 200
    call(server, "DELETE", f"/api/v1/tokens/{quote(chosen, safe='')}", headers={"private-token": tokens.alice})  # 404
    call(server, "DELETE", f"/api/v1/tokens/{unknown}?private_token={tokens.bob}")
    return [unknown, made]


def test_no_token_is_left_in_the_database_or_the_server_log_after_using_them_every_way(users, tokens, make_token):
    revoked = make_token(users.bob)
    chosen = "leak'tok\"en?" + secrets.token_hex(12)  # quotes and ? stop naive patterns
    with live_server() as server:
        added = call_json(server, "POST", "/api/v1/tokens", token=tokens.bob, data={"token": chosen})
        assert added.status == 200, added.json
        call(server, "DELETE", f"/api/v1/tokens/{revoked}", headers={"private-token": revoked})
        extra = exercise(server, tokens, revoked, chosen)
        log = server.log_text()
    everything = [tokens.alice, tokens.bob, tokens.dave, tokens.erin, revoked, chosen, *extra]
    assert '"GET /api/v1/nowhere HTTP/1.1" 404' in log  # the requests did reach the log, without their query
    assert "Invalid HTTP request received" in log  # and the server's own refusals (it quotes no request line)
    assert not found_in(log, everything), [line for line in log.splitlines()
                                           if found_in(line, everything)][:10]
    stored = database_text()
    assert token_digest(tokens.bob) in stored  # the rows were read, on SQLite as on PostgreSQL
    assert not found_in(stored, everything)


@pytest.mark.parametrize("line", [
    "GET /api/v1/?private_token=SECRET&x=1 HTTP/1.1",
    "GET /api/v1/?PRIVATE-TOKEN=SECRET",
    "GET /api/v1/nowhere?private%5Ftoken=SECRET HTTP/1.1",  # Django decodes the name: it authenticates
    "GET /login/?next=/api/v1/%3Fprivate_token%3DSECRET%26x%3D1 HTTP/1.1",  # a login redirect's next
    "Not Found: /api/v1/tokens/SEC'RET?SECRET",  # a revoked token, decoded, with a quote and a ?
    "Invalid HTTP request line: 'GET /api/\xff?private_token=SECRET HTTP/1.1'",
])
def test_redaction_leaves_no_token_in_a_log_line(line):
    assert "SECRET" not in redact(line)
    assert "[redacted]" in redact(line)
