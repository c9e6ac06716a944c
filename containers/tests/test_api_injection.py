"""Shell and path injection through the API: refused, or handed over as plain arguments.

Every payload tries to create a marker file (`touch`) or to point LXC outside the
lxcpath (`../`, `--rootfs=`). The proof that nothing ran is that no file whose
name carries this run's unique marker exists anywhere we look afterwards.
"""

import os
import uuid
from urllib.parse import quote

import pytest

from testing.api import assert_error

pytestmark = pytest.mark.django_db

MARK = f"lwp-pwn-{uuid.uuid4().hex[:10]}"
MARKER = f"/tmp/{MARK}"
SHELL_PAYLOADS = [f"x;touch {MARKER}", f"$(touch {MARKER})", f"`touch {MARKER}`", f"x\ntouch {MARKER}",
                  f"x && touch {MARKER}", f"x | touch {MARKER}"]
PATH_PAYLOADS = [f"../../../../tmp/{MARK}", f"../{MARK}", f"/tmp/{MARK}"]


def traces(lxcpath):
    """Every file or directory named after the marker where a payload could have put one."""
    roots = ["/", "/tmp", "/var/lib/lxc", "/usr/share/lxc/templates", os.getcwd(),
             os.path.dirname(lxcpath), os.path.dirname(os.path.dirname(lxcpath))]
    found = [os.path.join(root, entry) for root in roots if os.path.isdir(root)
             for entry in os.listdir(root) if MARK in entry]
    for directory, subdirs, files in os.walk(os.path.dirname(lxcpath)):
        found += [os.path.join(directory, entry) for entry in subdirs + files if MARK in entry]
    return found


@pytest.fixture
def untouched(lxcpath, backend):
    """After the test: no marker anywhere, and the lxcpath holds only what was there or was made."""
    before = set(os.listdir(lxcpath))
    made = []
    yield made
    for name in made:
        if backend.exists(name):
            backend.destroy(name, force=True)
    assert not os.path.lexists(MARKER)
    assert traces(lxcpath) == []
    assert set(os.listdir(lxcpath)) <= before | set(made)


def put(api, token, **data):
    return api("PUT", "/api/v1/containers/", token=token, data=data)


@pytest.mark.parametrize("name", SHELL_PAYLOADS + PATH_PAYLOADS + ["..", ".", "-rf"])
def test_hostile_container_names_are_400(api, users, tokens, untouched, name):
    response = put(api, tokens.alice, name=name, template="busybox")
    assert_error(response, 400, "invalid")
    assert "name" in response.body["fields"]


@pytest.mark.parametrize("name", SHELL_PAYLOADS + ["..", "-rf"])
def test_hostile_names_in_urls_are_refused(api, users, tokens, untouched, name):
    path = f"/api/v1/containers/{quote(name, safe='')}"
    for method, data in [("POST", {"action": "start"}), ("DELETE", None), ("GET", None)]:
        response = api(method, path, token=tokens.alice, data=data)
        assert 400 <= response.status_code < 500 and response.body["status"] == "error", (method, response.body)


@pytest.mark.parametrize("template", SHELL_PAYLOADS + PATH_PAYLOADS + ["../templates/lxc-busybox", "lxc-busybox"])
def test_hostile_templates_are_400(api, users, tokens, untouched, template):
    response = put(api, tokens.alice, name="inj-template", template=template)
    assert_error(response, 400, "invalid")
    assert "template" in response.body["fields"]


@pytest.mark.parametrize("store", SHELL_PAYLOADS + PATH_PAYLOADS + ["dir "])
def test_hostile_stores_are_400(api, users, tokens, untouched, store):
    response = put(api, tokens.alice, name="inj-store", template="busybox", store=store)
    assert_error(response, 400, "invalid")
    assert "store" in response.body["fields"]


@pytest.mark.parametrize("xargs", [
    f"; touch {MARKER}", f"$(touch {MARKER})", f"`touch {MARKER}`", f"x\ntouch {MARKER}",
    [f"$(touch {MARKER})"], [";", "touch", MARKER], [f"x\ntouch {MARKER}"], [f"../../{MARK}"],
])
def test_shell_syntax_in_xargs_is_400_and_runs_nothing(api, users, tokens, untouched, xargs):
    name = f"inj-{uuid.uuid4().hex[:8]}"
    untouched.append(name)
    response = put(api, tokens.alice, name=name, template="busybox", xargs=xargs)
    # busybox takes no arguments here, not even from a superuser: nothing reaches the template.
    assert_error(response, 400, "invalid")
    assert "xargs" in response.body["fields"]


@pytest.mark.parametrize("xargs", [
    f"--rootfs=../../../{MARK}", f"--rootfs /tmp/{MARK}", f"--path=/tmp/{MARK}", f"--pa /tmp/{MARK}",
    f"--ro=/tmp/{MARK}", f"-p /tmp/{MARK}", f"-hp/tmp/{MARK}", f"--name=../{MARK}", ["--mapped-uid", "0"],
])
def test_xargs_that_would_move_the_container_out_of_the_lxcpath_are_400(api, users, tokens, untouched, xargs):
    response = put(api, tokens.alice, name="inj-options", template="busybox", xargs=xargs)
    assert_error(response, 400, "invalid")
    assert "xargs" in response.body["fields"]
