"""/api/v1/containers/<name>/snapshots[/<snapshot>] and PUT /api/v1/containers/ with clone + snapshot.

Permissions, shapes and refusals on the fake engine; the LXC behaviour (files back after a
restore, a clone with the snapshot's files) on real liblxc at the end.
"""

import os

import pytest

from containers.models import Container
from operations.models import Operation
from testing.api import assert_error
from testing.playground import unique_name

pytestmark = pytest.mark.django_db


def snapshots_path(name, snapshot=None):
    return f"/api/v1/containers/{name}/snapshots" + (f"/{snapshot}" if snapshot else "")


def take(api, token, name, **data):
    return api("POST", snapshots_path(name), token=token, data=data)


def restore(api, token, name, snapshot="snap0", **data):
    return api("POST", snapshots_path(name, snapshot), token=token, data={"action": "restore", **data})


def clone(api, token, source, name, snapshot="snap0", **data):
    return api("PUT", "/api/v1/containers/", token=token, data={"name": name, "clone": source, "snapshot": snapshot,
                                                                 **data})



# ----- list ---------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["bob", "readonly"])
def test_a_viewer_lists_the_snapshots_with_and_without_the_slash(api, users, tokens, fake_container, who):
    name = fake_container("snap", snapshot="first")
    for path in (snapshots_path(name), snapshots_path(name) + "/"):
        response = api("GET", path, token=getattr(tokens, who))
        assert response.status_code == 200, response.body
        assert response.body["status"] == "ok"
        [listed] = response.body["snapshots"]
        assert (listed["name"], listed["comment"], listed["size"]) == ("snap0", "first", None)
        assert listed["created"][:4].isdigit()


def test_listing_is_401_anonymous_403_without_permission_404_for_an_unknown_container(api, users, tokens,
                                                                                      fake_container):
    name = fake_container("snap", snapshot="first")
    assert_error(api("GET", snapshots_path(name)), 401, "unauthorized")
    assert_error(api("GET", snapshots_path(name), token=tokens.charlie), 403, "permission_denied")
    assert_error(api("GET", snapshots_path("snap-nobody"), token=tokens.bob), 404, "not_found")


# ----- the writes: who may ------------------------------------------------------------------

WRITES = {
    "take": ("POST", "", {"comment": "refused"}),
    "restore": ("POST", "/snap0", {"action": "restore", "force": True}),
    "delete": ("DELETE", "/snap0", None),
}


@pytest.mark.parametrize("route", sorted(WRITES))
@pytest.mark.parametrize(("who", "status", "code"), [
    (None, 401, "unauthorized"), ("charlie", 403, "permission_denied"), ("bob", 403, "permission_denied"),
    ("readonly", 403, "permission_denied"),
])
def test_writes_need_the_change_permission_and_a_writing_token(api, users, tokens, fake_container, fake_engine, route,
                                                               who, status, code):
    name = fake_container("snap", snapshot="first", start=True)
    method, suffix, data = WRITES[route]
    response = api(method, snapshots_path(name) + suffix, token=getattr(tokens, who) if who else None, data=data)
    assert_error(response, status, code)
    assert [s.name for s in fake_engine.snapshots(name)] == ["snap0"]
    assert fake_engine.state(name) == "RUNNING"
    assert not Operation.objects.filter(container=name).exists()


@pytest.mark.parametrize(("who", "status", "code"), [
    (None, 401, "unauthorized"), ("dave", 403, "permission_denied"), ("bob", 403, "permission_denied"),
    ("readonly", 403, "permission_denied"),
])
def test_a_clone_from_a_snapshot_needs_the_add_permission(api, users, tokens, fake_container, fake_engine, who,
                                                          status, code):
    source, name = fake_container("snap", snapshot="first"), unique_name("snapclone")
    assert_error(clone(api, getattr(tokens, who) if who else None, source, name), status, code)
    assert not fake_engine.exists(name)


# ----- take ---------------------------------------------------------------------------------


def test_an_operator_takes_a_snapshot_with_a_comment(api, users, tokens, fake_container, fake_engine):
    name = fake_container("snap", snapshot="first")
    response = take(api, tokens.dave, name, comment="before the upgrade")
    assert response.status_code == 200, response.body
    assert response.body["snapshot"]["name"] == "snap1"
    assert response.body["snapshot"]["comment"] == "before the upgrade"
    operation = Operation.objects.get(pk=response.body["operation"])
    assert (operation.kind, operation.container, operation.status) == ("snapshot", name, "succeeded")
    assert [s.name for s in fake_engine.snapshots(name)] == ["snap0", "snap1"]


def test_a_snapshot_without_a_comment_and_asked_async_is_202_with_the_operation(api, users, tokens, fake_container):
    name = fake_container("snap")
    response = api("POST", snapshots_path(name) + "?async=1", token=tokens.dave)
    assert response.status_code == 202, response.body
    assert response["Location"] == f"/api/v1/operations/{response.body['id']}"
    assert response.body["kind"] == "snapshot"


