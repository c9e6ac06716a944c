"""Fixtures for the API tests: users with and without permission, their tokens, API callers.

Registered for the whole suite by `pytest_plugins` in the root conftest.py.

- alice: superuser;            erin: "administrators" (view, change, add, delete)
- dave:  "operators" (view, change);   bob: "viewers" (view);   charlie: no permission
"""

import contextlib
import json
import subprocess
from types import SimpleNamespace

import pytest

from containers.groups import GROUPS, OPERATIONS_GROUPS
from tokens.models import Token

CURL_TIMEOUT = 120


def ensure_group(name):
    """The group as the data migration makes it (transactional tests flush the migration's rows)."""
    from django.contrib.auth.models import Group, Permission  # noqa: PLC0415

    group, _ = Group.objects.get_or_create(name=name)
    group.permissions.set([
        *Permission.objects.filter(content_type__app_label="containers", codename__in=GROUPS[name]),
        *Permission.objects.filter(content_type__app_label="operations",
                                   codename__in=OPERATIONS_GROUPS.get(name, ())),
    ])
    return group


@pytest.fixture
def users(django_user_model):
    def member(username, group):
        user = django_user_model.objects.create_user(username, password="pw-" + username)
        if group:
            user.groups.add(ensure_group(group))
        return user

    alice = django_user_model.objects.create_superuser("alice", password="pw-alice")
    return SimpleNamespace(alice=alice, erin=member("erin", "administrators"), dave=member("dave", "operators"),
                           bob=member("bob", "viewers"), charlie=member("charlie", None))


@pytest.fixture
def make_token():
    """Factory: a usable raw token for `user` (keyword arguments go to Token.issue)."""

    def make(user, **kwargs):
        return Token.issue(user=user, **kwargs)[1]

    return make


@pytest.fixture
def tokens(users, make_token):
    """A token per user, plus alice's read-only one."""
    made = {name: make_token(getattr(users, name), description=name)
            for name in ("alice", "erin", "dave", "bob", "charlie")}
    made["readonly"] = make_token(users.alice, description="alice read-only", read_only=True)
    return SimpleNamespace(**made)


class ApiCaller:
    """Calls the API in-process (Django's test client) and decodes the JSON it must answer."""

    def __init__(self, client):
        self.client = client

    def __call__(self, method, path, *, token=None, data=None, body=None, content_type="application/json",
                 headers=None):
        headers = dict(headers or {})
        if token is not None:
            headers["private-token"] = token
        if body is None and data is not None:
            body = json.dumps(data)
        response = self.client.generic(method, path, data=body or b"", content_type=content_type,
                                       headers=headers)
        assert response["Content-Type"].startswith("application/json"), (
            f"{method} {path}: {response.status_code} {response['Content-Type']}: {response.content[:300]!r}")
        response.body = response.json()
        return response


@pytest.fixture
def api(client):
    return ApiCaller(client)


def assert_error(response, status, code):
    """The one error shape of the API, with this status and machine code."""
    assert response.status_code == status, (response.status_code, response.body)
    assert response.body["status"] == "error"
    assert response.body["code"] == code, response.body
    assert isinstance(response.body["error"], str) and response.body["error"]


def curl(*args, timeout=CURL_TIMEOUT):
    """Run curl with an argv list (never a shell); returns (status, parsed JSON body, headers text)."""
    result = subprocess.run(
        ["curl", "--silent", "--show-error", "--max-time", str(timeout), "--dump-header", "/dev/stderr",
         "--noproxy", "*", *args],
        capture_output=True, text=True, timeout=timeout + 10, check=True)
    status = int(result.stderr.split()[1])
    body = json.loads(result.stdout) if result.stdout else None
    return SimpleNamespace(status=status, body=body, headers=result.stderr.lower())


@contextlib.contextmanager
def scratch_container(backend, bridge, prefix, *, start=False):
    """A busybox container on the test bridge for a whole module (make_container is per test)."""
    from testing.playground import unique_name  # noqa: PLC0415

    name = unique_name(prefix)
    backend.create(name, template="busybox")
    try:
        backend.update_settings(name, {"network_link": bridge.name})
        if start:
            backend.start(name)
        yield name
    finally:
        if backend.exists(name):
            backend.destroy(name, force=True)
