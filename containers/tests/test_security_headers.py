"""What the panel sends a browser: a strict CSP, Secure cookies and HSTS over HTTPS, secrets never in a cookie.

Also: no password-reset routes, and the admin shows a new token's secret in its answer only.
"""

import http.client
import re
import ssl
from html.parser import HTMLParser

import pytest
from django.test import Client

from containers.tests.campaign_support import call, live_server
from testing import playground
from tokens.models import Token

pytestmark = pytest.mark.django_db

PANEL_PAGES = ["/", "/dashboard/table/", "/containers/new/", "/host/", "/tokens/", "/password_change/"]


class InlineCode(HTMLParser):
    """Collects what a strict CSP refuses: inline <script>, <style>, style="", on*="" handlers."""

    def __init__(self):
        super().__init__()
        self.found = []

    def handle_starttag(self, tag, attrs):
        names = {name for name, _ in attrs}
        if tag == "script" and "src" not in names:
            self.found.append("inline <script>")
        if tag == "style":
            self.found.append("<style>")
        self.found += [f'{name}="" on <{tag}>' for name in names if name == "style" or name.startswith("on")]


def inline_code(html):
    parser = InlineCode()
    parser.feed(html)
    return parser.found


def directives(response):
    policy = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}


# ----- Content-Security-Policy -----------------------------------------------------------------


@pytest.mark.parametrize("page", [*PANEL_PAGES, "container"])
def test_panel_pages_carry_a_strict_csp_and_no_inline_script_or_style(client, users, fake_container, page):
    name = fake_container("csp", start=True)
    client.force_login(users.alice)
    response = client.get(f"/containers/{name}/" if page == "container" else page)
    assert response.status_code == 200
    policy = directives(response)
    assert policy["script-src"] == ["'self'"] and policy["style-src"] == ["'self'"]
    assert policy["default-src"] == ["'self'"] and policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert inline_code(response.content.decode()) == []


def test_sign_in_and_admin_pages_carry_the_csp_and_no_inline_script(client, users):
    assert inline_code(client.get("/login/").content.decode()) == []
    client.force_login(users.alice)
    for page in ("/admin/", "/admin/tokens/token/", "/admin/tokens/token/add/", "/admin/axes/accessattempt/"):
        response = client.get(page)
        assert response.status_code == 200, page
        assert directives(response)["script-src"] == ["'self'"], page
        assert not [found for found in inline_code(response.content.decode()) if "script" in found], page


def test_api_docs_load_their_start_up_script_as_a_file_and_only_widen_styles(client, users):
    client.force_login(users.alice)
    page = client.get("/api/v1/docs/")
    assert page.status_code == 200
    policy = directives(page)
    assert policy["script-src"] == ["'self'"]
    assert "'unsafe-inline'" in policy["style-src"]
    assert not [found for found in inline_code(page.content.decode()) if "script" in found]
    script_url = re.search(r'<script src="([^"]*script=[^"]*)"', page.content.decode()).group(1)
    script = client.get(script_url.replace("&amp;", "&"))
    assert script.status_code == 200 and script["Content-Type"].startswith("application/javascript")
    assert b"SwaggerUIBundle(" in script.content


# ----- cookies and HSTS ------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_over_https_cookies_are_secure_and_hsts_is_sent(monkeypatch, users):
    # The server's certificate is self-signed: this process's own readiness probe skips checking it.
    monkeypatch.setattr(ssl, "_create_default_https_context", ssl._create_unverified_context)
    server = playground.LiveServer(extra_env={"LWP_TLS": "on"})
    server.url = server.url.replace("http://", "https://")
    server.start(timeout=60)
    try:
        page = _https_get(server, "/login/")
    finally:
        server.stop()
    assert page.status == 200
    assert page.getheader("Strict-Transport-Security") == "max-age=31536000"
    cookies = page.headers.get_all("Set-Cookie")
    assert cookies and all("; Secure" in cookie for cookie in cookies), cookies


@pytest.mark.django_db(transaction=True)
def test_over_plain_http_on_loopback_no_hsts_and_no_secure_flag(users):
    with live_server() as server:
        page = call(server, "GET", "/login/")
    assert page.status == 200
    assert "strict-transport-security" not in page.headers
    assert "Secure" not in page.headers["set-cookie"]


def _https_get(server, path):
    connection = http.client.HTTPSConnection("127.0.0.1", server.port, timeout=30,
                                             context=ssl._create_unverified_context())
    connection.request("GET", path)
    response = connection.getresponse()
    response.read()
    connection.close()
    return response


# ----- routes and secrets ----------------------------------------------------------------------


@pytest.mark.parametrize("route", ["/password_reset/", "/password_reset/done/", "/reset/MQ/set-password/",
                                   "/reset/done/"])
def test_password_reset_routes_do_not_exist(client, route):
    assert client.get(route).status_code == 404
    assert client.post(route, {"email": "root@localhost"}).status_code == 404


def test_admin_sign_in_offers_no_password_reset(client):
    page = client.get("/admin/login/").content.decode()
    assert "password_reset" not in page and "Forgotten your" not in page


def test_sign_in_sign_out_and_password_change_still_work(client, users):
    assert client.post("/login/", {"username": "bob", "password": "pw-bob"}).status_code == 302
    changed = client.post("/password_change/", {"old_password": "pw-bob", "new_password1": "An0ther-long-pass",
                                                "new_password2": "An0ther-long-pass"})
    assert changed["Location"] == "/password_change/done/"
    assert client.post("/logout/").status_code in (200, 302)
    assert client.post("/login/", {"username": "bob", "password": "An0ther-long-pass"}).status_code == 302


def test_admin_shows_a_new_secret_in_its_answer_and_never_in_a_cookie_or_message(client, users):
    client.force_login(users.alice)
    response = client.post("/admin/tokens/token/add/", {"user": users.bob.pk, "description": "ci",
                                                        "expires_0": "", "expires_1": ""})
    assert response.status_code == 200
    secret = re.search(r'id="token-secret"[^>]* value="([^"]+)"', response.content.decode()).group(1)
    assert Token.find(secret).user == users.bob
    assert "no-store" in response["Cache-Control"]
    assert all(secret not in morsel.value for morsel in response.cookies.values())
    assert "messages" not in response.cookies
    after = client.get("/admin/tokens/token/")  # the next page shows no message holding it
    assert secret not in after.content.decode()


def test_messages_never_travel_in_a_cookie(client, users, make_token):
    secret = make_token(users.bob, description="mine")
    client.force_login(users.bob)
    response = client.post(f"/tokens/{Token.find(secret).pk}/revoke/")  # adds a message, redirects
    assert response.status_code == 302
    assert "messages" not in response.cookies
    assert "Revoked token mine" in client.get("/tokens/").content.decode()


def test_a_csrf_failure_page_also_carries_the_csp(users):
    response = Client(enforce_csrf_checks=True).post("/login/", {"username": "bob", "password": "pw-bob"})
    assert response.status_code == 403
    assert directives(response)["script-src"] == ["'self'"]
