"""GET /api/v1/containers/<name>: LWP's documented keys as lxc-info prints them, plus raw figures."""

from urllib.parse import quote

import pytest

from containers.backend.operations import wait_until
from containers.tests.lxc_support import lxc_info
from testing.api import assert_error, scratch_container

pytestmark = pytest.mark.django_db

DOCUMENTED_KEYS = {"name", "state", "pid", "ip", "link", "cpu_use", "memory_use", "kmem_use", "blkio_use",
                   "rx_bytes", "tx_bytes", "total_bytes"}
FIGURES = ["cpu_use", "memory_use", "kmem_use", "blkio_use", "rx_bytes", "tx_bytes", "total_bytes"]
# lxc-info's labels for the documented keys.
LXC_INFO_LABELS = {"state": "State", "pid": "PID", "cpu_use": "CPU use", "blkio_use": "BlkIO use",
                   "memory_use": "Memory use", "kmem_use": "KMem use", "rx_bytes": "RX bytes",
                   "tx_bytes": "TX bytes", "total_bytes": "Total bytes"}


@pytest.fixture(scope="module")
def stopped(backend, bridge):
    with scratch_container(backend, bridge, "detail-s") as name:
        yield name


@pytest.fixture(scope="module")
def frozen_with_address(backend, bridge):
    """A running container that got its DHCP address, then frozen so its figures hold still."""
    with scratch_container(backend, bridge, "detail-r", start=True) as name:
        assert wait_until(lambda: backend.info(name).ipv4, timeout=20), "no DHCP address on the test bridge"
        backend.freeze(name)
        yield name


def detail(api, token, name):
    return api("GET", f"/api/v1/containers/{quote(name, safe='')}", token=token)


def test_stopped_container_has_every_documented_key_with_null_figures(api, users, tokens, stopped, bridge):
    response = detail(api, tokens.bob, stopped)
    assert response.status_code == 200
    body = response.body
    assert DOCUMENTED_KEYS <= set(body)
    assert (body["name"], body["state"], body["pid"], body["ip"]) == (stopped, "STOPPED", None, None)
    assert body["link"] == bridge.name
    assert all(body[key] is None for key in FIGURES)
    assert body["ips"] == [] and body["values"]["cpu_ns"] is None


def test_figures_agree_with_lxc_info_for_the_same_container(api, users, tokens, frozen_with_address, lxcpath):
    body = detail(api, tokens.bob, frozen_with_address).body
    reference = lxc_info(lxcpath, frozen_with_address)
    for key, label in LXC_INFO_LABELS.items():
        if label in reference:
            assert body[key] == reference[label][0], key
        else:
            assert body[key] is None, key  # lxc-info omits what the host cannot measure (kmem on cgroup v2)
    assert body["ips"] == reference["IP"]
    assert body["ip"] == reference["IP"][0]
    assert body["host_interface"] == reference["Link"][0]


def test_raw_figures_are_plain_numbers_matching_the_text(api, users, tokens, frozen_with_address):
    body = detail(api, tokens.bob, frozen_with_address).body
    assert body["state"] == "FROZEN"
    assert body["values"]["pid"] == int(body["pid"])
    assert isinstance(body["values"]["memory_bytes"], int) and body["values"]["memory_bytes"] > 0
    assert body["values"]["total_bytes"] == body["values"]["rx_bytes"] + body["values"]["tx_bytes"]
    assert body["cpu_use"].endswith(" seconds")
    assert body["ipv4"] == [ip for ip in body["ips"] if ":" not in ip]


def test_trailing_slash_form_answers_the_same(api, users, tokens, stopped):
    response = api("GET", f"/api/v1/containers/{stopped}/", token=tokens.bob)
    assert response.status_code == 200 and response.body["name"] == stopped


def test_unknown_container_is_404(api, users, tokens):
    assert_error(detail(api, tokens.bob, "no-such-container"), 404, "not_found")


@pytest.mark.parametrize("hostile", ["..", ".hidden", "a;b", "$(id)", "`id`", "a\nb", "-rf", "a" * 65])
def test_hostile_names_are_refused_with_a_4xx(api, users, tokens, hostile):
    response = detail(api, tokens.bob, hostile)
    assert 400 <= response.status_code < 500
    assert response.body["status"] == "error"


def test_read_only_token_may_read_a_container(api, users, tokens, stopped):
    assert detail(api, tokens.readonly, stopped).status_code == 200


def test_user_without_view_permission_is_403_even_for_an_unknown_name(api, users, tokens, stopped):
    assert_error(detail(api, tokens.charlie, stopped), 403, "permission_denied")
    assert_error(detail(api, tokens.charlie, "no-such-container"), 403, "permission_denied")
