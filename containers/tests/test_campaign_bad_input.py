"""Bad-input campaign: hostile names, templates, stores, xargs, bodies and tokens against every route.

Each gets a 4xx in the documented error shape, and nothing changes on disk: the lxcpath
listing (entries, mtimes, config hashes) is the same afterwards, the target container is
still stopped, and no shell ever ran a payload (no marker file appears).
"""

import json
import os
import uuid
from urllib.parse import quote

import pytest

from containers.models import Container
from containers.tests.campaign_support import (
    assert_client_error, call, call_json, error_shape_problems, live_server, lxc_state, lxcpath_snapshot,
    raw_request,
)
from testing.api import assert_error
from tokens.models import Token

pytestmark = pytest.mark.django_db(transaction=True)

MARKER = f"/tmp/lwp-pwn-{uuid.uuid4().hex}"
SHELL_PAYLOADS = [f"x;touch {MARKER}", f"$(touch {MARKER})", f"`touch {MARKER}`", f"x|touch {MARKER}",
                  f"x&&touch {MARKER}", f"x\ntouch {MARKER}"]

HOSTILE_NAMES = [
    "", " ", ".", "..", "../../etc", "../" * 20 + "tmp", "a/b", "/etc/passwd", "-rf", "--help", "-n",
    "web\n", "web\r\n", "a b", "a\tb", "a\x00b", "web.", "*", "?", "%", "~root", "é", "名前", "\u202etxt.exe",
    "x" * 65, "x" * 3000, *SHELL_PAYLOADS,
]
HOSTILE_TEMPLATES = [
    "", "../../../bin/sh", "/bin/sh", "/usr/share/lxc/templates/lxc-busybox", "lxc-busybox", "busybox ",
    " busybox", "BUSYBOX", "busybox\n", "busybox\x00", "../templates/lxc-busybox", "x" * 5000, 5, True, None,
    ["busybox"], {"name": "busybox"}, *SHELL_PAYLOADS,
]
HOSTILE_STORES = [
    "../x", "/", "dir ", "DIR", "btrfs", "zfs", "lvm", "rbd", "overlayfs", "dir;touch /tmp/x", "x" * 5000,
    5, ["dir"], {"dir": 1}, *SHELL_PAYLOADS,
]
HOSTILE_XARGS = [
    ["--rootfs=/"], ["--rootfs", "/"], ["--ro=/"], ["--path=/tmp"], ["--pa", "/tmp"], ["--name=other"],
    ["-p/"], ["-p", "/"], ["-hp/"], ["-n", "other"], ["--mapped-uid=0"], "--rootfs=/", "-p /tmp",
    "'unbalanced", '"unbalanced', "x" * 5000, ["x" * 5000], ["a\x00b"], ["a"] * 100, [1, 2], [None],
    [["nested"]], {"rootfs": "/"}, 5, True,
]
# Bodies as bytes: what a broken or hostile client sends, whatever the Content-Type says.
HOSTILE_BODIES = [
    b"\xff\xfe\xfd", b'{"action": "\xff"}', b'{"name": "\xc3\x28"}', b"\xef\xbb\xbf{}" + b"\xff",
    b"[" * 10000 + b"]" * 10000, b'{"a":' * 10000 + b"1" + b"}" * 10000,
    b"{", b"}", b'{"action": }', b"null", b"[]", b"[1, 2]", b'"start"', b"5", b"true", b"NaN",
    b'{"action": NaN}', b'{"timeout": Infinity, "action": "stop"}', b"\x00" * 100,
    b'{"action": "start"} trailing', b'{"action": "start"}{"action": "stop"}',
    b'{"action": {"$ne": 1}}', b'{"action": ["start"]}', b'{"action": null}', b'{"action": 1e999}',
    b'{"name": 5, "template": []}', b'{"name": null}', b'{"token": 12345678901234567890}',
    b'{"token": ["x"]}', b'{"description": {"a": 1}}', b'{"expires": "yesterday"}',
    json.dumps({"action": "x" * 70000}).encode(),
    b"{" + b'"k": 1, ' * 50000 + b'"action": "start"}',
]
JSON_ONLY = ("application/json",)
FORM_TOO = ("application/json", "application/x-www-form-urlencoded")
HUGE_BODY = b'{"action": "start", "pad": "' + b"x" * (2 * 1024 * 1024) + b'"}'