def test_a_running_container_is_409_saying_why_and_nothing_is_queued(api, users, tokens, fake_container, fake_engine):
    name = fake_container("snap", snapshot="first", start=True)
    response = take(api, tokens.dave, name)
    assert_error(response, 409, "invalid_state")
    assert "stop it first" in response.body["error"]
    assert not Operation.objects.filter(kind="snapshot", container=name).exists()
    assert len(fake_engine.snapshots(name)) == 1


@pytest.mark.parametrize(("data", "field"), [
    ({"comment": "x" * 1001}, "comment"), ({"comment": 5}, "comment"), ({"comment": "a\0b"}, "comment"),
    ({"force": True}, "force"),
])
def test_a_bad_comment_or_field_is_400_naming_it(api, users, tokens, fake_container, fake_engine, data, field):
    name = fake_container("snap")
    response = take(api, tokens.dave, name, **data)
    assert response.status_code == 400, response.body
    assert field in response.body["fields"]
    assert fake_engine.snapshots(name) == []


def test_a_snapshot_of_an_unknown_container_is_404(api, users, tokens):
    assert_error(take(api, tokens.dave, "snap-nobody"), 404, "not_found")


# ----- restore ------------------------------------------------------------------------------


def test_a_restore_brings_back_the_snapshots_settings(api, users, tokens, fake_container, fake_engine):
    name = fake_container("snap", snapshot="first")
    fake_engine.update_settings(name, {"start_delay": 9})
    response = restore(api, tokens.dave, name)
    assert response.status_code == 200, response.body
    assert (response.body["name"], response.body["snapshot"]) == (name, "snap0")
    assert Operation.objects.get(pk=response.body["operation"]).kind == "snapshot_restore"
    assert fake_engine.get_settings(name).start_delay == 0


def test_restoring_a_running_container_is_409_unless_forced_which_stops_it(api, users, tokens, fake_container,
                                                                         fake_engine):
    name = fake_container("snap", snapshot="first", start=True)
    refused = restore(api, tokens.dave, name)
    assert_error(refused, 409, "invalid_state")
    assert "forced restore" in refused.body["error"]
    assert not Operation.objects.filter(container=name).exists()
    forced = restore(api, tokens.dave, name, force=True)
    assert forced.status_code == 200, forced.body
    assert fake_engine.state(name) == "STOPPED"


def test_a_restore_asked_async_is_202(api, users, tokens, fake_container):
    name = fake_container("snap", snapshot="first")
    response = api("POST", snapshots_path(name, "snap0"), token=tokens.dave, data={"action": "restore"},
                   headers={"Prefer": "respond-async"})
    assert response.status_code == 202, response.body
    assert response.body["kind"] == "snapshot_restore"


@pytest.mark.parametrize(("snapshot", "data", "status", "code", "field"), [
    ("snap7", {"action": "restore"}, 404, "not_found", None),
    ("latest", {"action": "restore"}, 400, "invalid", "snapshot"),
    ("snap0.", {"action": "restore"}, 400, "invalid", "snapshot"),
    ("snap0", {"action": "rollback"}, 400, "invalid", "action"),
    ("snap0", {}, 400, "invalid", "action"),
    ("snap0", {"action": "restore", "force": "maybe"}, 400, "invalid", "force"),
    ("snap0", {"action": "restore", "clone": "x"}, 400, "invalid", "clone"),
])
def test_an_unknown_snapshot_is_404_and_a_malformed_request_400(api, users, tokens, fake_container, fake_engine,
                                                               snapshot, data, status, code, field):
    name = fake_container("snap", snapshot="first")
    fake_engine.update_settings(name, {"start_delay": 9})
    response = api("POST", snapshots_path(name, snapshot), token=tokens.dave, data=data)
    assert_error(response, status, code)
    if field:
        assert field in response.body["fields"]
    assert fake_engine.get_settings(name).start_delay == 9


def test_restoring_a_snapshot_of_an_unknown_container_is_404(api, users, tokens):
    assert_error(restore(api, tokens.dave, "snap-nobody"), 404, "not_found")


# ----- delete -------------------------------------------------------------------------------


def test_an_operator_deletes_a_snapshot(api, users, tokens, fake_container, fake_engine):
    name = fake_container("snap", snapshot="first")
    response = api("DELETE", snapshots_path(name, "snap0") + "/", token=tokens.dave)
    assert response.status_code == 200, response.body
    assert response.body["status"] == "ok"
    assert Operation.objects.get(pk=response.body["operation"]).kind == "snapshot_delete"
    assert fake_engine.snapshots(name) == []


@pytest.mark.parametrize(("container", "snapshot", "status", "code"), [
    ("{name}", "snap3", 404, "not_found"), ("snap-nobody", "snap0", 404, "not_found"),
    ("{name}", "snap0..", 400, "invalid"),
])
def test_deleting_an_unknown_or_malformed_snapshot_is_refused(api, users, tokens, fake_container, fake_engine,
                                                              container, snapshot, status, code):
    name = fake_container("snap", snapshot="first")
    response = api("DELETE", snapshots_path(container.format(name=name), snapshot), token=tokens.dave)
    assert_error(response, status, code)
    assert [s.name for s in fake_engine.snapshots(name)] == ["snap0"]


