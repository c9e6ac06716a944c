"""Start, stop, freeze, unfreeze and restart on real containers, and every wrong-state refusal."""

import signal

import pytest

from containers.tests.lxc_support import elapsed, set_raw_config
from lwp.exceptions import InvalidInput, InvalidState, LXCError


def test_start_of_a_stopped_container_runs_it(backend, make_container):
    name = make_container()
    assert backend.start(name) == "RUNNING"
    assert backend.state(name) == "RUNNING"
    assert backend.info(name).pid > 1


def test_graceful_stop_ends_before_its_timeout(backend, make_container):
    name = make_container(start=True)
    took, state = elapsed(backend.stop, name, timeout=20)
    assert state == "STOPPED"
    assert took < 20  # busybox init halts on lxc.signal.halt (SIGUSR1): no forced stop needed
    assert backend.state(name) == "STOPPED"


def test_graceful_stop_of_a_container_ignoring_it_is_forced_after_the_timeout(backend, make_container):
    name = make_container()
    # SIGCONT as the halt signal: init carries on, so the graceful part can only time out.
    set_raw_config(backend.lxcpath, name, [("lxc.signal.halt", str(signal.SIGCONT))])
    backend.start(name)
    took, state = elapsed(backend.stop, name, timeout=2)
    assert state == "STOPPED"
    assert 2 <= took < 12
    assert backend.state(name) == "STOPPED"


def test_fractional_timeout_still_waits_for_the_shutdown(backend, make_container):
    name = make_container(start=True)
    assert backend.stop(name, timeout=0.5) == "STOPPED"
    assert backend.state(name) == "STOPPED"


def test_forced_stop_does_not_wait_for_a_shutdown(backend, make_container):
    name = make_container()
    set_raw_config(backend.lxcpath, name, [("lxc.signal.halt", str(signal.SIGCONT))])
    backend.start(name)
    took, state = elapsed(backend.stop, name, timeout=30, force=True)
    assert state == "STOPPED"
    assert took < 10
    assert backend.state(name) == "STOPPED"


@pytest.mark.parametrize("timeout", [-1, "5", True, 10**6, float("nan")])
def test_stop_timeout_must_be_a_sane_number_of_seconds(backend, make_container, timeout):
    name = make_container(start=True)
    with pytest.raises(InvalidInput) as refusal:
        backend.stop(name, timeout=timeout)
    assert "timeout" in refusal.value.fields
    assert backend.state(name) == "RUNNING"


def test_freeze_and_unfreeze_a_running_container(backend, make_container):
    name = make_container(start=True)
    pid = backend.info(name).pid
    assert backend.freeze(name) == "FROZEN"
    assert backend.state(name) == "FROZEN"
    assert backend.unfreeze(name) == "RUNNING"
    assert backend.state(name) == "RUNNING"
    assert backend.info(name).pid == pid


def test_stop_of_a_frozen_container_stops_it(backend, make_container):
    name = make_container(start=True)
    backend.freeze(name)
    assert backend.stop(name, timeout=10) == "STOPPED"
    assert backend.state(name) == "STOPPED"


def test_restart_gives_a_new_init(backend, make_container):
    name = make_container(start=True)
    pid = backend.info(name).pid
    assert backend.restart(name, timeout=10) == "RUNNING"
    assert backend.state(name) == "RUNNING"
    assert backend.info(name).pid not in (None, pid)


def test_restart_of_a_frozen_container_runs_it_again(backend, make_container):
    name = make_container(start=True)
    backend.freeze(name)
    assert backend.restart(name, force=True) == "RUNNING"
    assert backend.state(name) == "RUNNING"


@pytest.mark.parametrize(("state", "action"), [
    ("RUNNING", "start"), ("FROZEN", "start"),
    ("STOPPED", "stop"),
    ("STOPPED", "freeze"), ("FROZEN", "freeze"),
    ("STOPPED", "unfreeze"), ("RUNNING", "unfreeze"),
    ("STOPPED", "restart"),
])
def test_action_in_the_wrong_state_is_refused_naming_the_state(backend, make_container, state, action):
    name = make_container(start=state != "STOPPED")
    if state == "FROZEN":
        backend.freeze(name)
    with pytest.raises(InvalidState, match=state) as refusal:
        getattr(backend, action)(name)
    assert refusal.value.code == "invalid_state"
    assert backend.state(name) == state


def test_failed_start_says_why_and_saves_no_log_setting(backend, make_container, lxcpath):
    name = make_container()
    set_raw_config(lxcpath, name, [("lxc.net.0.link", "lwp-gone0")])  # a bridge that does not exist
    with open(f"{lxcpath}/{name}/config") as fh:
        before = fh.read()
    with pytest.raises(LXCError, match="lwp-gone0") as failure:
        backend.start(name)
    assert "could not start" in failure.value.message
    assert backend.state(name) == "STOPPED"
    with open(f"{lxcpath}/{name}/config") as fh:
        assert fh.read() == before
