"""bin/lwp-run runs gunicorn and the job workers as one (lwp/supervisor.py), and stops them together.

The first tests share one real `bin/lwp-run` on a fresh data dir. The stop tests run what it
execs, `python -m lwp.supervisor`, on that prepared data dir and their own port, so each starts in
seconds. The last ones give the supervisor stand-in children to time it: restarts, grace, a
second signal.
"""

import contextlib
import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lwp.tests.server_support import (REPO, LwpRun, children, command_line, curl, descendants, free_port_on,
                                      manage, script_env, start_ticks)
from testing import playground
from testing.playground import unique_name

WAIT = 30  # a worker boots Django in 1-5 s on a busy 2-core machine
PYTHON = str(REPO / ".venv/bin/python")


def wait_for(condition, what, timeout=WAIT):
    return playground.wait_for(condition, what, timeout)


def job_workers(supervisor):
    return {pid for pid in children(supervisor) if "manage.py lwpworker" in command_line(pid)}


def web_servers(supervisor):
    return {pid for pid in children(supervisor) if "gunicorn" in command_line(pid)}


def registered(data_dir):
    """The pids in the Worker table, where each worker registers itself."""
    with contextlib.closing(sqlite3.connect(f"file:{data_dir}/lwp.sqlite3?mode=ro", uri=True)) as db:
        return {pid for (pid,) in db.execute("SELECT pid FROM operations_worker")}


def both_workers_registered(supervisor, data_dir, workers=2):
    """The supervisor's job workers once there are `workers` of them and all are in the Worker table."""
    found = job_workers(supervisor)
    return found if len(found) == workers and found <= registered(data_dir) else None


def still_running(processes):
    """Those of {pid: start ticks} that still run (a zombie has ended; this VM's init may not reap it)."""
    running = []
    for pid, ticks in processes.items():
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_bytes().rsplit(b")", 1)[1].split()  # state first
            if fields[0] != b"Z" and int(fields[19]) == ticks:
                running.append((pid, command_line(pid)))
    return running


def open_files(pid):
    found = set()
    with contextlib.suppress(OSError):
        for fd in os.listdir(f"/proc/{pid}/fd"):
            with contextlib.suppress(OSError):
                found.add(os.readlink(f"/proc/{pid}/fd/{fd}"))
    return found


@pytest.fixture(scope="module")
def served(tmp_path_factory, lxcpath):
    """A real `bin/lwp-run` on a fresh data dir, started with a stray inheritable descriptor open
    (as a terminal or an init may leave one): a pipe, `served.stray` its /proc name."""
    tmp = tmp_path_factory.mktemp("supervised")
    env = script_env(tmp / "data", f"127.0.0.1:{free_port_on('127.0.0.1')}", lxcpath)
    read_end, write_end = os.pipe()
    server = LwpRun(env, tmp / "lwp-run.log").start(pass_fds=(write_end,))
    os.close(write_end)
    server.data_dir = tmp / "data"
    server.stray = f"pipe:[{os.fstat(read_end).st_ino}]"
    try:
        server.wait_listening()
        wait_for(lambda: both_workers_registered(server.process.pid, server.data_dir), "2 registered workers")
        yield server
    finally:
        server.stop()
        os.close(read_end)


def test_lwp_run_starts_gunicorn_and_two_registered_workers_and_passes_them_only_stdio(served):
    supervisor = served.process.pid

    assert len(web_servers(supervisor)) == 1, served.output
    assert len(job_workers(supervisor)) == 2  # LWP_JOB_WORKERS's default
    assert served.stray in open_files(supervisor)  # the supervisor got the stray pipe...
    leaks = {pid: command_line(pid) for pid in descendants(supervisor) if served.stray in open_files(pid)}
    assert leaks == {}  # ...and none of its children has it
    assert "lwp: " not in served.output, served.output  # the supervisor had nothing to report


