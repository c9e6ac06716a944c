"""The Graphs section of the container and host pages, as the server renders it (the browser side
is in browser/test_graphs_browser.py): who sees it, its charts and routes, what it loads, the CSP."""

import re

import pytest
from django.urls import reverse

from containers import graphs
from containers.tests.test_security_headers import directives, inline_code
from metrics import series
from testing import vendored

pytestmark = pytest.mark.django_db

GRAPHS_ASSETS = ("/static/vendor/uplot/uPlot.iife.min.js", "/static/vendor/uplot/uPlot.min.css",
                 "/static/lwp-graphs.js")


def page_of(client, user, path, status=200):
    client.force_login(user)
    response = client.get(path)
    assert response.status_code == status
    return response


def section_of(page):
    found = re.search(r'<section class="card graphs" id="graphs".*?</section>', page, re.S)
    return found.group(0) if found else None


def series_of(section):
    return set(re.findall(r'<li data-series="([a-z0-9_]+)"', section))


def test_a_viewer_sees_the_container_graphs_with_their_route_and_ranges(client, users, fake_container):
    name = fake_container("gr", start=True)
    page = page_of(client, users.bob, reverse("containers:detail", args=[name])).content.decode()
    section = section_of(page)
    assert f'data-source="/api/v1/containers/{name}/metrics"' in section
    assert re.findall(r'data-range="(\w+)"', section) == ["hour", "day", "week", "month", "year"]
    assert re.findall(r"<figcaption>([^<]+)</figcaption>", section) == ["CPU", "Memory", "Network", "Disk I/O"]
    assert series_of(section) == set(series.CONTAINER_SERIES)  # every series the route has
    # Drawn by the script only: without JavaScript, the page says so and links the figures.
    assert re.search(r'<div class="graphs-ui" hidden>', section)
    assert '<p class="muted graphs-nojs">Graphs need JavaScript.' in section
    for range_name in graphs.RANGES:
        assert f'href="/api/v1/containers/{name}/metrics?range={range_name}"' in section
    for asset in GRAPHS_ASSETS:
        assert f'"{asset}"' in page, asset
    assert inline_code(page) == []


def test_a_viewer_sees_the_host_graphs(client, users):
    page = page_of(client, users.bob, reverse("containers:host")).content.decode()
    section = section_of(page)
    assert 'data-source="/api/v1/host/metrics"' in section
    assert re.findall(r"<figcaption>([^<]+)</figcaption>", section) == ["Load", "CPU", "Memory", "Disk"]
    assert series_of(section) == set(series.HOST_SERIES)
    assert section.count("data-limit") == 2  # the memory and disk totals, drawn dashed
    assert 'href="/api/v1/host/metrics?range=year"' in section
    for asset in GRAPHS_ASSETS:
        assert f'"{asset}"' in page, asset
    assert inline_code(page) == []


def test_a_user_without_view_permission_gets_no_graphs(client, users, fake_container):
    name = fake_container("grno")
    for path in (reverse("containers:detail", args=[name]), reverse("containers:host")):
        page = page_of(client, users.charlie, path, status=403).content.decode()
        assert section_of(page) is None and "metrics" not in page and "uPlot" not in page, path


def test_pages_with_graphs_keep_the_panel_csp(client, users, fake_container):
    """uPlot styles through the CSSOM, which style-src does not govern: nothing is widened."""
    name = fake_container("grcsp")
    for path in (reverse("containers:detail", args=[name]), reverse("containers:host")):
        policy = directives(page_of(client, users.bob, path))
        assert policy["script-src"] == ["'self'"] and policy["style-src"] == ["'self'"], path
        assert "style-src-attr" not in policy and "style-src-elem" not in policy, path
        assert policy["connect-src"] == ["'self'"], path


def test_the_graphs_assets_are_served_by_the_app(client):
    vendored.assert_served(client, GRAPHS_ASSETS)


def test_the_vendored_uplot_files_are_those_its_version_file_names():
    version = (vendored.VENDOR / "uplot" / "VERSION").read_text()
    assert version.startswith("uplot 1.6.32 from the npm registry (npm pack uplot@1)") and "MIT" in version
    assert set(vendored.checksums("uplot")) == {"uPlot.iife.min.js", "uPlot.min.css"}
    assert (vendored.VENDOR / "uplot" / "LICENSE").read_text().startswith("The MIT License (MIT)")
