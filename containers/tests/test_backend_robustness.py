"""What must not break: a broken config, a busy container, a hanging template, no liblxc, a stuck call."""

import json
import os
import subprocess
import time

import pytest

from containers.engines.lxc.deadline import run_with_deadline
from containers.vocabulary import BROKEN
from containers.tests.lxc_support import (
    adhoc, elapsed, leaves_nothing, listed, new_name, process_gone, run_python, set_raw_config,
    write_template,
)
from lwp.exceptions import (
    BrokenConfig, ContainerBusy, ContainerExists, InvalidState, LXCError, LXCTimeout,
)

__all__ = ["adhoc"]


# ----- a broken config ------------------------------------------------------------------


@pytest.fixture
def broken(backend, make_container):
    """A container whose config liblxc refuses; its good config is put back afterwards."""
    name = make_container()
    path = os.path.join(backend.lxcpath, name, "config")
    with open(path, "rb") as fh:
        good = fh.read()
    with open(path, "wb") as fh:
        fh.write(b"lxc.no.such.key = 1\nthis is not a config line\n\xff\xfe\n")
    yield name
    with open(path, "wb") as fh:
        fh.write(good)


def test_broken_config_is_listed_as_broken_next_to_healthy_ones(backend, make_container, broken):
    stopped, running = make_container(), make_container(start=True)
    containers = listed(backend)
    assert containers[broken].state == BROKEN
    assert "configuration" in containers[broken].error
    assert containers[stopped].state == "STOPPED"
    assert containers[running].state == "RUNNING"
    detailed = {s.name: s for s in backend.list_containers(details=True)}
    assert detailed[broken].state == BROKEN and detailed[running].state == "RUNNING"


def test_the_dashboards_list_sees_a_config_changed_or_broken_behind_its_back(backend, make_container):
    """The detailed list parses a config again only when the file changed: each change shows."""
    name = make_container()
    path = os.path.join(backend.lxcpath, name, "config")

    def row():
        return {s.name: s for s in backend.list_containers(details=True)}[name]

    assert (row().state, row().autostart) == ("STOPPED", False)
    with open(path, "a") as fh:
        fh.write("lxc.start.auto = 1\n")
    assert (row().state, row().autostart) == ("STOPPED", True)
    with open(path, "rb") as fh:
        good = fh.read()
    with open(path, "wb") as fh:
        fh.write(b"lxc.no.such.key = 1\n")
    assert row().state == BROKEN
    with open(path + ".new", "wb") as fh:  # a config put back by rename (another inode)
        fh.write(good)
    os.replace(path + ".new", path)
    assert (row().state, row().autostart) == ("STOPPED", True)


@pytest.mark.parametrize("call", ["info", "state", "start", "get_settings", "destroy"])
def test_broken_container_gives_a_typed_error(backend, broken, call):
    with pytest.raises(BrokenConfig, match="configuration") as failure:
        getattr(backend, call)(broken)
    assert failure.value.code == "broken_config"
    assert backend.exists(broken)


def test_broken_container_can_be_force_deleted(backend, make_container):
    name = make_container()
    with open(os.path.join(backend.lxcpath, name, "config"), "wb") as fh:
        fh.write(b"lxc.no.such.key = 1\n")
    assert backend.destroy(name, force=True) is True
    assert not backend.exists(name)
    assert not os.path.lexists(os.path.join(backend.lxcpath, name))
    assert name not in {s.name for s in backend.list_containers()}


def test_broken_container_still_exists_and_its_config_can_be_read(backend, broken):
    assert backend.exists(broken)
    assert "this is not a config line" in backend.raw_config(broken)
    with pytest.raises(ContainerExists):
        backend.create(broken, template="busybox")


# ----- one operation at a time, across processes ----------------------------------------

HOLD_LOCK = """
import sys, time
from containers.engines.lxc.locks import ContainerLocks
locks = ContainerLocks({lock_dir!r}, {lxcpath!r})
with locks.hold([{name!r}], wait=0):
    print("held", flush=True)
    time.sleep({seconds})
"""


def hold_lock_elsewhere(backend, name, seconds):
    holder = run_python(HOLD_LOCK.format(lock_dir=backend.lock_dir, lxcpath=backend.lxcpath,
                                         name=name, seconds=seconds))
    assert holder.stdout.readline().strip() == "held", holder.stderr.read()
    return holder


def test_operation_on_a_container_locked_by_another_process_waits_then_is_busy(backend, make_container):
    name = make_container()
    holder = hold_lock_elsewhere(backend, name, 60)
    try:
        took, result = elapsed(backend.start, name)
        assert isinstance(result, ContainerBusy), result
        assert "busy" in str(result) and result.code == "busy"
        assert backend.lock_wait <= took < backend.lock_wait + 1.5
        assert backend.state(name) == "STOPPED"  # reads do not wait for the lock
        assert backend.locks.is_held(name)
    finally:
        holder.kill()
        holder.wait(10)
    assert not backend.locks.is_held(name)  # the kernel dropped the dead holder's lock
    assert backend.start(name) == "RUNNING"
    assert not backend.locks.is_held(name)  # and the container's monitor did not keep it


def test_operation_waits_for_a_short_holder_and_then_runs(backend, make_container):
    name = make_container()
    holder = hold_lock_elsewhere(backend, name, 1)
    took, state = elapsed(backend.start, name)
    holder.wait(10)
    assert state == "RUNNING"
    assert 0.5 < took < backend.lock_wait + 1


