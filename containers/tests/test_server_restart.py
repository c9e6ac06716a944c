"""A container started from a server process never keeps the server's listening socket.

start() forks from the web process; if the container's monitor inherited the
listening socket, stopping the panel would leave its port taken and a restart
would fail. Proven with a bare server process and with the real gunicorn + API.
"""

import glob
import json
import os
import socket
import urllib.request

import pytest

from containers.tests.lxc_support import run_python
from testing.playground import LiveServer

SERVER_THAT_STARTS_A_CONTAINER = """
import json, os, socket, sys
from containers.engines.lxc.engine import LXCEngine
server = socket.socket()
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("127.0.0.1", 0))
server.listen(16)
backend = LXCEngine({lxcpath!r}, lock_dir={lock_dir!r})
state = backend.start({name!r})
print(json.dumps({{"port": server.getsockname()[1], "inode": os.fstat(server.fileno()).st_ino,
                  "state": state}}), flush=True)
sys.stdin.readline()  # stay up (socket open) until the test has looked
"""


def listening_inode(port):
    """The inode of the socket listening on 127.0.0.1:port, from /proc/net/tcp."""
    wanted = f"0100007F:{port:04X}"
    with open("/proc/net/tcp") as table:
        for line in table.readlines()[1:]:
            fields = line.split()
            if fields[1] == wanted and fields[3] == "0A":  # 0A: LISTEN
                return int(fields[9])
    return None


def holders(inode):
    """Every process that has the socket `inode` open."""
    found = set()
    for fd in glob.glob("/proc/[0-9]*/fd/*"):
        try:
            if os.readlink(fd) == f"socket:[{inode}]":
                found.add(int(fd.split("/")[2]))
        except OSError:
            continue
    return found


def port_is_free(port):
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
            probe.listen(1)
        except OSError:
            return False
    return True


def test_server_process_that_started_a_container_exits_and_frees_its_port(backend, make_container):
    name = make_container()
    server = run_python(SERVER_THAT_STARTS_A_CONTAINER.format(
        lxcpath=backend.lxcpath, lock_dir=backend.lock_dir, name=name), stdin=-1)
    try:
        line = server.stdout.readline()
        assert line, server.stderr.read()
        started = json.loads(line)
        assert started["state"] == "RUNNING"
        assert holders(started["inode"]) == {server.pid}  # the scan sees the server, and only it
    finally:
        server.communicate("bye\n", timeout=30)
    assert server.returncode == 0
    assert not holders(started["inode"])
    assert port_is_free(started["port"])
    assert backend.state(name) == "RUNNING"


def api(url, method, name, token, body=None):
    request = urllib.request.Request(
        f"{url}/api/v1/containers/{name}", method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"private-token": token, "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=90) as response:
        return json.loads(response.read())


@pytest.mark.django_db(transaction=True)
def test_panel_restarts_on_its_port_while_a_container_it_started_runs(backend, make_container, users,
                                                                      make_token):
    token = make_token(users.dave)
    name = make_container()
    first = LiveServer().start()
    try:
        assert api(first.url, "POST", name, token, {"action": "start"})["state"] == "RUNNING"
        inode = listening_inode(first.port)
        assert inode and holders(inode) and holders(inode) <= set(first.process_ids())
    finally:
        first.stop()
    assert first.process.returncode is not None
    assert not holders(inode)
    assert port_is_free(first.port)
    assert backend.state(name) == "RUNNING"

    again = LiveServer(port=first.port).start()
    try:
        assert again.url == first.url
        assert api(again.url, "GET", name, token)["state"] == "RUNNING"
        assert api(again.url, "POST", name, token, {"action": "stop", "force": True})["state"] == "STOPPED"
    finally:
        again.stop()
    assert backend.state(name) == "STOPPED"
