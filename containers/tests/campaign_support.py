"""Shared by the robustness campaigns: raw HTTP to a live server, error shape, lxcpath snapshots."""

import contextlib
import hashlib
import http.client
import json
import os
from types import SimpleNamespace
from urllib.parse import urlsplit

from testing import playground

HTTP_TIMEOUT = 120
# Every state python3-lxc can report; a client may expect to find a container at rest in these.
SETTLED_STATES = {"STOPPED", "RUNNING", "FROZEN"}
ALL_STATES = SETTLED_STATES | {"STARTING", "STOPPING", "ABORTING", "FREEZING", "THAWED"}


@contextlib.contextmanager
def live_server(**kwargs):
    """A gunicorn server on the test database, stopped at the end whatever happened."""
    server = playground.LiveServer(**kwargs)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def call(server, method, path, *, body=b"", headers=None, timeout=HTTP_TIMEOUT):
    """One request with http.client (raw bytes, no client-side cleaning); the decoded answer.

    Returns status, headers, raw body, and `json` (None when the body is not JSON).
    """
    netloc = urlsplit(server.url).netloc
    host, port = netloc.split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=timeout)
    try:
        if isinstance(body, str):
            body = body.encode()
        sent = {"Content-Type": "application/json", **(headers or {})}
        connection.putrequest(method, path, skip_accept_encoding=True,
                              skip_host="host" in {name.lower() for name in sent})
        for name, value in sent.items():
            connection.putheader(name, value)
        connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body)
        response = connection.getresponse()
        raw = response.read()
        answer_headers = {name.lower(): value for name, value in response.getheaders()}
    finally:
        connection.close()
    try:
        decoded = json.loads(raw)
    except ValueError:
        decoded = None
    return SimpleNamespace(status=response.status, headers=answer_headers, raw=raw, json=decoded)


def call_json(server, method, path, *, token=None, data=None, headers=None, **kwargs):
    headers = dict(headers or {})
    if token is not None:
        headers["private-token"] = token
    body = json.dumps(data).encode() if data is not None else b""
    return call(server, method, path, body=body, headers=headers, **kwargs)


def error_shape_problems(answer):
    """What is wrong with an error answer's shape ([] when it is the documented one)."""
    problems = []
    if not answer.headers.get("content-type", "").startswith("application/json"):
        problems.append(f"content type {answer.headers.get('content-type')!r}")
    body = answer.json
    if not isinstance(body, dict):
        return [*problems, f"body is not a JSON object: {answer.raw[:200]!r}"]
    if body.get("status") != "error":
        problems.append(f"status is {body.get('status')!r}")
    if not isinstance(body.get("error"), str) or not body["error"]:
        problems.append(f"error is {body.get('error')!r}")
    if not isinstance(body.get("code"), str) or not body["code"]:
        problems.append(f"code is {body.get('code')!r}")
    if "fields" in body and not (isinstance(body["fields"], dict)
                                 and all(isinstance(v, str) for v in body["fields"].values())):
        problems.append(f"fields is {body['fields']!r}")
    extra = set(body) - {"status", "error", "code", "fields", "output"}
    if extra:
        problems.append(f"unexpected keys {sorted(extra)}")
    return problems


def assert_client_error(answer, what=""):
    """A 4xx in the one documented error shape."""
    assert 400 <= answer.status < 500, (what, answer.status, answer.raw[:300])
    assert not error_shape_problems(answer), (what, error_shape_problems(answer))


def lxcpath_snapshot(lxcpath):
    """Every entry under the lxcpath (two levels) with its mtime, plus each config file's hash.

    Two levels: a container's directory and its config/rootfs entries; deeper changes in a
    rootfs are the container's own business.
    """
    snapshot = {}
    if not os.path.isdir(lxcpath):
        return snapshot
    for entry in sorted(os.listdir(lxcpath)):
        path = os.path.join(lxcpath, entry)
        snapshot[entry] = os.lstat(path).st_mtime_ns
        if os.path.isdir(path) and not os.path.islink(path):
            for inner in sorted(os.listdir(path)):
                inner_path = os.path.join(path, inner)
                snapshot[f"{entry}/{inner}"] = os.lstat(inner_path).st_mtime_ns
            config = os.path.join(path, "config")
            if os.path.isfile(config):
                with open(config, "rb") as fh:
                    snapshot[f"{entry}/config#sha256"] = hashlib.sha256(fh.read()).hexdigest()
    return snapshot


def lxc_state(lxcpath, name):
    """The state as `lxc-info -s` reports it (the reference, not our backend)."""
    out = playground.run(["lxc-info", "-P", lxcpath, "-n", name, "-s"]).stdout
    return out.split(":", 1)[1].strip()


def raw_request(server, data, timeout=HTTP_TIMEOUT):
    """Send bytes as they are (a request line or header http.client would refuse); the answer."""
    import socket  # noqa: PLC0415

    host, port = urlsplit(server.url).netloc.split(":")
    with socket.create_connection((host, int(port)), timeout=timeout) as sock:
        sock.sendall(data)
        response = http.client.HTTPResponse(sock)
        response.begin()
        raw = response.read()
        answer_headers = {name.lower(): value for name, value in response.getheaders()}
    try:
        decoded = json.loads(raw)
    except ValueError:
        decoded = None
    return SimpleNamespace(status=response.status, headers=answer_headers, raw=raw, json=decoded)
