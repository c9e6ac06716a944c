"""The Console section of a container's page, as the server renders it (the browser side is in
browser/test_console_browser.py): who sees it, when it can connect, what the page's CSP adds,
and the vendored xterm.js it loads."""

import dataclasses
import re

import pytest
from django.urls import reverse

from containers.tests.test_security_headers import directives, inline_code
from testing import vendored

pytestmark = pytest.mark.django_db

XTERM = vendored.VENDOR / "xterm"
XTERM_ASSETS = ("/static/vendor/xterm/xterm.js", "/static/vendor/xterm/addon-fit.js",
                "/static/vendor/xterm/xterm.css", "/static/lwp-console.js")


def page_of(client, user, name):
    client.force_login(user)
    response = client.get(reverse("containers:detail", args=[name]))
    assert response.status_code == 200
    return response


def test_an_administrator_gets_a_console_for_a_running_container(client, users, make_container):
    name = make_container("con", start=True)
    response = page_of(client, users.erin, name)
    page = response.content.decode()
    assert '<section class="card console" id="console">' in page
    assert f'data-socket="/ws/containers/{name}/console"' in page
    assert 'value="shell" checked' in page and 'value="tty"' in page
    assert "lxc-attach" in page and "lxc-console" in page
    assert ">Connect</button>" in page
    # Shown by the script only: without JavaScript, the page says why there is no console.
    assert re.search(r'<div class="console-ui"[^>]* hidden>', page)
    assert '<p class="muted console-nojs">A console needs JavaScript' in page
    for asset in XTERM_ASSETS:
        assert f'"{asset}"' in page, asset
    assert inline_code(page) == []


def test_the_console_page_csp_admits_its_socket_and_xterm_styles_and_nothing_else(client, users, make_container):
    name = make_container("concsp", start=True)
    response = page_of(client, users.erin, name)
    policy = directives(response)
    nonce = re.search(r'<script src="/static/lwp-console.js" nonce="([^"]+)"', response.content.decode()).group(1)
    assert policy["connect-src"] == ["'self'", "ws://testserver"]
    assert policy["style-src-elem"] == ["'self'", f"'nonce-{nonce}'"]
    assert policy["style-src-attr"] == ["'unsafe-inline'"]
    assert policy["script-src"] == ["'self'"] and policy["style-src"] == ["'self'"]
    assert policy["img-src"] == ["'self'"] and policy["font-src"] == ["'self'"]


def test_over_https_the_page_admits_a_wss_socket(client, users, make_container):
    name = make_container("conwss", start=True)
    client.force_login(users.erin)
    response = client.get(reverse("containers:detail", args=[name]), secure=True)
    assert directives(response)["connect-src"] == ["'self'", "wss://testserver"]


def test_each_page_gets_its_own_nonce(client, users, make_container):
    name = make_container("connonce", start=True)
    first, second = (directives(page_of(client, users.erin, name))["style-src-elem"] for _ in range(2))
    assert first != second


def test_a_stopped_container_says_it_needs_to_run_and_loads_no_terminal(client, users, make_container):
    name = make_container("constop")
    response = page_of(client, users.erin, name)
    page = response.content.decode()
    assert 'id="console"' in page
    assert f"A console needs a running container: start {name} to open one." in page
    assert "console-ui" not in page and "xterm" not in page and "lwp-console.js" not in page
    assert "style-src-elem" not in directives(response) and directives(response)["connect-src"] == ["'self'"]


@pytest.mark.parametrize("who", ["dave", "bob"])  # operators and viewers: no console_container
def test_a_user_without_the_console_permission_sees_no_console(client, users, make_container, who):
    name = make_container("conperm", start=True)
    response = page_of(client, getattr(users, who), name)
    page = response.content.decode()
    assert 'id="console"' not in page and "xterm" not in page and "/ws/" not in page
    assert "style-src-elem" not in directives(response)


def test_an_engine_without_consoles_shows_no_console(client, users, fake_container, fake_engine, monkeypatch):
    name = fake_container("confake", start=True)
    assert 'id="console"' in page_of(client, users.erin, name).content.decode()
    without = dataclasses.replace(fake_engine.capabilities(), console=False)
    monkeypatch.setattr(fake_engine, "capabilities", lambda: without)
    page = page_of(client, users.erin, name).content.decode()
    assert 'id="console"' not in page and "xterm" not in page


def test_the_console_assets_are_served_by_the_app(client):
    vendored.assert_served(client, XTERM_ASSETS)


def test_the_vendored_xterm_files_are_those_its_version_file_names():
    version = (XTERM / "VERSION").read_text()
    assert "@xterm/xterm 6.0.0" in version and "@xterm/addon-fit 0.11.0" in version and "MIT" in version
    assert set(vendored.checksums("xterm")) == {"xterm.js", "xterm.css", "addon-fit.js"}
    assert (XTERM / "LICENSE").read_text().startswith("Copyright (c) 2017-2019, The xterm.js authors")
