"""The server (gunicorn, uvicorn workers, lwp/asgi.py) keeps the sync server's guarantees.

On a live server: a body is read as it arrives (an anonymous huge POST is refused at once,
nothing spooled to disk); a request that waits delays no other on its worker, up to
LWP_WORKER_THREADS, then a JSON 503; what the server refuses itself is JSON; the access
line has today's format.
"""

import asyncio
import json
import re
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import pytest

from containers.tests.campaign_support import (
    assert_client_error,
    call,
    live_server,
    raw_request,
)
from containers.tests.test_backend_console import fd_targets
from lwp.asgi import json_server_errors

pytestmark = pytest.mark.django_db(transaction=True)

ACCESS_LINE = re.compile(r'^127\.0\.0\.1 \[\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}\] '
                         r'"GET /api/v1/ HTTP/1\.1" 200 \d+ \d+\.\d{6}s "lwp-test"$', re.MULTILINE)


def open_request(server, head, body_part=b""):
    """A socket that sent a request's head and the start of its body, and goes on no further."""
    host, port = urlsplit(server.url).netloc.split(":")
    sock = socket.create_connection((host, int(port)), timeout=10)
    sock.sendall(head + body_part)
    return sock


def answer_of(sock, timeout):
    """The status line and body the server answered on `sock` within `timeout` seconds."""
    sock.settimeout(timeout)
    data = b""
    while b"\r\n\r\n" not in data or len(data.split(b"\r\n\r\n", 1)[1]) < content_length(data):
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return head.split(b"\r\n")[0].decode(), json.loads(body)


def content_length(data):
    match = re.search(rb"(?im)^content-length: *(\d+)", data)
    return int(match.group(1)) if match else 0


def server_files(server):
    """Every file the server's processes hold open."""
    return [target for pid in server.process_ids() for target in fd_targets(pid)]


def test_an_anonymous_huge_post_is_refused_at_once_and_nothing_is_spooled(tmp_path):
    spool = tmp_path / "tmp"
    spool.mkdir()
    with live_server(workers=1, extra_env={"TMPDIR": str(spool)}) as server:
        head = (b"POST /api/v1/containers/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                b"Content-Length: 200000000\r\n\r\n")
        started = time.monotonic()
        sock = open_request(server, head, b"x" * (1 << 20))  # 1 MiB of 200 MB: the rest never comes
        try:
            status, body = answer_of(sock, timeout=10)
            elapsed = time.monotonic() - started
            held = server_files(server)
        finally:
            sock.close()
    assert status.startswith("HTTP/1.1 401"), status
    assert body["code"] == "unauthorized"
    assert elapsed < 5  # answered before the body came, not after 200 MB
    assert list(spool.iterdir()) == []
    assert not [path for path in held if path.startswith(str(spool)) and "/wgunicorn-" not in path]  # its heartbeat


def waiting_request(server, token):
    """A permitted create whose body stops halfway: its view thread waits for the rest."""
    body = json.dumps({"name": "never-made"}).encode()
    head = (f"PUT /api/v1/containers/ HTTP/1.1\r\nHost: 127.0.0.1\r\nprivate-token: {token}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode()
    return open_request(server, head, body[:5]), body[5:]


def test_a_waiting_request_delays_no_other_on_its_worker_then_503_past_the_bound(tokens):
    with live_server(workers=1, extra_env={"LWP_WORKER_THREADS": "2"}) as server:
        time.sleep(0.5)  # start()'s probe has its thread back
        first, rest = waiting_request(server, tokens.alice)
        try:
            time.sleep(0.5)  # the view reads the body by now
            started = time.monotonic()
            listed = call(server, "GET", "/api/v1/containers/", headers={"private-token": tokens.alice})
            listed_in = time.monotonic() - started
            time.sleep(0.5)  # its thread is back in the pool (it answers a moment before it is)
            second, _ = waiting_request(server, tokens.alice)
            time.sleep(0.5)
            busy = call(server, "GET", "/api/v1/containers/", headers={"private-token": tokens.alice})
            second.close()
            first.sendall(rest)
            status, body = answer_of(first, timeout=10)
        finally:
            first.close()
    assert listed.status == 200 and listed_in < 3
    assert busy.status == 503 and busy.json["code"] == "server_busy", busy.raw
    assert busy.headers["retry-after"] == "1"
    assert status.startswith("HTTP/1.1 400"), (status, body)  # the first read its whole body at last
    assert "template" in body["fields"]  # it saw the whole body: the name, and no template


def test_what_the_server_refuses_itself_is_json_and_logged_without_secrets(tokens):
    with live_server(workers=1) as server:
        garbage = raw_request(server, b"\x16\x03\x01 not http\r\n\r\n")
        long_line = call(server, "GET", f"/api/v1/?private_token={tokens.bob}&pad={'x' * 5000}")
        big_header = call(server, "GET", "/api/v1/", headers={"X-Big": "y" * 9000})
        served = call(server, "GET", "/api/v1/?private_token=" + tokens.bob, headers={"User-Agent": "lwp-test"})
    log = server.log_text()  # stopped: every line is written
    assert_client_error(garbage)
    assert garbage.status == 400 and garbage.json["code"] == "bad_request"
    assert_client_error(long_line)
    assert long_line.status == 414 and long_line.json["code"] == "uri_too_long"
    assert_client_error(big_header)
    assert big_header.status == 431 and big_header.json["code"] == "headers_too_large"
    assert served.status == 200
    assert ACCESS_LINE.search(log), log[-2000:]  # today's format, the path without its query
    assert '"GET /api/v1/ HTTP/1.1" 414' in log
    assert tokens.bob not in log


def test_a_crash_before_any_answer_is_a_json_500():
    sent = []

    async def crashing(scope, receive, send):
        raise RuntimeError("boom")

    async def send(message):
        sent.append(message)

    # A thread of its own: the browser tests' Playwright keeps an event loop running in this one.
    with ThreadPoolExecutor(max_workers=1) as thread:
        thread.submit(asyncio.run, json_server_errors(crashing)({"type": "http", "path": "/x"}, None, send)).result()
    assert sent[0]["status"] == 500
    assert json.loads(sent[1]["body"]) == {"status": "error", "error": "Internal Server Error",
                                           "code": "server_error"}
