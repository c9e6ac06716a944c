"""Under the Content-Security-Policy, every page works in a real Chromium and breaks no rule.

The browser reports each refused script, style or eval as a console error and a
securitypolicyviolation event; there must be none, and the Swagger docs must still render.
"""

import pytest
from playwright.sync_api import expect

from containers.tests.browser.graphs_support import CONTAINER_SERIES, HOST_SERIES, stand_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIOLATIONS_WATCH = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolations.push(e.violatedDirective + " " + (e.blockedURI || "inline"));
});
"""


def watch(page):
    """Collects the page's CSP violations (events and console errors) from now on."""
    found = []
    page.add_init_script(VIOLATIONS_WATCH)
    page.on("console", lambda message: found.append(message.text)
            if "Content Security Policy" in message.text else None)
    return found


def violations(page, console):
    return console + page.evaluate("window.__cspViolations || []")


def test_panel_and_admin_pages_break_no_csp_rule(browse, users, make_container):
    name = make_container("cspb", start=True)
    page = browse(users.alice)
    console = watch(page)
    for path in ("/", f"/containers/{name}/", "/containers/new/", "/host/", "/tokens/", "/password_change/",
                 "/admin/", "/admin/tokens/token/add/", "/admin/auth/user/"):
        page.goto(path)
        page.wait_for_load_state("networkidle")
        assert violations(page, console) == [], path
    page.goto("/")
    expect(page.locator("meter.meter").first).to_be_visible()


def test_dashboard_polling_and_htmx_work_under_the_csp(browse, users, make_container, backend):
    name = make_container("cspp")
    page = browse(users.bob)
    console = watch(page)
    page.reload()
    expect(page.locator(f'tr[data-name="{name}"] .badge')).to_have_text("stopped")
    backend.start(name)
    expect(page.locator(f'tr[data-name="{name}"] .badge')).to_have_text("running", timeout=15000)
    assert violations(page, console) == []


def test_swagger_docs_render_under_the_csp(browse, users):
    page = browse(users.alice)
    console = watch(page)
    page.goto("/api/v1/docs/")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("LWP API", timeout=30000)
    expect(page.locator(".opblock").first).to_be_visible()
    assert violations(page, console) == []


def test_the_console_with_a_session_open_breaks_no_csp_rule(browse, users, make_container):
    """xterm.js styles itself with <style> elements (they carry the page's nonce: lwp-console.js)
    and 24-bit colours with style attributes; the socket is the page's own host."""
    name = make_container("cspc", start=True)
    page = browse(users.erin)
    console = watch(page)
    page.goto(f"/containers/{name}/")
    section = page.locator("#console")
    section.get_by_role("button", name="Connect").click()
    expect(section.locator(".console-status")).to_have_text("Connected: shell.")
    rows = section.locator(".xterm-rows")
    expect(rows).to_contain_text("#", timeout=20000)  # the shell's prompt
    page.keyboard.type(r"printf '\033[1;31mred\033[0m \033[38;2;1;2;3mtrue\033[0m\n'")
    page.keyboard.press("Enter")
    expect(rows).to_contain_text("red true")
    assert page.evaluate("[...document.querySelectorAll('#console style')].every((s) => s.sheet !== null)")
    assert rows.get_by_text("true", exact=True).evaluate("(span) => getComputedStyle(span).color") == "rgb(1, 2, 3)"
    section.get_by_role("button", name="Full screen").click()
    section.get_by_role("button", name="Leave full screen").click()
    assert violations(page, console) == []


def test_the_graphs_drawn_break_no_csp_rule(browse, users, make_container):
    """uPlot styles what it draws through the CSSOM (element.style), which style-src does not govern:
    the pages with graphs need nothing beyond the panel's own policy."""
    name = make_container("cspg")
    page = browse(users.bob)
    console = watch(page)
    for path, series in ((f"/containers/{name}/", CONTAINER_SERIES), ("/host/", HOST_SERIES)):
        page.unroute("**/*")
        stand_in(page, series)
        page.goto(path)
        expect(page.locator("#graphs")).to_have_attribute("data-drawn", "hour")
        expect(page.locator("#graphs canvas")).to_have_count(4)
        page.locator("#graphs .u-over").first.hover()  # the cursor and legend restyle on hover
        page.get_by_role("button", name="day").click()
        expect(page.locator("#graphs")).to_have_attribute("data-drawn", "day")
        assert violations(page, console) == [], path