# ----- clone from a snapshot ----------------------------------------------------------------


def test_a_clone_from_a_snapshot_of_a_running_container_records_where_it_came_from(api, users, tokens, fake_container,
                                                                                   fake_engine):
    source, name = fake_container("snap", snapshot="first", start=True), unique_name("snapclone")
    response = clone(api, tokens.erin, source, name, description="from the snapshot")
    assert response.status_code == 200, response.body
    assert response.body["name"] == name
    assert fake_engine.state(name) == "STOPPED"
    metadata = Container.objects.get(name=name)
    assert (metadata.clone_of, metadata.clone_source, metadata.clone_snapshot) == (f"{source}@snap0", source,
                                                                                  "snap0")
    assert metadata.created_by == users.erin and metadata.description == "from the snapshot"
    operation = Operation.objects.get(pk=response.body["operation"])
    assert (operation.kind, operation.params["source"], operation.params["snapshot"]) == ("clone", source, "snap0")


@pytest.mark.parametrize(("data", "status", "code", "field"), [
    ({"snapshot": "snap0"}, 400, "invalid", "snapshot"),
    ({"clone": "{source}", "snapshot": "snap5"}, 404, "not_found", None),
    ({"clone": "{source}", "snapshot": "../snap0"}, 400, "invalid", "snapshot"),
    ({"clone": "{source}", "snapshot": "snap0", "store": "dir"}, 400, "invalid", "store"),
    ({"clone": "snap-nobody", "snapshot": "snap0"}, 400, "invalid", "clone"),
    ({"template": "busybox", "snapshot": "snap0"}, 400, "invalid", "snapshot"),
])
def test_a_clone_from_a_bad_snapshot_is_refused_and_makes_nothing(api, users, tokens, fake_container, fake_engine,
                                                                  data, status, code, field):
    source, name = fake_container("snap", snapshot="first"), unique_name("snapclone")
    data = {key: value.format(source=source) for key, value in data.items()}
    response = api("PUT", "/api/v1/containers/", token=tokens.erin, data={"name": name, **data})
    assert_error(response, status, code)
    if field:
        assert field in response.body["fields"]
    assert not fake_engine.exists(name)
    assert not Operation.objects.filter(container=name).exists()


def test_a_clone_from_a_snapshot_onto_a_taken_name_is_409(api, users, tokens, fake_container):
    source, taken = fake_container("snap", snapshot="first"), fake_container("snap", snapshot="first")
    assert_error(clone(api, tokens.erin, source, taken), 409, "exists")


# ----- on real liblxc -----------------------------------------------------------------------


def rootfs_file(lxcpath, name, path):
    return os.path.join(lxcpath, name, "rootfs", path)


def write(path, text):
    with open(path, "w") as fh:
        fh.write(text)


def read(path):
    with open(path) as fh:
        return fh.read()


def test_take_change_a_file_restore_and_the_file_is_back_on_real_lxc(api, users, tokens, make_container, lxcpath,
                                                                      backend):
    name = make_container("asnap")
    marker = rootfs_file(lxcpath, name, "root/marker")
    write(marker, "before")
    taken = take(api, tokens.dave, name, comment="before the change")
    assert taken.status_code == 200, taken.body
    assert api("GET", snapshots_path(name), token=tokens.bob).body["snapshots"] == [taken.body["snapshot"]]
    write(marker, "after")
    assert backend.start(name) == "RUNNING"
    assert_error(take(api, tokens.dave, name), 409, "invalid_state")
    assert_error(restore(api, tokens.dave, name, taken.body["snapshot"]["name"]), 409, "invalid_state")

    restored = restore(api, tokens.dave, name, taken.body["snapshot"]["name"], force=True)

    assert restored.status_code == 200, restored.body
    assert read(marker) == "before"
    assert backend.state(name) == "STOPPED"
    deleted = api("DELETE", snapshots_path(name, taken.body["snapshot"]["name"]), token=tokens.dave)
    assert deleted.status_code == 200, deleted.body
    assert not os.path.lexists(os.path.join(lxcpath, name, "snaps", taken.body["snapshot"]["name"]))


def test_a_clone_from_a_snapshot_has_the_snapshots_content_on_real_lxc(api, users, tokens, make_container, lxcpath,
                                                                        backend):
    source, name = make_container("asrc"), unique_name("aclone")
    marker = rootfs_file(lxcpath, source, "root/marker")
    write(marker, "at the snapshot")
    assert take(api, tokens.dave, source).status_code == 200
    write(marker, "changed since")
    try:
        response = clone(api, tokens.erin, source, name)
        assert response.status_code == 200, response.body
        assert read(rootfs_file(lxcpath, name, "root/marker")) == "at the snapshot"
        assert Container.objects.get(name=name).clone_of == f"{source}@snap0"
        assert_error(clone(api, tokens.erin, source, unique_name("aclone"), snapshot="snap4"), 404, "not_found")
    finally:
        if backend.exists(name):
            backend.destroy(name, force=True)
