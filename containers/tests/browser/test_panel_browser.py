"""The panel in a real Chromium against gunicorn: the flows a sysadmin uses every day."""

import re
import urllib.error
import urllib.request

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def row(page, name):
    return page.locator(f'tr[data-name="{name}"]')


def test_sign_in_lands_on_dashboard_listing_real_containers(browse, users, make_container):
    running = make_container("br", start=True)
    stopped = make_container("br")
    page = browse(users.bob)
    expect(row(page, running).locator(".badge")).to_have_text("running")
    expect(row(page, stopped).locator(".badge")).to_have_text("stopped")
    expect(page.locator(".hostcard")).to_contain_text("Kernel")


def test_start_and_stop_from_the_table_change_the_badge(browse, users, make_container):
    name = make_container("bt")
    page = browse(users.dave)
    page.goto("/")
    row(page, name).get_by_role("button", name="Start").click()
    expect(row(page, name).locator(".badge")).to_have_text("running", timeout=30000)
    expect(page.locator("#messages")).to_contain_text(f"{name}: start done, now RUNNING")
    row(page, name).get_by_role("button", name="Stop").click()
    expect(row(page, name).locator(".badge")).to_have_text("stopped", timeout=60000)


def test_start_from_the_table_works_with_javascript_off(browse, users, make_container, backend):
    name = make_container("nojs")
    page = browse(users.dave, javascript=False)
    page.get_by_label("Search").fill(name)
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url(re.compile(r"search="))
    row(page, name).get_by_role("button", name="Start").click()
    page.wait_for_url(re.compile(r"/\?search="))
    expect(row(page, name).locator(".badge")).to_have_text("running")
    expect(page.locator("#messages")).to_contain_text(f"{name}: start done, now RUNNING")


def test_table_refreshes_itself_when_a_container_changes_elsewhere(browse, users, make_container, backend):
    name = make_container("poll")
    page = browse(users.bob)
    expect(row(page, name).locator(".badge")).to_have_text("stopped")
    backend.start(name)
    expect(row(page, name).locator(".badge")).to_have_text("running", timeout=15000)


def test_bulk_stop_reports_each_container(browse, users, make_container):
    names = [make_container("bulk", start=True) for _ in range(2)]
    page = browse(users.dave)
    page.get_by_label("Search").fill("bulk-")
    for name in names:
        row(page, name).get_by_label(f"Select {name}").check()
    page.get_by_label("Selected").select_option("stop")
    page.get_by_role("button", name="Apply").click()
    for name in names:
        expect(row(page, name).locator(".badge")).to_have_text("stopped", timeout=60000)
        expect(page.locator("#messages")).to_contain_text(f"{name}: stop done, now STOPPED")


def test_create_then_delete(browse, users, backend):
    name = "brc-" + users.erin.username
    page = browse(users.erin)
    page.get_by_role("link", name="New container").first.click()
    page.get_by_label("Name").fill(name)
    page.get_by_label("Template", exact=True).select_option("busybox")
    page.get_by_role("button", name="Create").click()
    expect(page.locator("h1")).to_contain_text(name, timeout=120000)
    assert backend.exists(name)
    delete = page.get_by_role("button", name=f"Delete {name}")
    expect(delete).to_be_disabled()
    page.get_by_label("Type the container's name to confirm").fill(name)
    delete.click()
    expect(page.locator("#messages")).to_contain_text(f"Deleted {name}.")
    assert not backend.exists(name)


def test_settings_save_then_restart(browse, users, make_container, backend):
    name = make_container("bs", start=True)
    page = browse(users.dave)
    page.goto(f"/containers/{name}/")
    page.get_by_label("Memory limit").fill("128M")
    page.get_by_label("Start when the host boots").check()
    page.get_by_role("button", name="Save settings").click()
    expect(page.locator("#messages")).to_contain_text("restart it to apply")
    page.locator(".head-actions").get_by_role("button", name="Restart").click()
    expect(page.locator("#messages")).to_contain_text(f"{name}: restart done, now RUNNING", timeout=60000)
    assert backend.get_settings(name).memory_limit == 128 << 20
    assert backend.state(name) == "RUNNING"


def test_token_create_then_revoke_and_the_api_refuses_it(browse, users, live_app):
    page = browse(users.bob)
    page.get_by_role("link", name="API tokens").click()
    page.get_by_label("Description").fill("browser token")
    page.get_by_role("button", name="Create token").click()
    secret = page.get_by_label("New token secret").input_value()
    assert len(secret) >= 16
    api = f"{live_app.url}/api/v1/containers/?private_token={secret}"
    with urllib.request.urlopen(api, timeout=10) as response:
        assert response.status == 200
    page.goto("/tokens/")
    assert secret not in page.content()
    page.get_by_role("button", name="Revoke browser token").click()
    expect(page.locator("#messages")).to_contain_text("Revoked token browser token")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(api, timeout=10)
    assert refused.value.code == 401


def test_viewer_sees_no_action_buttons_and_gets_403_posting_anyway(browse, users, make_container, backend):
    name = make_container("bv")
    page = browse(users.bob)
    expect(row(page, name)).to_be_visible()
    expect(page.locator("button[name=action]")).to_have_count(0)
    expect(page.locator("#bulk-form")).to_have_count(0)
    page.goto(f"/containers/{name}/")
    expect(page.get_by_role("button", name="Save settings")).to_have_count(0)
    token = page.context.cookies()
    csrf = next(c["value"] for c in token if c["name"] == "csrftoken")
    response = page.request.post(f"/containers/{name}/action/", form={"action": "start"},
                                 headers={"X-CSRFToken": csrf, "Referer": page.url})
    assert response.status == 403
    assert backend.state(name) == "STOPPED"


def test_pages_fit_a_phone_screen(browse, users, make_container):
    name = make_container("ph")
    page = browse(users.dave, width=390)
    expect(row(page, name)).to_be_visible()
    for path in ("/", f"/containers/{name}/", "/tokens/", "/host/"):
        page.goto(path)
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, (path, overflow)
    assert re.search(r"lwp\.css", page.content())
