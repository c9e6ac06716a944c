"""The panel in a real Chromium against gunicorn: the flows a sysadmin uses every day."""

import re
import urllib.error
import urllib.request

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from operations import audit, workers
from operations.models import LogLine, Operation

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


def test_create_follows_the_operation_live_then_delete(browse, users, backend):
    name = "brc-" + users.erin.username
    page = browse(users.erin)
    page.get_by_role("link", name="New container").first.click()
    page.get_by_label("Name").fill(name)
    page.get_by_label("Template", exact=True).select_option("busybox")
    page.get_by_role("button", name="Create").click()
    page.wait_for_url(re.compile(r"/operations/[0-9a-f-]{36}/$"))
    expect(page.locator("h1")).to_contain_text(f"Create {name}")
    page.evaluate("window.lwpNotReloaded = true")  # gone if the page were loaded again
    expect(page.locator(".opstate .badge")).to_have_text("succeeded", timeout=120000)
    expect(page.locator("#oplog")).to_contain_text(f"LWP: created '{name}'")
    assert page.evaluate("window.lwpNotReloaded") is True
    assert backend.exists(name)
    page.get_by_role("link", name=f"Go to {name}").click()
    expect(page.locator("h1")).to_contain_text(name)
    history = page.locator("#history")
    expect(history.get_by_role("link", name="container.create")).to_be_visible()
    expect(history.locator(".badge")).to_have_text("succeeded")
    delete = page.get_by_role("button", name=f"Delete {name}")
    expect(delete).to_be_disabled()
    page.get_by_label("Type the container's name to confirm").fill(name)
    delete.click()
    expect(page.locator("h1")).to_contain_text(f"Destroy {name}")
    expect(page.locator(".opstate .badge")).to_have_text("succeeded", timeout=60000)
    assert not backend.exists(name)
    page.get_by_role("link", name="Back to the containers").click()
    page.wait_for_url(live_url(page, "/"))


def live_url(page, path):
    return re.sub(r"^(https?://[^/]+).*$", r"\1", page.url) + path


def test_running_operation_shows_on_the_dashboard_and_its_page_updates_live(browse, users):
    # A row of the test's own, not a job: the test decides when it moves on. Its worker is this
    # test process, registered, so the real worker's recovery does not take it for interrupted.
    workers.register("browser-test")
    operation = Operation.objects.create(kind="create", container="brlive", user=users.dave, username="dave",
                                         source="panel", status="running", progress=20, worker="browser-test")
    LogLine.objects.bulk_create(LogLine(operation=operation, time=timezone.now(), line=f"step {n}")
                                for n in range(200))
    page = browse(users.bob)
    box = page.locator("#running-ops")
    expect(box).to_contain_text("Create brlive")
    expect(box).to_contain_text("by dave")
    box.get_by_role("link", name="Create brlive").click()
    expect(page.locator(".opstate .badge")).to_have_text("running")
    expect(page.get_by_role("button", name="Cancel")).to_have_count(0)  # bob's it is not
    log = page.locator("#oplog")
    scrolled_to_end = "e => e.scrollHeight - e.scrollTop - e.clientHeight < 8"
    assert log.evaluate("e => e.scrollHeight > e.clientHeight")
    page.wait_for_function(f"({scrolled_to_end})(document.getElementById('oplog'))")
    LogLine.objects.create(operation=operation, time=timezone.now(), line="step last")
    Operation.objects.filter(pk=operation.pk).update(progress=60)
    expect(page.locator(".opprogress")).to_contain_text("60 %")
    expect(log).to_contain_text("step last")
    assert log.evaluate(scrolled_to_end)  # it followed the new line
    Operation.objects.filter(pk=operation.pk).update(status="failed", error_code="lxc_error",
                                                     error_message="the template failed",
                                                     result={"output": "ERROR: no such release"})
    expect(page.locator(".opstate .badge")).to_have_text("failed")
    expect(page.get_by_role("alert")).to_contain_text("the template failed")
    expect(page.locator("#operation-live")).not_to_have_attribute("hx-trigger", re.compile("."))
    # The dashboard's box comes and goes with the table's refresh (out of band), without a reload.
    other = Operation.objects.create(kind="destroy", container="brgone", user=users.erin, username="erin",
                                     source="api", status="pending")
    page.goto("/")
    expect(page.locator("#running-ops")).to_contain_text("Destroy brgone")
    expect(page.locator("#running-ops")).not_to_contain_text("brlive")
    page.evaluate("window.lwpNotReloaded = true")
    Operation.objects.filter(pk=other.pk).update(status="succeeded")
    expect(page.locator("#running-ops")).to_be_empty(timeout=15000)
    assert page.evaluate("window.lwpNotReloaded") is True


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
    operation = Operation.objects.create(kind="clone", container=name, user=users.dave, username="dave",
                                         source="panel", status="failed", params={"source": name},
                                         error_code="lxc_error", error_message="a long reason " * 20,
                                         result={"output": "a-long-unbroken-line-" * 20})
    LogLine.objects.create(operation=operation, time=timezone.now(), line="an-unbroken-log-line-" * 20)
    audit.record_event(action="container.clone", target=name, user=users.dave, outcome=audit.FAILED,
                       message="a long reason " * 20, operation=operation)
    page = browse(users.dave, width=390)
    expect(row(page, name)).to_be_visible()
    for path in ("/", f"/containers/{name}/", "/tokens/", "/host/", "/operations/", "/activity/",
                 f"/operations/{operation.pk}/"):
        page.goto(path)
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, (path, overflow)
    assert re.search(r"lwp\.css", page.content())
