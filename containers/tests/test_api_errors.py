"""The API's one error shape, whatever goes wrong: never HTML, never a 500 for bad input."""

import json
import re

import pytest
from django.test import Client

from testing.api import assert_error

pytestmark = pytest.mark.django_db


def test_unknown_api_route_is_a_json_404(api, users, tokens):
    for path in ("/api/v1/nothing-here", "/api/v2/containers", "/api/"):
        assert_error(api("GET", path, token=tokens.alice), 404, "not_found")


def test_method_a_route_does_not_have_is_a_json_405(api, users, tokens):
    assert_error(api("PATCH", "/api/v1/containers/", token=tokens.alice), 405, "method_not_allowed")


def test_html_panel_pages_keep_html_error_pages(users):
    response = Client().get("/no-such-page-at-all")
    assert response.status_code == 404
    assert not response["Content-Type"].startswith("application/json")


def test_answer_is_json_whatever_the_client_accepts(api, users, tokens):
    response = api("GET", "/api/v1/containers/", token=tokens.bob, headers={"Accept": "text/html"})
    assert response.status_code == 200 and isinstance(response.body, list)


def test_request_for_a_host_not_allowed_gets_a_json_400(api, users, tokens):
    response = api("GET", "/api/v1/", token=tokens.bob, headers={"Host": "evil.example"})
    assert_error(response, 400, "bad_request")


@pytest.mark.parametrize("body", [
    b'{"action": "\xff\xfe"}',                        # not UTF-8
    b"[" * 20000 + b"]" * 20000,                      # nested beyond any parser's patience
    b'{"action": "' + b"x" * 70000 + b'"}',           # larger than any request needs
    b"\x00\x01\x02",
])
def test_hostile_bodies_are_400_never_500(api, users, tokens, body):
    response = api("POST", "/api/v1/containers/whatever", token=tokens.dave, body=body)
    assert_error(response, 400, "parse_error")


def test_too_many_form_fields_is_400(api, users, tokens):
    response = api("POST", "/api/v1/containers/whatever", token=tokens.dave, body="a=1&" * 2000,
                   content_type="application/x-www-form-urlencoded")
    assert_error(response, 400, "parse_error")


def test_validation_error_lists_each_field_in_fields(api, users, tokens):
    response = api("PUT", "/api/v1/containers/", token=tokens.alice, data={"store": ["dir"]})
    assert_error(response, 400, "invalid")
    assert set(response.body["fields"]) >= {"name", "store"}
    assert all(isinstance(message, str) for message in response.body["fields"].values())


@pytest.mark.parametrize("path", ["/api/v1/", "/api/v1"])
def test_index_tells_the_version_and_what_the_server_supports(api, users, tokens, path):
    body = api("GET", path, token=tokens.bob).body
    assert body["status"] == "ok" and body["api_version"] == "1"
    assert body["actions"] == ["start", "stop", "freeze", "unfreeze", "restart"]
    assert body["links"]["containers"].endswith("/api/v1/containers/")
    assert body["links"]["backups"].endswith("/api/v1/backups")


def test_templates_route_lists_what_the_host_has(api, users, tokens):
    body = api("GET", "/api/v1/templates", token=tokens.bob).body
    assert "busybox" in body["templates"] and "dir" in body["stores"]
    assert_error(api("GET", "/api/v1/templates/", token=tokens.charlie), 403, "permission_denied")


def test_host_route_reports_the_host(api, users, tokens, lxcpath):
    body = api("GET", "/api/v1/host/", token=tokens.readonly).body
    assert body["lxcpath"] == lxcpath and body["cpus"] >= 1 and body["lxc_version"].startswith("5")
    assert_error(api("GET", "/api/v1/host", token=tokens.charlie), 403, "permission_denied")


def test_schema_describes_every_route_in_its_documented_form(client, users, tokens):
    response = client.get("/api/v1/schema/", headers={"private-token": tokens.bob})
    assert response.status_code == 200 and response["Content-Type"].startswith("application/json")
    schema = json.loads(response.content)
    assert schema["openapi"].startswith("3.")
    operations = {(method.upper(), path) for path, item in schema["paths"].items() for method in item}
    assert operations == {
        ("GET", "/api/v1/"), ("GET", "/api/v1/containers/"), ("PUT", "/api/v1/containers/"),
        ("GET", "/api/v1/containers/{name}"), ("POST", "/api/v1/containers/{name}"),
        ("DELETE", "/api/v1/containers/{name}"), ("POST", "/api/v1/tokens"),
        ("DELETE", "/api/v1/tokens/{token}"), ("GET", "/api/v1/templates"), ("GET", "/api/v1/host"),
        ("GET", "/api/v1/containers/{name}/settings"), ("PATCH", "/api/v1/containers/{name}/settings"),
        ("GET", "/api/v1/operations"), ("GET", "/api/v1/operations/{operation_id}"),
        ("DELETE", "/api/v1/operations/{operation_id}"), ("GET", "/api/v1/events"),
        ("GET", "/api/v1/containers/{name}/backups"), ("POST", "/api/v1/containers/{name}/backups"),
        ("GET", "/api/v1/containers/{name}/backups/{backup_id}"),
        ("DELETE", "/api/v1/containers/{name}/backups/{backup_id}"),
        ("GET", "/api/v1/containers/{name}/backups/{backup_id}/download"),
        ("GET", "/api/v1/containers/{name}/backup-schedule"), ("PUT", "/api/v1/containers/{name}/backup-schedule"),
        ("GET", "/api/v1/backups"), ("POST", "/api/v1/backups/import"),
        ("GET", "/api/v1/containers/{name}/snapshots"), ("POST", "/api/v1/containers/{name}/snapshots"),
        ("POST", "/api/v1/containers/{name}/snapshots/{snapshot}"),
        ("DELETE", "/api/v1/containers/{name}/snapshots/{snapshot}"),
        ("POST", "/api/v1/containers/{name}/console"),
        ("GET", "/api/v1/containers/{name}/metrics"), ("GET", "/api/v1/host/metrics"),
    }
    assert set(schema["components"]["schemas"]["ActionEnum"]["enum"]) == {
        "start", "stop", "freeze", "unfreeze", "restart"}
    assert {"privateTokenHeader", "privateTokenQuery", "bearerToken"} <= set(
        schema["components"]["securitySchemes"])
    assert "409" in schema["paths"]["/api/v1/containers/{name}"]["post"]["responses"]


def test_docs_are_served_without_any_cdn(client, users, tokens):
    response = client.get("/api/v1/docs/", headers={"private-token": tokens.bob})
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger" in html.lower()
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)
    assets = re.findall(r"""(?:src|href)=["']([^"']+\.(?:js|css|png))""", html)
    assert assets and all(asset.startswith("/static/") for asset in assets)
    for asset in assets:
        assert client.get(asset).status_code == 200, asset  # served here, from drf_spectacular_sidecar