def test_a_worker_killed_with_sigkill_is_replaced_by_one_that_registers(served):
    supervisor = served.process.pid
    before = job_workers(supervisor)
    victim = min(before)

    os.kill(victim, signal.SIGKILL)

    def replaced():
        found = both_workers_registered(supervisor, served.data_dir)
        return found if found and victim not in found else None

    after = wait_for(replaced, "registered replacement")
    (newcomer,) = after - before
    assert after == before - {victim} | {newcomer}
    assert re.search(rf"lwp: worker \d \(pid {victim}\) was killed by SIGKILL after [\d.]+ s; "
                     r"starting another in 0\.5 s", served.output), served.output
    # The newcomer forgot the dead one: the table names the live workers only.
    wait_for(lambda: registered(served.data_dir) == after, "the dead worker forgotten")


def test_an_api_create_through_lwp_run_is_run_by_one_of_its_workers(served, backend):
    made = manage(served.env, "createtoken", "--user", "admin")
    assert made.returncode == 0, made.stderr
    name = unique_name("svc")
    try:
        answer = curl("--request", "PUT", "--header", f"private-token: {made.stdout.strip()}",
                      "--header", "content-type: application/json",
                      "--data", json.dumps({"name": name, "template": "busybox"}), "--write-out", "\n%{http_code}",
                      f"http://127.0.0.1:{served.port}/api/v1/containers/")
        body, _, code = answer.stdout.rpartition("\n")
        assert code == "200", (answer, served.output[-3000:])
        assert json.loads(body)["name"] == name
        assert backend.exists(name)
        with contextlib.closing(sqlite3.connect(f"file:{served.data_dir}/lwp.sqlite3?mode=ro", uri=True)) as db:
            (worker,) = db.execute("SELECT worker FROM operations_operation WHERE container = ?", [name]).fetchone()
        assert worker in {f"{socket.gethostname()}-{pid}" for pid in job_workers(served.process.pid)}
    finally:
        if backend.exists(name):
            backend.destroy(name, force=True)


@pytest.fixture
def supervised(served, tmp_path):
    """`python -m lwp.supervisor`, what bin/lwp-run execs, on the prepared data dir and its own port;
    returns it once gunicorn listens and both workers registered, with {pid: start} of its tree."""
    env = dict(served.env, LWP_BIND=f"127.0.0.1:{free_port_on('127.0.0.1')}", DJANGO_SETTINGS_MODULE="lwp.settings")
    server = LwpRun(env, tmp_path / "supervisor.log", command=[PYTHON, "-m", "lwp.supervisor"]).start()
    try:
        server.wait_listening()
        workers = wait_for(lambda: both_workers_registered(server.process.pid, served.data_dir), "2 registered workers")
        # Up, not only registered: a worker handles SIGTERM once db_worker's loop has started.
        wait_for(lambda: all(f"worker_id={socket.gethostname()}-{pid} " in server.output for pid in workers),
                 "2 workers polling")
        server.tree = {pid: start_ticks(pid) for pid in descendants(server.process.pid)}
        yield server
    finally:
        server.stop()


def test_sigterm_stops_gunicorn_and_every_worker(supervised, served):
    workers = job_workers(supervised.process.pid)
    assert len(supervised.tree) == 5, supervised.output  # gunicorn, its 2 workers, the 2 job workers

    os.kill(supervised.process.pid, signal.SIGTERM)
    code = supervised.process.wait(WAIT)

    assert code == 0, supervised.output  # gunicorn's status: a clean stop
    assert still_running(supervised.tree) == []
    assert not workers & registered(served.data_dir), supervised.output  # each ended its own way: unregistered
    assert "lwp: got SIGTERM: stopping gunicorn and the workers (up to 30 s)" in supervised.output
    assert "killing" not in supervised.output


def test_gunicorn_dying_brings_the_workers_down(supervised):
    (gunicorn,) = web_servers(supervised.process.pid)

    os.kill(gunicorn, signal.SIGKILL)
    code = supervised.process.wait(WAIT)

    assert code == 128 + signal.SIGKILL, supervised.output  # gunicorn's end, for systemd to restart it
    assert still_running(supervised.tree) == []  # its orphaned workers too
    assert "lwp: gunicorn was killed by SIGKILL: stopping gunicorn and the workers" in supervised.output


def test_children_die_with_a_supervisor_killed_with_sigkill(supervised):
    os.kill(supervised.process.pid, signal.SIGKILL)
    supervised.process.wait(WAIT)

    # PR_SET_PDEATHSIG: the job workers are killed, gunicorn stops itself and its workers.
    wait_for(lambda: still_running(supervised.tree) == [], "every child gone")


