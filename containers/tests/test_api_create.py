"""PUT /api/v1/containers/ with name and template or clone: creates, answers once it exists."""

import os

import pytest

from containers.models import Container
from testing.api import assert_error
from testing.playground import unique_name

pytestmark = pytest.mark.django_db


@pytest.fixture
def new_name(backend):
    """A fresh name, destroyed after the test if the test made it."""
    name = unique_name("new")
    yield name
    if backend.exists(name):
        backend.destroy(name, force=True)


def create(api, token, **data):
    return api("PUT", "/api/v1/containers/", token=token, data=data)


def states(api, token):
    return {entry["container"]: entry["state"] for entry in api("GET", "/api/v1/containers", token=token).body}


@pytest.mark.parametrize("xargs", [None, "", []])
def test_container_from_a_template_exists_when_answered(api, users, tokens, new_name, xargs):
    data = {"name": new_name, "template": "busybox", **({"xargs": xargs} if xargs is not None else {})}
    response = create(api, tokens.erin, **data)
    assert response.status_code == 200, response.body
    assert (response.body["status"], response.body["name"]) == ("ok", new_name)
    assert states(api, tokens.erin)[new_name] == "stopped"
    assert Container.objects.get(name=new_name).created_by == users.erin


def test_clone_of_a_stopped_container_exists_when_answered(api, users, tokens, make_container, new_name, backend):
    source = make_container("src")
    response = api("PUT", "/api/v1/containers", token=tokens.erin, data={"name": new_name, "clone": source})
    assert response.status_code == 200, response.body
    assert states(api, tokens.erin)[new_name] == "stopped"
    assert Container.objects.get(name=new_name).clone_of == source


def test_clone_with_a_store_the_host_lacks_is_400_naming_store(api, users, tokens, make_container, new_name):
    source = make_container("src")
    response = create(api, tokens.erin, name=new_name, clone=source, store="zfs-that-is-not-here")
    assert_error(response, 400, "invalid")
    assert "store" in response.body["fields"]


@pytest.mark.parametrize(("data", "field"), [
    ({"template": "busybox"}, "name"),
    ({"name": ""}, "name"),
    ({"name": "bad name"}, "name"),
    ({"name": "x" * 65, "template": "busybox"}, "name"),
    ({"name": ["list"], "template": "busybox"}, "name"),
    ({"name": "{new}"}, "template"),
    ({"name": "{new}", "template": "busybox", "clone": "other"}, "clone"),
    ({"name": "{new}", "template": "no-such-template"}, "template"),
    ({"name": "{new}", "template": "busybox", "store": "no-such-store"}, "store"),
    ({"name": "{new}", "clone": "no-such-container"}, "clone"),
    ({"name": "{new}", "template": "busybox", "xargs": {"a": 1}}, "xargs"),
    ({"name": "{new}", "template": "busybox", "xargs": [1, 2]}, "xargs"),
    ({"name": "{new}", "template": "busybox", "xargs": "unbalanced 'quote"}, "xargs"),
    ({"name": "{new}", "clone": "x", "xargs": "-a"}, "xargs"),
])
def test_bad_request_is_400_naming_the_field_and_creates_nothing(api, users, tokens, new_name, data, field):
    data = {key: value.replace("{new}", new_name) if isinstance(value, str) else value
            for key, value in data.items()}
    response = create(api, tokens.erin, **data)
    assert response.status_code == 400, response.body
    assert response.body["code"] in ("invalid", "invalid_name")
    assert field in response.body["fields"]
    assert new_name not in states(api, tokens.erin)


def test_name_already_taken_is_409(api, users, tokens, make_container):
    taken = make_container("taken")
    assert_error(create(api, tokens.erin, name=taken, template="busybox"), 409, "exists")


def test_failing_template_answers_with_its_output_and_leaves_nothing(api, users, tokens, new_name, lxcpath,
                                                                     settings):
    # A superuser may hand free arguments to a template LWP does not vet (local): here, a bad one.
    settings.LWP_TEMPLATES = ["busybox", "local"]
    response = create(api, tokens.alice, name=new_name, template="local", xargs="--no-such-option")
    assert response.status_code == 422, response.body
    assert response.body["code"] == "template_failed"
    assert "no-such-option" in response.body["output"]
    assert new_name not in states(api, tokens.erin)
    assert not os.path.lexists(os.path.join(lxcpath, new_name))


@pytest.mark.parametrize("who", ["dave", "bob", "charlie", "readonly"])
def test_caller_without_add_permission_is_403_and_nothing_is_created(api, users, tokens, new_name, who):
    response = create(api, getattr(tokens, who), name=new_name, template="busybox")
    assert_error(response, 403, "permission_denied")
    assert new_name not in states(api, tokens.alice)