ROUTES = [
    ("GET", "/api/v1/"), ("GET", "/api/v1/containers/"), ("PUT", "/api/v1/containers/"),
    ("GET", "/api/v1/containers/{name}"), ("POST", "/api/v1/containers/{name}"),
    ("DELETE", "/api/v1/containers/{name}"), ("GET", "/api/v1/templates"), ("GET", "/api/v1/host"),
    ("POST", "/api/v1/tokens"), ("DELETE", "/api/v1/tokens/{token}"), ("GET", "/api/v1/schema/"),
    ("GET", "/api/v1/docs/"),
]
# Header tokens (raw bytes go through raw_request) and query tokens; all refused with a 4xx.
BAD_HEADER_TOKENS = ["", " ", "0" * 32, "short", "x" * 129, "x" * 10240, "é" * 20, "tok en-with-a-space-in",
                     "\x7f" * 20, *SHELL_PAYLOADS]
BAD_QUERY_TOKENS = ["", "%00" * 20, "%FF" * 20, "%C3%A9" * 20, "%ZZ" * 20, "x" * 10240, "0" * 32,
                    quote(SHELL_PAYLOADS[0], safe="")]


@pytest.fixture
def playground(users, tokens, make_container, lxcpath):
    """A stopped container as the target, a live server, and the disk as it was before."""
    name = make_container("bad")
    with live_server(workers=2) as server:
        before = lxcpath_snapshot(lxcpath)
        rows = (Container.objects.count(), Token.objects.count())
        yield server, name
        log = server.log_text()
    assert lxcpath_snapshot(lxcpath) == before, "the lxcpath changed"
    assert (Container.objects.count(), Token.objects.count()) == rows
    assert lxc_state(lxcpath, name) == "STOPPED"
    assert not os.path.exists(MARKER), "a payload ran in a shell"
    assert "Traceback" not in log, log[-3000:]


def path_for(template, name="x", token="0" * 32):
    return template.format(name=quote(name, safe=""), token=quote(token, safe=""))


def refusals(answers):
    """(what, status, problems) for every answer that is not a 4xx in the error shape."""
    bad = []
    for what, answer in answers:
        problems = error_shape_problems(answer)
        if not 400 <= answer.status < 500 or problems:
            bad.append((what, answer.status, problems, answer.raw[:200]))
    return bad


def test_hostile_names_are_refused_with_a_4xx_on_every_container_route(playground, tokens):
    server, _ = playground
    answers = []
    for name in HOSTILE_NAMES:
        for method in ("GET", "POST", "DELETE") if name else ():  # "" would be the list's route
            answers.append(((method, name), call_json(server, method, path_for("/api/v1/containers/{name}", name),
                                                      token=tokens.alice, data={"action": "start"})))
        answers.append((("create", name), call_json(server, "PUT", "/api/v1/containers/", token=tokens.alice,
                                                    data={"name": name, "template": "busybox"})))
        answers.append((("clone", name), call_json(server, "PUT", "/api/v1/containers/", token=tokens.alice,
                                                   data={"name": "bad-clone", "clone": name})))
    assert not refusals(answers)
    for (what, name), answer in answers:
        if what in ("create", "clone"):
            assert answer.status == 400 and set(answer.json["fields"]) & {"name", "clone"}, (what, name)


@pytest.mark.parametrize(("field", "values"), [("template", HOSTILE_TEMPLATES), ("store", HOSTILE_STORES),
                                               ("xargs", HOSTILE_XARGS)])
def test_hostile_templates_stores_and_xargs_are_400_naming_the_field(playground, tokens, field, values):
    server, _ = playground
    answers = []
    for value in values:
        data = {"name": "bad-create", "template": "busybox", field: value}
        answers.append((value, call_json(server, "PUT", "/api/v1/containers/", token=tokens.alice, data=data)))
        if field == "store":
            clone = {"name": "bad-clone", "clone": playground[1], "store": value}
            answers.append((value, call_json(server, "PUT", "/api/v1/containers/", token=tokens.alice, data=clone)))
    assert not refusals(answers)
    for value, answer in answers:
        assert answer.status == 400 and field in answer.json.get("fields", {}), (value, answer.json)


