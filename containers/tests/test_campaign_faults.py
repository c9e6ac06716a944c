"""Faults campaign, through the API of a live server: what the host does to the app behind its back.

A corrupted config, a container destroyed between list and detail, a template that hangs,
a host without liblxc, a base container with clones: each is a JSON error that says what
happened, never an HTML 500, and the server keeps serving. (The server restarted while its
containers run is test_server_restart.py's.)
"""

import os
import time
from pathlib import Path

import pytest

from containers.models import Container
from containers.tests.campaign_support import (
    call_json, error_shape_problems, live_server, lxc_state, lxcpath_snapshot,
)
from containers.tests.lxc_support import process_gone, write_template
from testing import playground
from testing.api import assert_error

pytestmark = pytest.mark.django_db(transaction=True)

GARBAGE = b"lxc.no.such.key = 1\nthis is not a config line\n\xff\xfe\x00\n"


def assert_json_error(answer, what, statuses=range(400, 600)):
    assert answer.status in statuses, (what, answer.status, answer.raw[:300])
    assert not error_shape_problems(answer), (what, error_shape_problems(answer))


@pytest.fixture
def corrupted(backend, make_container):
    """A container whose config file is garbage; the good one is put back for its clean-up."""
    name = make_container("flt")
    path = os.path.join(backend.lxcpath, name, "config")
    with open(path, "rb") as fh:
        good = fh.read()
    with open(path, "wb") as fh:
        fh.write(GARBAGE)
    yield name
    with open(path, "wb") as fh:
        fh.write(good)


def test_corrupted_config_is_listed_as_broken_and_its_routes_answer_a_json_error_saying_so(
        users, tokens, corrupted, make_container):
    healthy = make_container("flt")
    with live_server() as server:
        listing = call_json(server, "GET", "/api/v1/containers/", token=tokens.alice)
        answers = {
            "detail": call_json(server, "GET", f"/api/v1/containers/{corrupted}", token=tokens.alice),
            "start": call_json(server, "POST", f"/api/v1/containers/{corrupted}", token=tokens.alice,
                               data={"action": "start"}),
            "delete": call_json(server, "DELETE", f"/api/v1/containers/{corrupted}", token=tokens.alice),
            "create over it": call_json(server, "PUT", "/api/v1/containers/", token=tokens.alice,
                                        data={"name": corrupted, "template": "busybox"}),
        }
        healthy_detail = call_json(server, "GET", f"/api/v1/containers/{healthy}", token=tokens.alice)
        log = server.log_text()
    assert listing.status == 200
    states = {row["container"]: row["state"] for row in listing.json}
    assert states[corrupted] == "broken" and states[healthy] == "stopped"
    for what, answer in answers.items():
        assert_json_error(answer, what)
        assert "config" in answer.json["error"] or answer.json["code"] == "exists", (what, answer.json)
    assert answers["create over it"].status == 409
    assert healthy_detail.status == 200 and healthy_detail.json["state"] == "STOPPED"
    assert "Traceback" not in log, log[-3000:]


def test_container_destroyed_behind_the_apps_back_between_list_and_detail_is_a_json_404(
        users, tokens, backend, make_container, lxcpath):
    name = make_container("flt")
    with live_server() as server:
        listing = call_json(server, "GET", "/api/v1/containers/", token=tokens.bob)
        playground.run(["lxc-destroy", "-P", lxcpath, "-n", name])  # the host's own tool, not the app
        detail = call_json(server, "GET", f"/api/v1/containers/{name}", token=tokens.bob)
        action = call_json(server, "POST", f"/api/v1/containers/{name}", token=tokens.alice,
                           data={"action": "start"})
        delete = call_json(server, "DELETE", f"/api/v1/containers/{name}", token=tokens.alice)
        listing_after = call_json(server, "GET", "/api/v1/containers/", token=tokens.bob)
    assert name in {row["container"] for row in listing.json}
    assert_json_error(detail, "detail", [404])
    assert detail.json["code"] == "not_found"
    assert_json_error(action, "action", [409])  # LXC-Web-Panel's status for an unknown container
    assert action.json["code"] == "not_found"
    assert_json_error(delete, "delete", [404])
    assert name not in {row["container"] for row in listing_after.json}
    assert not backend.locks.is_held(name)