def test_a_bad_worker_count_stops_the_supervisor_with_a_message_naming_it(served):
    started = subprocess.run([PYTHON, "-m", "lwp.supervisor"], cwd=REPO, env=dict(served.env, LWP_JOB_WORKERS="many"),
                             capture_output=True, text=True, timeout=WAIT)

    assert started.returncode == 2
    assert started.stderr == "lwp: LWP_JOB_WORKERS='many' is not a whole number\n"


# ----- stand-in children: the supervisor's timing ------------------------------------------------

STAND_IN = """
import sys
from lwp import supervisor
supervisor.FIRST_PAUSE, supervisor.MAX_PAUSE, supervisor.YOUNG = 0.1, 0.4, 1.0
sys.exit(supervisor.Supervisor({web!r}, {worker!r}, workers={workers}, grace={grace}).run())
"""
# Exits with 3 at once, but its 4th run lives 2 s (more than YOUNG): the pauses start over.
COUNTING_WORKER = ("import pathlib, sys, time; f = pathlib.Path(sys.argv[1]); n = int(f.read_text() or 0); "
                   "f.write_text(str(n + 1)); time.sleep(2 if n == 3 else 0); sys.exit(3)")
# Ignores SIGTERM: only SIGKILL ends it.
STUBBORN = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('ready', flush=True); time.sleep(60)"


@pytest.fixture
def stand_in(tmp_path):
    """Factory: the Supervisor with the given children; everything it started is killed afterwards."""
    started = []

    def start(web, worker=("true",), workers=0, grace=30):
        script = STAND_IN.format(web=list(web), worker=list(worker), workers=workers, grace=grace)
        server = LwpRun(dict(os.environ), tmp_path / f"stand-in-{len(started)}.log",
                        command=[sys.executable, "-c", script]).start()
        started.append(server)
        return server

    yield start
    for server in started:
        for pid in descendants(server.process.pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        server.stop()


def test_a_worker_that_keeps_dying_young_waits_longer_each_time_up_to_the_cap(stand_in, tmp_path):
    runs = tmp_path / "runs"
    runs.write_text("0")
    server = stand_in(["sleep", "60"], [sys.executable, "-c", COUNTING_WORKER, str(runs)], workers=1)

    wait_for(lambda: server.output.count("starting another") >= 7, "7 restarts")
    os.kill(server.process.pid, signal.SIGTERM)
    code = server.wait_exit(WAIT)

    pauses = [float(pause) for pause in re.findall(r"starting another in ([\d.]+) s", server.output)]
    assert pauses[:7] == [0.1, 0.2, 0.4, 0.1, 0.2, 0.4, 0.4], server.output
    assert "lwp: worker 1 (pid " in server.output and "exited with status 3 after" in server.output
    assert code == 128 + signal.SIGTERM  # sleep's end: gunicorn's status is passed on as it is


def test_a_child_that_ignores_sigterm_is_killed_when_the_grace_is_over(stand_in):
    server = stand_in([sys.executable, "-c", STUBBORN], grace=1)
    wait_for(lambda: "ready" in server.output, "stand-in ready")

    asked = time.monotonic()
    os.kill(server.process.pid, signal.SIGTERM)
    code = server.wait_exit(WAIT)
    took = time.monotonic() - asked

    assert code == 128 + signal.SIGKILL
    assert 1 <= took < 5, took
    assert "lwp: still running after 1 s: killing" in server.output


def test_a_second_signal_kills_at_once(stand_in):
    server = stand_in([sys.executable, "-c", STUBBORN], grace=30)
    wait_for(lambda: "ready" in server.output, "stand-in ready")

    asked = time.monotonic()
    os.kill(server.process.pid, signal.SIGINT)
    wait_for(lambda: "lwp: got SIGINT" in server.output, "the first signal seen")
    os.kill(server.process.pid, signal.SIGTERM)
    code = server.wait_exit(WAIT)

    assert code == 128 + signal.SIGKILL
    assert time.monotonic() - asked < 5  # not the 30 s grace
    assert "lwp: got SIGTERM again: killing" in server.output