def test_hostile_bodies_are_400_on_every_route_that_reads_one(playground, tokens):
    server, name = playground
    # POST /tokens takes an empty form (the server generates the token): bodies go to it as JSON only.
    targets = [("POST", f"/api/v1/containers/{name}", FORM_TOO), ("PUT", "/api/v1/containers/", FORM_TOO),
               ("POST", "/api/v1/tokens", JSON_ONLY)]
    answers = []
    for method, path, content_types in targets:
        for body in HOSTILE_BODIES:
            for content_type in content_types:
                answer = call(server, method, path, body=body,
                              headers={"private-token": tokens.alice, "Content-Type": content_type})
                answers.append(((method, path, body[:40], content_type), answer))
    assert not refusals(answers)
    assert all(answer.status == 400 for _, answer in answers), [
        (what, answer.status) for what, answer in answers if answer.status != 400]


def test_a_two_megabyte_body_is_refused_with_a_json_413_or_400(playground, tokens):
    server, name = playground
    for method, path in [("POST", f"/api/v1/containers/{name}"), ("PUT", "/api/v1/containers/"),
                         ("POST", "/api/v1/tokens")]:
        answer = call(server, method, path, body=HUGE_BODY, headers={"private-token": tokens.alice})
        assert_client_error(answer, path)
        assert answer.status in (400, 413)


def test_bad_tokens_in_the_header_or_query_are_refused_on_every_route(playground, tokens):
    server, name = playground
    answers = []
    for method, template in ROUTES:
        path = path_for(template, name)
        for token in BAD_HEADER_TOKENS:
            request = (f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n"
                       f"Connection: close\r\n").encode() + b"private-token: " + token.encode() + b"\r\n\r\n"
            answers.append(((method, path, "header", token[:20]), raw_request(server, request)))
        for token in BAD_QUERY_TOKENS:
            answers.append(((method, path, "query", token[:20]),
                            call(server, method, f"{path}?private_token={token}")))
        answers.append(((method, path, "bearer"),
                        call(server, method, path, headers={"Authorization": "Bearer " + "y" * 10240})))
    assert not refusals(answers)
    # 401; or the server's own JSON 400/414/431 for bytes that break HTTP or its size limits.
    wrong = [(what, answer.status) for what, answer in answers if answer.status not in (401, 414, 431)
             and not (answer.status == 400 and answer.json["code"] == "bad_request")]
    assert not wrong


def test_invalid_utf8_and_control_bytes_in_the_request_line_are_4xx(playground, tokens):
    server, name = playground
    for path in (b"/api/v1/containers/\xff\xfe", b"/api/v1/containers/\xc3\x28", b"/api/v1/containers/%ff",
                 b"/api/v1/containers/%00", b"/api/v1/tokens/\xff" * 3, b"/api/v1/containers/" + b"\x01"):
        request = (b"GET " + path + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                   b"private-token: " + tokens.alice.encode() + b"\r\n\r\n")
        assert_client_error(raw_request(server, request), path)


# ----- regressions of what the campaign found (in-process: fast) ------------------------------


@pytest.mark.parametrize(("method", "path", "data", "field"), [
    ("POST", "/api/v1/tokens", {"readonly": True}, "readonly"),  # would have minted a writing token
    ("POST", "/api/v1/containers/c1", {"action": "stop", "forse": True}, "forse"),
    ("PUT", "/api/v1/containers/", {"name": "c1", "template": "busybox", "args": ["-x"]}, "args"),
])
def test_a_misspelled_field_is_400_naming_it_rather_than_silently_ignored(api, users, tokens, method, path,
                                                                           data, field):
    response = api(method, path, token=tokens.alice, data=data)
    assert_error(response, 400, "invalid")
    assert field in response.body["fields"]
    assert Token.objects.count() == 6


@pytest.mark.parametrize(("path", "data", "field"), [
    ("/api/v1/tokens", {"token": 12345678901234567890}, "token"),
    ("/api/v1/containers/", {"name": 5, "template": "busybox"}, "name"),
    ("/api/v1/containers/", {"name": "c1", "clone": 7}, "clone"),
])
def test_a_number_where_text_is_expected_is_400_not_turned_into_text(api, users, tokens, path, data, field):
    method = "POST" if "tokens" in path else "PUT"
    response = api(method, path, token=tokens.alice, data=data)
    assert_error(response, 400, "invalid")
    assert field in response.body["fields"]
