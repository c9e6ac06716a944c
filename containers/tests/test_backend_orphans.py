"""A server worker killed in the middle of a liblxc call leaves nothing running, locked or half-made.

Every guarded call runs in a supervisor + worker pair forked from the web process. When
the web process dies (kill -9, the OOM killer, a restart during a long create), they die
with it: the template stops, the lock is free, a half-created container is removed, and
no descriptor of the server (its listening socket above all) outlives it.
"""

import contextlib
import json
import os
import signal
import socket
import threading
import time
from pathlib import Path

import pytest

from containers.engines.lxc.container_ops import wait_until
from containers.engines.lxc.deadline import run_with_deadline
from containers.tests.campaign_support import call_json
from containers.tests.lxc_support import adhoc, new_name, process_gone, run_python, write_template
from containers.tests.test_server_restart import holders, listening_inode, port_is_free
from lwp.exceptions import LXCTimeout
from testing.playground import LiveServer

__all__ = ["adhoc"]


def parent_of(pid):
    """The parent pid from /proc/<pid>/stat (None once the process is gone)."""
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


def ancestors(pid, stop):
    """pid and its ancestors up to (without) `stop`, nearest first."""
    chain = [pid]
    while (parent := parent_of(chain[-1])) not in (None, 0, 1, stop):
        chain.append(parent)
    return chain


def descriptors(pid):
    """{fd: what it points to} of a running process."""
    directory = f"/proc/{pid}/fd"
    found = {}
    for fd in os.listdir(directory):
        with contextlib.suppress(OSError):
            found[int(fd)] = os.readlink(f"{directory}/{fd}")
    return found


def all_gone(pids, timeout=10):
    return wait_until(lambda: all(process_gone(pid, timeout=0) for pid in pids), timeout)


def kill_survivors(pids):
    """After a failed assertion: end what this test started, by pid, so nothing outlives the run
    (never this process or its own ancestors, whatever a wrong walk up the tree found)."""
    ours = set(ancestors(os.getpid(), stop=1))
    for pid in set(pids) - ours:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)


# ----- the guard in a parent that is killed -------------------------------------------------

PARENT_KILLED_DURING_A_CALL = """
import json, os, socket, subprocess, sys, time
from containers.engines.lxc.deadline import run_with_deadline
from containers.engines.lxc.locks import ContainerLocks

server = socket.socket()
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("127.0.0.1", 0))
server.listen(16)
locks = ContainerLocks({lock_dir!r}, {lxcpath!r})

def hangs():  # like a create whose template never ends
    template = subprocess.Popen(["sleep", "3600"])
    with open({pids!r} + ".tmp", "w") as fh:
        json.dump({{"worker": os.getpid(), "supervisor": os.getppid(), "template": template.pid}}, fh)
    os.rename({pids!r} + ".tmp", {pids!r})
    time.sleep(3600)

def abandoned():  # runs in the supervisor once this process is gone
    with open({marker!r}, "w") as fh:
        json.dump({{"lock_held": locks.is_held("box"), "parent": os.getppid()}}, fh)

with locks.hold(["box"], wait=0) as held:
    print(json.dumps({{"port": server.getsockname()[1], "inode": os.fstat(server.fileno()).st_ino,
                      "lock_file": held[0].path}}), flush=True)
    run_with_deadline(hangs, timeout=3600, what="hang", capture_output=True, holding=held,
                      on_abandon=abandoned)
"""


def test_killed_parent_takes_its_call_with_it_and_the_call_held_none_of_its_descriptors(tmp_path):
    pids_file, marker = tmp_path / "pids.json", tmp_path / "abandoned.json"
    lock_dir, lxcpath = str(tmp_path / "locks"), str(tmp_path / "lxc")
    parent = run_python(PARENT_KILLED_DURING_A_CALL.format(
        lock_dir=lock_dir, lxcpath=lxcpath, pids=str(pids_file), marker=str(marker)))
    started = []
    try:
        line = parent.stdout.readline()
        assert line, parent.stderr.read()
        facts = json.loads(line)
        assert wait_until(pids_file.exists, 20), parent.stderr.read()
        pids = json.loads(pids_file.read_text())
        started = [pids["worker"], pids["supervisor"], pids["template"]]
        assert parent_of(pids["supervisor"]) == parent.pid

        worker = descriptors(pids["worker"])
        assert sorted(worker) == [0, 1, 2, max(worker)], worker  # stdio and the result pipe only
        assert worker[0] == "/dev/null" and worker[1] == worker[2] and worker[1].endswith("(deleted)")
        assert worker[max(worker)].startswith("pipe:"), worker
        supervisor = descriptors(pids["supervisor"])
        # The supervisor keeps the lock (for the clean-up after an abandoned call) and the read end
        # of the parent's stop notes, nothing else.
        pipes = [kind for kind in supervisor.values() if kind.startswith("pipe:")]
        assert len(pipes) == 1, supervisor
        assert set(supervisor.values()) - set(pipes) == {"/dev/null", facts["lock_file"]}, supervisor
        assert holders(facts["inode"]) == {parent.pid}  # the listening socket stayed with the parent

        os.kill(parent.pid, signal.SIGKILL)
        parent.wait(10)
        assert all_gone(started), [pid for pid in started if not process_gone(pid, 0)]
    finally:
        parent.kill()
        parent.wait(10)
        kill_survivors(started)
    assert wait_until(marker.exists, 10)
    cleanup = json.loads(marker.read_text())
    assert cleanup["lock_held"] is True  # the clean-up ran with the container still locked
    assert cleanup["parent"] != parent.pid
    assert not os.path.exists(facts["lock_file"])  # then the lock was let go, its file removed
    assert not holders(facts["inode"])
    assert port_is_free(facts["port"])


