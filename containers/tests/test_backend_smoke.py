"""A first pass of the backend on real containers (the full set lives in test_backend_*.py)."""

import pytest

from lwp.exceptions import ContainerNotFound, InvalidState


def test_created_container_is_listed_stopped(backend, make_container):
    name = make_container()
    assert (name, "STOPPED") in [(s.name, s.state) for s in backend.list_containers()]


def test_start_freeze_unfreeze_stop_cycle(backend, make_container):
    name = make_container()
    assert backend.start(name) == "RUNNING"
    assert backend.freeze(name) == "FROZEN"
    with pytest.raises(InvalidState, match="FROZEN"):
        backend.freeze(name)
    assert backend.unfreeze(name) == "RUNNING"
    assert backend.stop(name, timeout=5) == "STOPPED"


def test_unknown_container_is_not_found(backend):
    with pytest.raises(ContainerNotFound):
        backend.info("no-such-container")
