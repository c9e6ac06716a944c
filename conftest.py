"""Fixtures shared by every app's tests: a private LXC playground on real liblxc."""

import os
import shutil

import pytest
from django.conf import settings

from containers.engines import get_engine
from containers.engines.fake import FakeEngine
from containers.engines.lxc.engine import LXCEngine
from testing import playground

pytest_plugins = ["testing.api"]  # users, tokens and callers for the API tests

# The tests bin/lwp-test runs a second time on PostgreSQL (`-m postgres`): those whose queries,
# ordering, constraints and transactions depend on the database, and the check of what the
# database stores. Paths from the repo root, as prefixes; one that does not exist (yet) selects nothing.
POSTGRES_TESTS = ("tokens/", "containers/tests/test_api_", "containers/tests/test_campaign_leaks.py",
                  "operations/tests/")


def pytest_report_header(config):
    """Which database this run tests on (bin/lwp-test runs on two)."""
    database = settings.DATABASES["default"]
    return f"database: {database['ENGINE'].rsplit('.', 1)[-1]} {database['HOST']}".rstrip()


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.path.relative_to(config.rootpath).as_posix().startswith(POSTGRES_TESTS):
            item.add_marker(pytest.mark.postgres)


def pytest_unconfigure(config):
    """Remove the run's containers and its private dirs, whatever the tests did."""
    path = os.environ.get("LWP_TEST_RUN_DIR")
    if path and os.path.isdir(path):
        playground.destroy_all(settings.LWP_LXC_PATH)
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def run_dir():
    return os.environ["LWP_TEST_RUN_DIR"]


@pytest.fixture(scope="session")
def lxcpath(run_dir):
    os.makedirs(settings.LWP_LXC_PATH, exist_ok=True)
    return settings.LWP_LXC_PATH


@pytest.fixture(scope="session")
def bridge(run_dir):
    """A bridge with DHCP (dnsmasq) and no NAT, for containers that need an address."""
    private = playground.PrivateBridge(run_dir).up()
    yield private
    private.down()


@pytest.fixture(scope="session")
def backend(lxcpath):
    """The liblxc engine the app itself uses, on the test run's private lxcpath."""
    get_engine.cache_clear()
    configured = get_engine()
    assert configured.lxcpath == lxcpath
    return configured


@pytest.fixture
def fake_engine(monkeypatch):
    """An in-memory FakeEngine behind the services, for tests of permissions, forms and
    serializers (not of LXC behaviour): the app's surfaces then never reach liblxc."""
    from containers import services  # noqa: PLC0415 - models load once Django is set up

    engine = FakeEngine()
    monkeypatch.setattr(services, "get_engine", lambda: engine)
    return engine


@pytest.fixture
def fake_container(fake_engine):
    """Factory: a container of the fake engine, as make_container makes a real one."""

    def make(prefix="t", *, start=False, snapshot=None):
        name = playground.unique_name(prefix)
        fake_engine.create(name, template="busybox")
        if snapshot is not None:  # its comment: the container has one snapshot, snap0
            fake_engine.take_snapshot(name, comment=snapshot)
        if start:
            fake_engine.start(name)
        return name

    return make


@pytest.fixture
def make_container(backend, bridge):
    """Factory: a busybox container on the private bridge; destroyed after the test."""
    made = []

    def make(prefix="t", *, start=False):
        name = playground.unique_name(prefix)
        backend.create(name, template="busybox")
        made.append(name)
        backend.update_settings(name, {"network_link": bridge.name})
        if start:
            backend.start(name)
        return name

    yield make
    for name in made:
        if backend.exists(name):
            backend.destroy(name, force=True)


@pytest.fixture
def other_backend(lxcpath, tmp_path):
    """A liblxc engine with its own lock dir and templates dir (for custom templates)."""
    templates = tmp_path / "templates"
    templates.mkdir()
    shutil.copy("/usr/share/lxc/templates/lxc-busybox", templates / "lxc-busybox")
    return LXCEngine(lxcpath, lock_dir=tmp_path / "locks", templates_dir=str(templates), lock_wait=1,
                      create_timeout=5)


@pytest.fixture(scope="session")
def live_app(django_db_setup, django_db_blocker, backend):
    """The app under gunicorn (as bin/lwp-run serves it) on the test database and lxcpath.

    Tests that use it must use `transactional_db` so their rows are visible to it.
    """
    server = playground.LiveServer().start()
    yield server
    server.stop()