def test_a_sigterm_the_parent_did_not_send_is_its_death_even_while_getppid_names_it(tmp_path):
    """The supervisor's death signal comes when the parent's forking thread exits, which may be
    before its other threads (getppid() names the parent until the last one goes): without the
    parent's stop note, a SIGTERM means the parent is going, and the clean-up runs."""
    pids_file, marker = tmp_path / "pids.json", tmp_path / "abandoned.json"
    parent = run_python(PARENT_KILLED_DURING_A_CALL.format(
        lock_dir=str(tmp_path / "locks"), lxcpath=str(tmp_path / "lxc"), pids=str(pids_file), marker=str(marker)))
    started = []
    try:
        facts = json.loads(parent.stdout.readline())
        assert wait_until(pids_file.exists, 20), parent.stderr.read()
        pids = json.loads(pids_file.read_text())
        started = [pids["worker"], pids["supervisor"], pids["template"]]

        os.kill(pids["supervisor"], signal.SIGTERM)  # as the kernel sends it, with the parent still there

        assert wait_until(marker.exists, 10)
        assert all_gone(started), [pid for pid in started if not process_gone(pid, 0)]
    finally:
        parent.kill()
        parent.wait(10)
        kill_survivors(started)
    cleanup = json.loads(marker.read_text())
    assert cleanup == {"lock_held": True, "parent": parent.pid}  # the clean-up ran under the lock
    assert not os.path.exists(facts["lock_file"])


def test_a_caller_that_stops_its_call_does_its_own_clean_up(tmp_path):
    """The parent's own stop (an interrupted caller) comes with its note: the supervisor kills the
    call and leaves the clean-up to the caller, which is alive to do it."""
    marker, started = tmp_path / "abandoned", tmp_path / "started"

    def slow():
        started.write_text("yes")
        time.sleep(60)

    def interrupt_when_started():
        wait_until(started.exists, 10)
        signal.pthread_kill(threading.main_thread().ident, signal.SIGUSR1)

    previous = signal.signal(signal.SIGUSR1, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt))
    try:
        threading.Thread(target=interrupt_when_started, daemon=True).start()
        with pytest.raises(KeyboardInterrupt):
            run_with_deadline(slow, timeout=60, what="slow call", on_abandon=lambda: marker.write_text("ran"))
    finally:
        signal.signal(signal.SIGUSR1, previous)
    time.sleep(1)
    assert not marker.exists()


READ_IN_A_PARENT_THAT_IS_KILLED = """
import json, os, socket, time
from containers.engines.lxc.deadline import run_with_deadline

server = socket.socket()
server.bind(("127.0.0.1", 0))
server.listen(16)

def reads():  # a lock-free read stuck in liblxc
    with open({pids!r} + ".tmp", "w") as fh:
        json.dump({{"worker": os.getpid(), "parent": os.getppid()}}, fh)
    os.rename({pids!r} + ".tmp", {pids!r})
    time.sleep(3600)

print(json.dumps({{"port": server.getsockname()[1], "inode": os.fstat(server.fileno()).st_ino}}), flush=True)
run_with_deadline(reads, timeout=3600, what="read")
"""


def test_killed_parent_takes_a_lock_free_read_with_it(tmp_path):
    pids_file = tmp_path / "pids.json"
    parent = run_python(READ_IN_A_PARENT_THAT_IS_KILLED.format(pids=str(pids_file)))
    worker = None
    try:
        line = parent.stdout.readline()
        assert line, parent.stderr.read()
        facts = json.loads(line)
        assert wait_until(pids_file.exists, 20), parent.stderr.read()
        pids = json.loads(pids_file.read_text())
        worker = pids["worker"]
        assert pids["parent"] == parent.pid  # a read needs no supervisor: one fork
        held = descriptors(worker)
        assert sorted(held) == [0, 1, 2, max(held)] and held[max(held)].startswith("pipe:"), held
        assert holders(facts["inode"]) == {parent.pid}

        os.kill(parent.pid, signal.SIGKILL)
        parent.wait(10)
        assert process_gone(worker)
    finally:
        parent.kill()
        parent.wait(10)
        kill_survivors([worker] if worker else [])
    assert not holders(facts["inode"])


