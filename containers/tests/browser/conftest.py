"""Browser tests: Debian's Chromium, headless, driven by Playwright against the live gunicorn app."""

import os

import pytest

# Playwright's sync API runs an event loop in this thread; the tests' ORM calls are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")
def chromium():
    from playwright.sync_api import sync_playwright  # noqa: PLC0415

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def browse(chromium, live_app):
    """Factory: a fresh browser page signed in as `user` (password pw-<username>) on the live app."""
    contexts = []

    def open_as(user, width=1280, javascript=True):
        context = chromium.new_context(viewport={"width": width, "height": 900}, base_url=live_app.url,
                                       java_script_enabled=javascript)
        context.set_default_timeout(30000)
        contexts.append(context)
        page = context.new_page()
        page.goto("/login/")
        page.get_by_label("Username").fill(user.username)
        page.get_by_label("Password").fill("pw-" + user.username)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(live_app.url + "/")
        return page

    yield open_as
    for context in contexts:
        context.close()
