"""The Graphs section in a real Chromium: uPlot charts drawn from the metrics routes.

The page's side of the wire: a stand-in (graphs_support.py) answers the metrics routes and records
what the page asked, so these tests check what the page asks and draws.
"""

import re
import time
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect

from containers.tests.browser.graphs_support import CONTAINER_SERIES, HOST_SERIES, stand_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def container_page(browse, users, make_container):
    """Factory: bob (a viewer) on a stopped container's page, the metrics route answered by `stand_in`."""

    def open_page(width=1280, **answers):
        name = make_container("gr")
        page = browse(users.bob, width=width)
        asked = stand_in(page, CONTAINER_SERIES, **answers)
        page.goto(f"/containers/{name}/")
        return SimpleNamespace(page=page, name=name, asked=asked, section=page.locator("#graphs"))

    return open_page


def canvas_sizes(section):
    return section.locator("figure.graph canvas").evaluate_all("(all) => all.map((c) => [c.width, c.height])")


def legend_value(section, chart, series):
    """What chart number `chart`'s legend says of its series number `series` (0: the time) with the
    pointer near the chart's left edge, where the stand-in has data."""
    figure = section.locator("figure.graph").nth(chart)
    figure.locator(".u-over").hover(position={"x": 40, "y": 50})
    return figure.locator(".u-legend .u-series").nth(series).locator(".u-value")


def test_the_container_page_draws_its_four_charts_for_the_last_hour(container_page):
    shown = container_page()
    section = shown.section
    expect(section).to_have_attribute("data-drawn", "hour")
    assert shown.asked == ["hour"]
    expect(section.get_by_role("button", name="hour")).to_have_attribute("aria-pressed", "true")
    expect(section.locator(".graphs-status")).to_have_text("Last hour, a point every 10 s.")
    expect(section.locator("figure.graph figcaption")).to_have_text(["CPU", "Memory", "Network", "Disk I/O"])
    sizes = canvas_sizes(section)
    assert len(sizes) == 4 and all(width > 100 and height > 100 for width, height in sizes), sizes
    labels = section.locator(".u-legend .u-series .u-label").all_inner_texts()
    assert labels == ["Time", "CPU (100 % = one CPU)", "Time", "memory", "swap", "Time", "in", "out",
                      "Time", "read", "write"]
    expect(section.locator(".graph-empty:visible")).to_have_count(0)
    expect(section.locator(".graphs-nojs")).to_be_hidden()
    # The legend reads the point under the pointer in human units: bytes in KiB/MiB/GiB, rates per second.
    expect(legend_value(section, 2, 1)).to_have_text(re.compile(r"^[\d.]+ MiB/s$"))
    expect(legend_value(section, 0, 1)).to_have_text(re.compile(r"^[\d.]+ %$"))
    shown.page.screenshot(path="/tmp/metricsui-container.png", full_page=True)


def test_switching_the_range_asks_for_it_redraws_and_survives_a_reload(container_page):
    shown = container_page()
    page, section = shown.page, shown.section
    expect(section).to_have_attribute("data-drawn", "hour")
    section.get_by_role("button", name="week").click()
    expect(section).to_have_attribute("data-drawn", "week")
    assert shown.asked == ["hour", "week"]
    expect(section.locator(".graphs-status")).to_have_text("Last week, a point every 5 min.")
    expect(section.get_by_role("button", name="week")).to_have_attribute("aria-pressed", "true")
    expect(section.get_by_role("button", name="hour")).to_have_attribute("aria-pressed", "false")
    expect(section.locator("figure.graph canvas")).to_have_count(4)  # redrawn, not added to
    assert page.evaluate("location.hash") == "#graphs=week"
    page.reload()
    expect(section).to_have_attribute("data-drawn", "week")
    assert shown.asked == ["hour", "week", "week"]
    section.get_by_role("button", name="year").click()
    expect(section.locator(".graphs-status")).to_have_text("Last year, a point every 6 h.")


def test_longer_ranges_draw_each_lines_peaks_beside_its_averages(container_page):
    shown = container_page(peaks=True)
    section = shown.section
    expect(section).to_have_attribute("data-drawn", "hour")  # one sample a point: no peak line
    labels = section.locator(".u-legend .u-series .u-label")
    expect(labels).to_have_count(11)
    section.get_by_role("button", name="day").click()
    expect(section).to_have_attribute("data-drawn", "day")
    assert labels.all_inner_texts() == [
        "Time", "CPU (100 % = one CPU)", "CPU (100 % = one CPU) peak", "Time", "memory", "swap", "memory peak",
        "swap peak", "Time", "in", "out", "in peak", "out peak", "Time", "read", "write", "read peak", "write peak"]
    average, peak = legend_value(section, 1, 1), legend_value(section, 1, 3)
    expect(peak).to_have_text(re.compile(r"^[\d.]+ MiB$"))
    assert parse_mib(peak.inner_text()) == pytest.approx(2 * parse_mib(average.inner_text()), rel=0.02)


def parse_mib(text):
    return float(text.split()[0])


