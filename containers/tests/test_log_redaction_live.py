"""The live server's log holds no token, however the client spelled or hid it.

A token in any spelling of the query parameter (Django decodes ?priv%61te_token= and accepts
it), double-encoded, in a Referer, in an encoded revocation path, or in a request line that
the server refuses itself: none of it reaches the log in clear.
"""

from urllib.parse import quote

import pytest

from containers.tests.campaign_support import call, live_server, raw_request
from containers.tests.test_campaign_leaks import found_in
from lwp.log_redaction import redact, safe_path

pytestmark = pytest.mark.django_db(transaction=True)


def spellings(secret):
    """Requests that carry `secret` somewhere a naive redaction would miss; (method, target, headers)."""
    return [
        ("GET", f"/api/v1/?priv%61te_token={secret}", {}),  # Django decodes the name: it authenticates
        ("GET", f"/api/v1/?private%255Ftoken={secret}", {}),  # double-encoded name
        ("GET", f"/api/v1/?x=1&%70rivate_token={secret}", {}),
        ("GET", f"/api/v1/?next=%252Fapi%252F%253Fprivate_token%253D{secret}", {}),
        ("GET", "/api/v1/", {"Referer": f"http://x/?private_token={secret}"}),
        ("GET", "/login/", {"Referer": f"http://x/?private%5Ftoken={secret}"}),
        ("DELETE", f"/api/v1/tokens%2F{secret}", {}),  # an encoded slash still routes to revocation
        ("GET", f"/api/v1/tok%2565ns/{secret}", {}),  # double-encoded path: a 404 that names it
        ("GET", f"/api/v1/containers/x%3Fprivate_token={secret}", {}),  # an encoded "?" in the path
    ]


def test_no_spelling_of_a_token_reaches_the_live_log(users, tokens):
    secret = tokens.bob  # a real token: the spellings that authenticate must do so
    with live_server() as server:
        answers = {target: call(server, method, target, headers=headers).status
                   for method, target, headers in spellings(secret)}
        # The server refuses these request lines itself (and logs that it did).
        for line in (f"GET /api/\xff?priv%61te_token={secret} HTTP/1.1",
                     f"GET /api/v1/?private%255Ftoken={secret}&pad={'x' * 5000} HTTP/1.1",
                     f"GET /api/v1/tokens/{secret}\x01 HTTP/1.1"):
            raw_request(server, line.encode("latin-1") + b"\r\nHost: 127.0.0.1\r\n\r\n")
        log = server.log_text()
    assert answers[f"/api/v1/?priv%61te_token={secret}"] == 200  # the spelling is a real risk
    assert not found_in(log, [secret]), [line for line in log.splitlines() if found_in(line, [secret])]
    assert '"GET /api/v1/ HTTP/1.1" 200' in log  # the requests were logged, their query left out
    assert '"DELETE /api/v1/tokens/[redacted] HTTP/1.1"' in log
    assert "Invalid" in log  # and the server's own refusals too


@pytest.mark.parametrize("line", [
    "GET /api/v1/?priv%61te_token=SECRET HTTP/1.1",
    "GET /api/v1/?private%255Ftoken=SECRET HTTP/1.1",
    "Invalid request line: 'GET /x/\xff?priv%61te_token=SECRET HTTP/1.1'",
    "Forbidden (Referer checking failed - http://x/?private_token=SECRET does not match): /login/",
    "Not Found: /api/v1/tok%65ns/SECRET",
    "Not Found: /api/v1/TOKENS/SECRET",
    "Not Found: /api/v1/containers/x%3Fprivate_token=SECRET",
])
def test_redaction_of_a_log_line_does_not_depend_on_spelling(line):
    assert "SECRET" not in redact(line)


@pytest.mark.parametrize(("path", "logged"), [
    ("/api/v1/containers/demo", "/api/v1/containers/demo"),
    ("/api/v1/tokens/SECRET", "/api/v1/tokens/[redacted]"),
    ("/api/v1/tok%65ns/SECRET", "/api/v1/tokens/[redacted]"),
    ("/api/v1/containers/x?private_token=SECRET", "/api/v1/containers/x?[redacted]"),
    ("/api/v1/containers/x%253Fa=SECRET", "/api/v1/containers/x?[redacted]"),
])
def test_a_logged_path_keeps_its_route_and_loses_any_token(path, logged):
    assert safe_path(path) == logged
    assert quote("SECRET") not in safe_path(path)