def test_lock_of_one_container_does_not_block_another(backend, make_container):
    locked, free = make_container(), make_container()
    holder = hold_lock_elsewhere(backend, locked, 60)
    try:
        took, state = elapsed(backend.start, free)
        assert state == "RUNNING" and took < backend.lock_wait
    finally:
        holder.kill()
        holder.wait(10)


# ----- a template that never ends -------------------------------------------------------


def test_hanging_template_times_out_and_leaves_nothing(other_backend, adhoc, tmp_path):
    pid_file = tmp_path / "template.pid"
    write_template(other_backend.templates_dir, "hang", f'echo $$ > "{pid_file}"\nexec sleep 3600\n')
    name = new_name(adhoc)
    took, result = elapsed(other_backend.create, name, template="hang")
    assert isinstance(result, LXCTimeout), result
    assert other_backend.create_timeout <= took < other_backend.create_timeout + 5
    pid = int(pid_file.read_text())
    assert process_gone(pid), f"template process {pid} survived its timeout"
    assert leaves_nothing(other_backend, name)
    assert not other_backend.locks.is_held(name)


def test_failing_clone_hook_that_hangs_times_out_and_leaves_nothing(other_backend, make_container,
                                                                     adhoc, tmp_path):
    source = make_container()
    hook = write_template(tmp_path, "slow-hook", "exec sleep 3600\n")
    set_raw_config(other_backend.lxcpath, source, [("lxc.hook.clone", str(hook))])
    name = new_name(adhoc)
    took, result = elapsed(other_backend.clone, source, name)
    assert isinstance(result, LXCTimeout), result
    assert took < other_backend.create_timeout + 5
    assert leaves_nothing(other_backend, name)
    assert listed(other_backend)[source].state == "STOPPED"


# ----- no liblxc ------------------------------------------------------------------------

WITHOUT_LXC = """
import json, sys
sys.modules["lxc"] = None  # `import lxc` now fails as on a host without python3-lxc
from containers.engines.lxc.engine import LXCEngine
from lwp.exceptions import LXCUnavailable
backend = LXCEngine({lxcpath!r}, lock_dir={lock_dir!r})
default = LXCEngine(None, lock_dir={lock_dir!r})
calls = {{
    "list": backend.list_containers, "info": lambda: backend.info("x"),
    "start": lambda: backend.start("x"), "create": lambda: backend.create("x", template="busybox"),
    "host": backend.host_info, "lxcpath": lambda: default.lxcpath,
}}
outcome = {{}}
for what, call in calls.items():
    try:
        call()
        outcome[what] = "no error"
    except LXCUnavailable as exc:
        outcome[what] = [exc.code, str(exc)]
print(json.dumps(outcome))
"""


def test_backend_without_liblxc_says_lxc_unavailable(backend, tmp_path):
    probe = run_python(WITHOUT_LXC.format(lxcpath=backend.lxcpath, lock_dir=str(tmp_path)))
    out, err = probe.communicate(timeout=60)
    assert probe.returncode == 0, err
    outcome = json.loads(out)
    assert set(outcome) == {"list", "info", "start", "create", "host", "lxcpath"}
    for code, message in outcome.values():
        assert code == "lxc_unavailable"
        assert "python3-lxc" in message


# ----- the deadline guard ---------------------------------------------------------------


def test_call_beyond_its_deadline_is_killed_with_what_it_started(tmp_path):
    pids = tmp_path / "pids"

    def stuck():
        helper = subprocess.Popen(["sleep", "60"])
        pids.write_text(f"{os.getpid()} {helper.pid}")
        time.sleep(60)

    took, result = elapsed(run_with_deadline, stuck, timeout=1, what="stuck call")
    assert isinstance(result, LXCTimeout) and "stuck call" in str(result)
    assert took < 2.5
    assert all(process_gone(int(pid)) for pid in pids.read_text().split())


def test_guard_returns_the_result_even_if_a_grandchild_keeps_running(tmp_path):
    pid_file = tmp_path / "grandchild"

    def leaves_a_daemon():
        # Like a container monitor that inherited the result pipe: it must not hang us.
        daemon = os.fork()
        if daemon == 0:
            time.sleep(30)
            os._exit(0)
        pid_file.write_text(str(daemon))
        return {"answer": 42}

    took, result = elapsed(run_with_deadline, leaves_a_daemon, timeout=20, what="daemonizing call")
    os.kill(int(pid_file.read_text()), 9)
    assert result == {"answer": 42}
    assert took < 2


def test_guard_gives_back_our_errors_and_types_foreign_ones():
    def refuses():
        raise InvalidState("container 'x' is RUNNING", {"state": "RUNNING"})

    with pytest.raises(InvalidState) as ours:
        run_with_deadline(refuses, timeout=10, what="refusal")
    assert ours.value.fields == {"state": "RUNNING"}
    with pytest.raises(LXCError, match="KeyError"):
        run_with_deadline(lambda: {}["missing"], timeout=10, what="lookup")
    with pytest.raises(LXCError, match="worker died"):
        run_with_deadline(lambda: os._exit(3), timeout=10, what="crash")


def test_guard_captures_output_of_the_call():
    def talks():
        os.write(1, b"hello from the child\n")
        return "done"

    assert run_with_deadline(talks, timeout=10, what="talk", capture_output=True) == (
        "done", "hello from the child\n")