def test_the_charts_follow_their_box_when_the_window_narrows(container_page):
    shown = container_page()
    expect(shown.section).to_have_attribute("data-drawn", "hour")
    wide = canvas_sizes(shown.section)[0][0]
    shown.page.set_viewport_size({"width": 900, "height": 900})
    shown.page.wait_for_function("(wide) => document.querySelector('#graphs canvas').width < wide", arg=wide)


def test_no_history_yet_says_so_on_every_chart(container_page):
    shown = container_page(empty=True)
    expect(shown.section).to_have_attribute("data-drawn", "hour")
    expect(shown.section.locator(".graph-empty:visible")).to_have_count(4)
    expect(shown.section.locator(".graph-empty").first).to_have_text("No history yet.")
    expect(shown.section.locator("canvas")).to_have_count(0)


def test_a_refused_request_says_why(container_page):
    shown = container_page(status=403)
    expect(shown.section).to_have_attribute("data-drawn", "error")
    expect(shown.section.locator(".graphs-status")).to_have_text(
        "Could not read the figures: You do not have permission to perform this action.")


def test_the_host_page_draws_load_cpu_memory_and_disk(browse, users):
    page = browse(users.bob)
    asked = stand_in(page, HOST_SERIES)
    page.goto("/host/")
    section = page.locator("#graphs")
    expect(section).to_have_attribute("data-drawn", "hour")
    assert asked == ["hour"]
    expect(section.locator("figure.graph figcaption")).to_have_text(["Load", "CPU", "Memory", "Disk"])
    sizes = canvas_sizes(section)
    assert len(sizes) == 4 and all(width > 100 and height > 100 for width, height in sizes), sizes
    labels = section.locator(".u-legend .u-series .u-label").all_inner_texts()
    assert [label for label in labels if label != "Time"] == [
        "load (1 min)", "CPU (100 % = all CPUs)", "used", "swap used", "total", "used", "total"]
    expect(legend_value(section, 2, 1)).to_have_text(re.compile(r"^[\d.]+ MiB$"))


@pytest.mark.parametrize("where", ["container", "host"])
def test_on_a_phone_the_charts_stack_and_nothing_overflows(container_page, browse, users, where):
    if where == "container":
        page = container_page(width=390).page
    else:
        page = browse(users.bob, width=390)
        stand_in(page, HOST_SERIES)
        page.goto("/host/")
    section = page.locator("#graphs")
    expect(section).to_have_attribute("data-drawn", "hour")
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, overflow
    boxes = [figure.bounding_box() for figure in section.locator("figure.graph").all()]
    assert len({round(box["x"]) for box in boxes}) == 1, boxes  # one chart per row
    assert all(box["x"] + box["width"] <= 390 for box in boxes), boxes


def test_without_javascript_the_section_says_so_and_links_the_figures(browse, users, make_container):
    name = make_container("grnojs")
    page = browse(users.bob, javascript=False)
    page.goto(f"/containers/{name}/")
    section = page.locator("#graphs")
    expect(section.locator(".graphs-nojs")).to_contain_text("Graphs need JavaScript")
    expect(section.locator(".graphs-ui")).to_be_hidden()
    expect(section.get_by_role("link", name="day")).to_have_attribute(
        "href", f"/api/v1/containers/{name}/metrics?range=day")


# ----- end to end: the worker's sampler, the real routes, the page --------------------------------


def wait_for_history(page, route, series_name, timeout=60):
    """The route's answer once `series_name` has a value: the live app's worker samples every
    LWP_METRICS_INTERVAL (10 s) and a gauge has one from its first sample."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        answer = page.request.get(route).json()
        if any(value is not None for value in answer["series"][series_name]):
            return answer
        time.sleep(1)
    raise AssertionError(f"no {series_name} in {route} after {timeout} s")


def test_a_running_containers_sampled_history_is_drawn_from_the_real_route(browse, users, make_container):
    name = make_container("gre", start=True)
    page = browse(users.bob)
    wait_for_history(page, f"/api/v1/containers/{name}/metrics?range=hour", "memory_bytes")
    page.goto(f"/containers/{name}/")
    section = page.locator("#graphs")
    expect(section).to_have_attribute("data-drawn", "hour")
    memory = section.locator("figure.graph").nth(1)
    expect(memory.locator(".graph-empty")).to_be_hidden()
    width, height = memory.locator("canvas").evaluate("(c) => [c.width, c.height]")
    assert width > 100 and height > 100
    expect(memory.locator(".u-legend .u-label")).to_have_text(["Time", "memory", "swap"])
    section.get_by_role("button", name="year").click()
    expect(section).to_have_attribute("data-drawn", "year")
    expect(section.locator(".graphs-status")).to_have_text("Last year, a point every 6 h.")


def test_the_hosts_sampled_history_is_drawn_from_the_real_route(browse, users):
    page = browse(users.bob)
    wait_for_history(page, "/api/v1/host/metrics?range=hour", "load1")
    page.goto("/host/")
    section = page.locator("#graphs")
    expect(section).to_have_attribute("data-drawn", "hour")
    for chart in ("Load", "Memory", "Disk"):
        figure = section.locator("figure.graph", has=page.locator("figcaption", has_text=chart))
        expect(figure.locator(".graph-empty")).to_be_hidden()
        expect(figure.locator("canvas")).to_have_count(1)
