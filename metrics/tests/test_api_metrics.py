"""GET /api/v1/containers/<name>/metrics, /api/v1/host/metrics and /metrics: who may read them, and
what they answer."""

import pytest
from prometheus_client.parser import text_string_to_metric_families

from metrics import store
from metrics.tests.test_store import host, usage
from testing.api import assert_error

pytestmark = pytest.mark.django_db


def history(api, token, name, query=""):
    return api("GET", f"/api/v1/containers/{name}/metrics{query}", token=token)


@pytest.mark.parametrize("path", ["/api/v1/containers/{name}/metrics", "/api/v1/host/metrics"])
def test_anonymous_is_401_and_no_permission_is_403(api, users, tokens, fake_container, metrics_dir, path):
    path = path.format(name=fake_container("m"))
    assert_error(api("GET", path), 401, "unauthorized")
    assert_error(api("GET", path, token=tokens.charlie), 403, "permission_denied")


@pytest.mark.parametrize("token", ["bob", "readonly", "alice"])
def test_a_viewer_reads_a_containers_history_with_and_without_the_slash(
        api, users, tokens, fake_container, metrics_dir, token):
    name = fake_container("m")
    for second in range(5):
        store.record_container(usage(name, second), store_time(second))
    for path in (f"/api/v1/containers/{name}/metrics?range=hour", f"/api/v1/containers/{name}/metrics/"):
        response = api("GET", path, token=getattr(tokens, token))
        assert response.status_code == 200, response.body
        body = response.body
        assert body["status"] == "ok" and body["range"] == "hour" and body["step"] == 1
        assert len(body["timestamps"]) == 3600 == len(body["series"]["cpu_percent"]) == len(body["max"]["cpu_percent"])
        assert [value for value in body["series"]["cpu_percent"] if value is not None] == [25.0] * 4
        assert body["units"]["net_rx_bytes_per_s"] == "bytes/s"


def store_time(second):
    """Samples a few seconds ago, so that they fall within the hour that ends now."""
    import time  # noqa: PLC0415

    return int(time.time()) - 30 + second


def test_a_container_without_history_answers_all_null(api, users, tokens, fake_container, metrics_dir):
    response = history(api, tokens.bob, fake_container("m"), "?range=year")
    assert response.status_code == 200
    assert response.body["step"] == 21600 and len(response.body["timestamps"]) == 1460
    assert all(value is None for values in response.body["series"].values() for value in values)


def test_an_unknown_container_is_404_and_a_bad_name_400(api, users, tokens, fake_engine, metrics_dir):
    assert_error(history(api, tokens.bob, "nope-x"), 404, "not_found")
    assert_error(history(api, tokens.bob, "bad%20name"), 400, "invalid_name")


@pytest.mark.parametrize("path", ["/api/v1/containers/{name}/metrics", "/api/v1/host/metrics"])
@pytest.mark.parametrize("query", ["?range=decade", "?range=HOUR", "?range="+"x" * 500])
def test_a_bad_range_is_400_naming_the_field(api, users, tokens, fake_container, metrics_dir, path, query):
    response = api("GET", path.format(name=fake_container("m")) + query, token=tokens.bob)
    assert_error(response, 400, "invalid")
    assert "range" in response.body["fields"]


def test_the_host_history_has_the_host_series(api, users, tokens, fake_engine, metrics_dir):
    for second in range(5):
        store.record_host(host(second), store_time(second))
    response = api("GET", "/api/v1/host/metrics?range=day", token=tokens.bob)
    assert response.status_code == 200
    assert response.body["step"] == 60 and response.body["range"] == "day"
    assert set(response.body["series"]) == {"load1", "cpu_percent", "memory_used_bytes", "memory_total_bytes",
                                            "swap_used_bytes", "disk_used_bytes", "disk_total_bytes"}


# ----- GET /metrics ---------------------------------------------------------------------------

def scrape(client, **headers):
    return client.get("/metrics", headers=headers)


def families(response):
    assert response["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    return {family.name: family for family in text_string_to_metric_families(response.content.decode())}


def test_metrics_refuses_anonymous_and_users_without_permission(client, users, tokens, fake_engine):
    anonymous = scrape(client)
    assert anonymous.status_code == 401 and anonymous.json()["code"] == "unauthorized"
    assert anonymous["WWW-Authenticate"].startswith("Bearer")
    assert scrape(client, private_token=tokens.charlie).status_code == 403
    assert scrape(client, authorization="Bearer not-a-token").status_code == 401
    client.force_login(users.charlie)
    assert scrape(client).status_code == 403


def test_metrics_for_a_bearer_token_parse_as_prometheus_text(client, users, tokens, fake_container):
    running, stopped = fake_container("run", start=True), fake_container("stop")
    response = scrape(client, authorization=f"Bearer {tokens.bob}")
    assert response.status_code == 200
    found = families(response)
    states = {sample.labels["name"]: sample.labels["state"] for sample in found["lwp_container_state"].samples}
    assert states == {running: "RUNNING", stopped: "STOPPED"}
    up = {sample.labels["name"]: sample.value for sample in found["lwp_container_running"].samples}
    assert up == {running: 1, stopped: 0}
    cpu = found["lwp_container_cpu_seconds"]  # the parser drops a counter's _total from the family name
    assert cpu.type == "counter"
    assert [(sample.labels, sample.value) for sample in cpu.samples] == [({"name": running}, 1.5)]
    assert found["lwp_host_memory_total_bytes"].samples[0].value == 4 << 30
    for family in ("lwp_container_memory_bytes", "lwp_container_network_receive_bytes",
                   "lwp_container_network_transmit_bytes", "lwp_container_block_read_bytes", "lwp_host_load1",
                   "lwp_host_cpu_busy_seconds", "lwp_host_disk_used_bytes"):
        assert family in found


def test_metrics_for_a_private_token_header_and_a_signed_in_viewer(client, users, tokens, fake_engine):
    assert scrape(client, private_token=tokens.readonly).status_code == 200
    client.force_login(users.bob)
    assert "lwp_host_cpus" in families(scrape(client))