def test_hanging_template_through_the_api_is_a_json_504_and_leaves_nothing_behind(
        users, tokens, backend, lxcpath, tmp_path):
    templates = tmp_path / "templates"
    templates.mkdir()
    os.symlink("/usr/share/lxc/templates/lxc-busybox", templates / "lxc-busybox")
    pid_file = tmp_path / "template.pid"
    write_template(templates, "hang", f'echo $$ > "{pid_file}"\nexec sleep 3600\n')
    name = playground.unique_name("hang")
    before = lxcpath_snapshot(lxcpath)
    env = {"LWP_TEMPLATES_DIR": str(templates), "LWP_TEMPLATES": "busybox,hang", "LWP_CREATE_TIMEOUT": "5"}
    with live_server(extra_env=env) as server:
        started = time.monotonic()
        answer = call_json(server, "PUT", "/api/v1/containers/", token=tokens.alice,
                           data={"name": name, "template": "hang"})
        took = time.monotonic() - started
        after = call_json(server, "GET", f"/api/v1/containers/{name}", token=tokens.alice)
    assert_json_error(answer, "create", [504])
    assert answer.json["code"] == "timeout"
    assert 5 <= took < 15
    assert process_gone(int(pid_file.read_text())), "the template survived its deadline"
    assert after.status == 404
    assert lxcpath_snapshot(lxcpath) == before
    assert not Container.objects.filter(name=name).exists()
    assert not backend.locks.is_held(name)


CONTAINER_ROUTES = [("GET", "/api/v1/containers/", None), ("GET", "/api/v1/containers/{name}", None),
                    ("POST", "/api/v1/containers/{name}", {"action": "start"}),
                    ("DELETE", "/api/v1/containers/{name}", None),
                    ("PUT", "/api/v1/containers/", {"name": "no-lxc", "template": "busybox"}),
                    ("GET", "/api/v1/host", None)]


def test_without_liblxc_every_container_route_is_a_json_503_and_the_server_keeps_serving(
        users, tokens, make_container, lxcpath, tmp_path):
    name = make_container("flt")
    shadow = tmp_path / "shadow" / "lxc"
    shadow.mkdir(parents=True)
    # Comes before the system's python3-lxc on sys.path: `import lxc` fails as on a host without it.
    (shadow / "__init__.py").write_text('raise ImportError("no liblxc on this host (test shadow)")\n')
    repo = Path(__file__).resolve().parents[2]
    with live_server(extra_env={"PYTHONPATH": f"{shadow.parent}:{repo}"}) as server:
        answers = [((method, path), call_json(server, method, path.format(name=name), token=tokens.alice,
                                              data=data))
                   for method, path, data in CONTAINER_ROUTES * 2]  # twice: every worker, no crash
        index = call_json(server, "GET", "/api/v1/", token=tokens.alice)
        alive = server.process.poll() is None
        log = server.log_text()
    for what, answer in answers:
        assert_json_error(answer, what, [503])
        assert answer.json["code"] == "lxc_unavailable" and "python3-lxc" in answer.json["error"]
    assert index.status == 200 and alive
    assert "Traceback" not in log, log[-3000:]
    assert lxc_state(lxcpath, name) == "STOPPED"


def test_base_of_a_snapshot_clone_is_a_409_naming_the_clone_not_a_500(api, users, tokens, backend,
                                                                       make_container):
    base = make_container("flt")
    clone = playground.unique_name("flt")
    backend.clone(base, clone, store="overlay")
    try:
        response = api("DELETE", f"/api/v1/containers/{base}", token=tokens.alice)
        assert_error(response, 409, "invalid_state")
        assert clone in response.body["error"]
        assert backend.exists(base)
    finally:
        backend.destroy(clone, force=True)
    assert api("DELETE", f"/api/v1/containers/{base}", token=tokens.alice).status_code == 200
