"""The host check page and its checks, read from /proc and /sys."""

import pytest

from containers.engines.lxc import host_checks
from containers.engines.types import MISSING, OK

pytestmark = pytest.mark.django_db


def test_anonymous_visitor_is_sent_to_sign_in(client):
    assert client.get("/host/")["Location"].startswith("/login/")


def test_user_without_permission_gets_403(client, users):
    client.force_login(users.charlie)
    assert client.get("/host/").status_code == 403


def test_page_lists_namespaces_cgroups_bridge_and_lxc_net(client, users):
    client.force_login(users.bob)
    page = client.get("/host/").content.decode()
    for title in ("Namespaces", "Control groups", "Network bridge", "lxc-net"):
        assert title in page


def test_this_host_has_the_namespaces_lxc_needs():
    namespaces = host_checks.check_namespaces()
    assert all(check.ok for check in namespaces.checks if check.name.endswith("namespace"))


def test_a_missing_bridge_is_marked_with_a_hint(bridge):
    missing = host_checks.check_bridge("lwp-no-such-br")
    assert missing.status == MISSING
    assert "lxc-net" in missing.checks[0].hint
    present = host_checks.check_bridge(bridge.name)
    assert present.checks[0].ok and present.checks[1].ok


def test_dnsmasq_of_a_bridge_is_found_in_proc(bridge):
    assert host_checks.check_lxc_net(bridge.name).status == OK
    assert host_checks.check_lxc_net("lwp-no-such-br").status == MISSING