def test_caller_alive_at_its_deadline_does_its_own_clean_up(tmp_path):
    marker = tmp_path / "abandoned"

    with pytest.raises(LXCTimeout, match="did not finish within 1 s"):
        run_with_deadline(lambda: time.sleep(60), timeout=1, what="slow call",
                          on_abandon=lambda: marker.write_text("ran"))
    time.sleep(0.5)
    assert not marker.exists()  # on_abandon is for orphans only: the caller is alive to undo it


def test_call_runs_with_the_usual_umask_whatever_the_server_uses(tmp_path):
    previous = os.umask(0o077)  # the web process's umask for its data dir
    try:
        seen = run_with_deadline(lambda: os.umask(0o022), timeout=10, what="umask")
        path = tmp_path / "made-by-the-call"
        run_with_deadline(lambda: path.write_text("x"), timeout=10, what="write")
    finally:
        os.umask(previous)
    assert seen == 0o022
    assert path.stat().st_mode & 0o777 == 0o644


def test_container_created_by_a_server_with_umask_077_has_the_usual_modes(backend, adhoc):
    name = new_name(adhoc, "umask")
    previous = os.umask(0o077)
    try:
        backend.create(name, template="busybox")
    finally:
        os.umask(previous)
    container = Path(backend.lxcpath) / name
    assert (container / "config").stat().st_mode & 0o777 == 0o640  # as lxc-create makes it (0600 with 077)
    assert (container / "rootfs" / "bin").stat().st_mode & 0o777 == 0o755


# ----- a gunicorn worker killed during a create that hangs ----------------------------------


def create_in_background(server, token, name):
    """PUT a create from a thread; its answer (or the error of a connection cut short) lands in a list."""
    outcome = []

    def call():
        try:
            outcome.append(call_json(server, "PUT", "/api/v1/containers/", token=token,
                                     data={"name": name, "template": "hang"}, timeout=120))
        except OSError as exc:  # the worker serving it is killed: the connection is cut
            outcome.append(exc)

    thread = threading.Thread(target=call, daemon=True)
    thread.start()
    return thread, outcome


def bind_like_gunicorn(port):
    """Bind and listen on the port as gunicorn does (SO_REUSEADDR), then let it go."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind(("127.0.0.1", port))
        probe.listen(1)


@pytest.mark.django_db(transaction=True)
def test_killed_job_worker_during_a_hanging_create_leaves_no_process_no_lock_no_container(
        users, tokens, backend, adhoc, tmp_path):
    templates = tmp_path / "templates"
    templates.mkdir()
    os.symlink("/usr/share/lxc/templates/lxc-busybox", templates / "lxc-busybox")
    template_pid = tmp_path / "template.pid"
    write_template(templates, "hang", f'echo $$ > "{template_pid}"\nexec sleep 3600\n')
    name = new_name(adhoc, "orphan")
    server = LiveServer(extra_env={"LWP_TEMPLATES_DIR": str(templates), "LWP_TEMPLATES": "busybox,hang"})
    server.start()
    create = []
    try:
        thread, outcome = create_in_background(server, tokens.alice, name)
        assert wait_until(lambda: template_pid.exists() and template_pid.read_text().strip(), 30), \
            (outcome, server.log_text()[-2000:])
        template = int(template_pid.read_text())
        job_worker = server.job_workers[0].process.pid
        create = ancestors(template, stop=job_worker)  # template, liblxc worker, its supervisor
        assert parent_of(create[-1]) == job_worker and len(create) >= 2, create
        assert backend.locks.is_held(name)
        inode = listening_inode(server.port)

        os.kill(job_worker, signal.SIGKILL)
        assert all_gone(create), [pid for pid in create if not process_gone(pid, 0)]
        assert wait_until(lambda: not backend.locks.is_held(name), 10)
        assert wait_until(lambda: not os.path.lexists(os.path.join(backend.lxcpath, name)), 30)
        assert not backend.exists(name)
        assert not os.path.exists(backend.locks.path_for(name))
        # Only gunicorn holds its listening socket; nothing of the create does.
        assert holders(inode) <= set(server.process_ids()), (holders(inode), server.process_ids())
        answer = call_json(server, "GET", f"/api/v1/containers/{name}", token=tokens.alice)
        assert answer.status == 404, answer.raw[:300]
        thread.join(30)  # the waiting request learns that its job's worker died: it does not hang
        assert outcome and outcome[0].status == 503 and outcome[0].json["code"] == "interrupted", outcome
    finally:
        server.stop()
        kill_survivors(create)
    bind_like_gunicorn(server.port)  # at once: no process kept the listening socket
    assert port_is_free(server.port)
