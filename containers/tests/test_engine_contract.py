"""The ContainerEngine contract (containers/engines/base.py), held against every engine.

Each test runs on the in-memory fake and on real liblxc (busybox on the run's private
lxcpath and bridge): what the fake answers, liblxc answers too, so the fake cannot drift.
"""

import contextlib
import os

import pytest

from containers.engines.base import OVERLAY_STORE, Capabilities, ContainerEngine
from containers.engines.fake import FakeEngine
from containers.engines.types import (
    MISSING, OK, WARNING, BackupArchive, CheckGroup, ContainerInfo, ContainerSettings, CreateResult, HostInfo,
    HostUsage, SettingsResult, Usage,
)
from containers.tests import archive_support
from containers.tests.archive_support import RecordingMonitor, sha256_of
from lwp.exceptions import (
    ContainerBusy, ContainerExists, ContainerNotFound, InvalidArchive, InvalidInput, InvalidName, InvalidState,
    LWPError, SnapshotNotFound,
)
from testing import playground

FAKE_BRIDGE = "lwpbr0"


@pytest.fixture(scope="module", params=["fake", "lxc"])
def engine(request):
    if request.param == "fake":
        return FakeEngine(bridges=(FAKE_BRIDGE,))
    return request.getfixturevalue("backend")


@pytest.fixture(scope="module")
def bridge_name(engine, request):
    """A bridge of the engine's host (the real one only for liblxc: it starts dnsmasq)."""
    return FAKE_BRIDGE if isinstance(engine, FakeEngine) else request.getfixturevalue("bridge").name


@contextlib.contextmanager
def containers(engine, bridge_name):
    """A factory of busybox containers on the engine's bridge, destroyed on leaving."""
    made = []

    def make(*, start=False):
        name = playground.unique_name("contract")
        made.append(name)
        result = engine.create(name, template="busybox")
        assert result == CreateResult(name=name, output=result.output)
        engine.update_settings(name, {"network_link": bridge_name})
        if start:
            assert engine.start(name) == "RUNNING"
        return name

    try:
        yield make
    finally:
        for name in reversed(made):  # overlay clones before their sources
            with contextlib.suppress(ContainerNotFound):
                engine.destroy(name, force=True)


@pytest.fixture
def new(engine, bridge_name):
    """Factory: a busybox container for this test alone."""
    with containers(engine, bridge_name) as make:
        yield make


@pytest.fixture(scope="module")
def stopped(engine, bridge_name):
    """A STOPPED container shared by the tests that change nothing."""
    with containers(engine, bridge_name) as make:
        yield make()


@pytest.fixture(scope="module")
def running(engine, bridge_name):
    """A RUNNING container shared by the tests that change nothing."""
    with containers(engine, bridge_name) as make:
        yield make(start=True)


@pytest.fixture(scope="module")
def frozen(engine, bridge_name):
    """A FROZEN container shared by the tests that change nothing."""
    with containers(engine, bridge_name) as make:
        name = make(start=True)
        assert engine.freeze(name) == "FROZEN"
        yield name


def test_engine_satisfies_the_protocol_and_says_what_it_supports(engine):
    assert isinstance(engine, ContainerEngine)
    assert isinstance(engine.capabilities(), Capabilities)


def test_created_container_exists_stopped_and_is_listed_in_name_order(engine, new):
    first, second = sorted([new(), new()])
    assert engine.exists(first) and engine.state(first) == "STOPPED"
    listed = [s for s in engine.list_containers() if s.name in (first, second)]
    assert [(s.name, s.state) for s in listed] == [(first, "STOPPED"), (second, "STOPPED")]


def test_creating_a_taken_name_is_exists(engine, new):
    name = new()
    with pytest.raises(ContainerExists):
        engine.create(name, template="busybox")


@pytest.mark.parametrize("call", ["exists", "state", "info", "start", "get_settings", "destroy"])
def test_a_name_outside_the_rule_is_invalid_name(engine, call):
    with pytest.raises(InvalidName):
        getattr(engine, call)("../etc")


@pytest.mark.parametrize("call", ["state", "info", "raw_config", "start", "freeze", "get_settings", "destroy"])
def test_an_unknown_container_is_not_found(engine, call):
    assert not engine.exists("contract-nobody")
    with pytest.raises(ContainerNotFound):
        getattr(engine, call)("contract-nobody")


def test_power_actions_return_the_state_they_reach(engine, new):
    name = new()
    for action, kwargs, reached in [("start", {}, "RUNNING"), ("freeze", {}, "FROZEN"),
                                    ("unfreeze", {}, "RUNNING"), ("restart", {"force": True}, "RUNNING"),
                                    ("stop", {"timeout": 0}, "STOPPED")]:
        assert getattr(engine, action)(name, **kwargs) == reached, action
        assert engine.state(name) == reached, action


@pytest.mark.parametrize("action", ["stop", "freeze", "unfreeze", "restart"])
def test_actions_a_stopped_container_does_not_allow_are_invalid_state(engine, stopped, action):
    name = stopped
    with pytest.raises(InvalidState, match="STOPPED"):
        getattr(engine, action)(name)
    assert engine.state(name) == "STOPPED"


@pytest.mark.parametrize("action", ["start", "unfreeze"])
def test_actions_a_running_container_does_not_allow_are_invalid_state(engine, running, action):
    name = running
    with pytest.raises(InvalidState, match="RUNNING"):
        getattr(engine, action)(name)
    assert engine.state(name) == "RUNNING"


@pytest.mark.parametrize("action", ["start", "freeze"])
def test_actions_a_frozen_container_does_not_allow_are_invalid_state(engine, frozen, action):
    with pytest.raises(InvalidState, match="FROZEN"):
        getattr(engine, action)(frozen)
    assert engine.state(frozen) == "FROZEN"


@pytest.mark.parametrize("action, reached", [("restart", "RUNNING"), ("stop", "STOPPED")])
def test_a_frozen_container_can_be_restarted_or_stopped(engine, new, action, reached):
    name = new(start=True)
    engine.freeze(name)
    assert getattr(engine, action)(name, force=True) == reached
    assert engine.state(name) == reached


@pytest.mark.parametrize("timeout", [-1, 3601, True, "10"])
def test_a_stop_timeout_out_of_range_is_invalid_input_naming_timeout(engine, timeout):
    with pytest.raises(InvalidInput) as raised:
        engine.stop("contract-nobody", timeout=timeout)
    assert set(raised.value.fields) == {"timeout"}


def test_a_container_held_by_another_operation_is_busy(engine, stopped):
    name = stopped
    with engine.locks.hold([name], wait=1), pytest.raises(ContainerBusy):
        engine.start(name)
    assert engine.state(name) == "STOPPED"


def test_info_has_live_figures_only_while_running(engine, new, bridge_name):
    name = new()
    stopped = engine.info(name)
    assert isinstance(stopped, ContainerInfo)
    assert (stopped.state, stopped.pid, stopped.cpu_ns, stopped.ips) == ("STOPPED", None, None, [])
    assert stopped.link == bridge_name
    engine.start(name)
    running = engine.info(name)
    assert running.state == "RUNNING" and running.pid > 0 and running.memory_bytes > 0
    assert running.kmem_bytes is None or engine.capabilities().kernel_memory


def test_listing_with_details_adds_autostart_and_memory_of_running_containers(engine, new):
    stopped, running = new(), new(start=True)
    engine.update_settings(stopped, {"autostart": True})
    details = {s.name: s for s in engine.list_containers(details=True)}
    assert details[stopped].autostart is True and details[stopped].memory_bytes is None
    assert details[running].state == "RUNNING" and details[running].memory_bytes > 0


def test_usage_has_the_counters_of_running_and_frozen_containers_only(engine, running, frozen, stopped):
    everything = engine.usage()
    assert {running, frozen} <= set(everything) and stopped not in everything
    asked = engine.usage([running, frozen, stopped, "no-such-container"])
    assert set(asked) == {running, frozen}
    for name, usage in asked.items():
        assert isinstance(usage, Usage) and usage.name == name
        assert usage.memory_bytes > 0 and usage.cpu_ns > 0
        assert all(isinstance(figure, int) and figure >= 0 for figure in (
            usage.rx_bytes, usage.tx_bytes, usage.blkio_read_bytes, usage.blkio_write_bytes))


@pytest.mark.parametrize("name", ["../../etc", "a/b", "", "x" * 300, "-rf"])
def test_usage_leaves_out_a_name_outside_the_rule_and_answers_for_the_others(engine, running, name):
    assert set(engine.usage([name, running])) == {running}


def test_usage_agrees_with_info(engine, frozen):
    info, usage = engine.info(frozen), engine.usage([frozen])[frozen]
    assert (usage.cpu_ns, usage.memory_bytes) == (info.cpu_ns, info.memory_bytes)


def test_host_usage_gives_load_cpu_memory_and_disk(engine):
    usage = engine.host_usage()
    assert isinstance(usage, HostUsage)
    assert usage.cpus >= 1 and min(usage.load1, usage.load5, usage.load15) >= 0
    assert usage.cpu_total_ns >= usage.cpu_busy_ns > 0
    assert usage.memory_total_bytes > usage.memory_used_bytes > 0
    assert usage.swap_total_bytes >= usage.swap_used_bytes >= 0
    assert usage.disk_total_bytes >= usage.disk_used_bytes > 0


def test_raw_config_is_the_stored_text_with_its_settings(engine, stopped, bridge_name):
    name = stopped
    assert engine.capabilities().raw_config
    assert bridge_name in engine.raw_config(name)


def test_templates_are_listed_with_what_each_accepts(engine):
    assert "busybox" in engine.templates()
    assert engine.template_options("busybox") == []
    assert "--dist" in engine.template_options("download")
    assert engine.template_options("local") is None  # not vetted: a superuser's only


@pytest.mark.parametrize("kwargs, field", [
    ({"template": "no-such-template"}, "template"),
    ({"template": "busybox", "store": "no-such-store"}, "store"),
    ({"template": "busybox", "args": ["--busybox-path", "/bin/sh"]}, "xargs"),
    ({"template": "local", "args": ["--metadata", "/etc/shadow"]}, "xargs"),  # untrusted caller
])
def test_create_refuses_what_is_not_offered_naming_the_field_and_makes_nothing(engine, kwargs, field):
    name = playground.unique_name("contract")
    # The lxc package ships lxc-local and the fake offers it: never skipped, the refusal is the point.
    assert kwargs["template"] in engine.templates() or kwargs["template"] == "no-such-template"
    with pytest.raises(InvalidInput) as raised:
        engine.create(name, **kwargs)
    assert set(raised.value.fields) == {field}
    assert not engine.exists(name)


def test_stores_include_dir_and_clones_may_be_overlays_where_the_engine_says_so(engine):
    assert "dir" in engine.backing_stores()
    clone_stores = engine.clone_stores()
    assert set(engine.backing_stores()) <= set(clone_stores)
    assert (OVERLAY_STORE in clone_stores) == engine.capabilities().overlay_clone


def test_clone_copies_a_stopped_container_with_its_settings(engine, new):
    source = new()
    engine.update_settings(source, {"start_delay": 7})
    name = playground.unique_name("contract")
    try:
        assert engine.clone(source, name).name == name
        assert engine.state(name) == "STOPPED"
        assert engine.get_settings(name).start_delay == 7
    finally:
        engine.destroy(name, force=True)


def test_cloning_a_running_container_is_invalid_state_and_makes_nothing(engine, running):
    source = running
    name = playground.unique_name("contract")
    with pytest.raises(InvalidState, match="RUNNING"):
        engine.clone(source, name)
    assert not engine.exists(name)


def test_cloning_onto_a_taken_name_is_exists(engine, stopped, running):
    with pytest.raises(ContainerExists):
        engine.clone(stopped, running)
    assert engine.state(running) == "RUNNING"


def test_cloning_into_a_store_not_offered_is_invalid_input_naming_store(engine, stopped):
    name = playground.unique_name("contract")
    with pytest.raises(InvalidInput) as raised:
        engine.clone(stopped, name, store="no-such-store")
    assert set(raised.value.fields) == {"store"}
    assert not engine.exists(name)


def test_cloning_a_missing_source_is_invalid_input_naming_clone(engine):
    with pytest.raises(InvalidInput) as raised:
        engine.clone("contract-nobody", playground.unique_name("contract"))
    assert set(raised.value.fields) == {"clone"}


def test_the_source_of_an_overlay_clone_cannot_be_destroyed_before_the_clone(engine, new):
    # Both engines offer overlay clones on the hosts LWP is tested on (Debian 12 has overlayfs).
    assert engine.capabilities().overlay_clone
    source = new()
    name = playground.unique_name("contract")
    engine.clone(source, name, store=OVERLAY_STORE)
    try:
        with pytest.raises(InvalidState, match=name):
            engine.destroy(source)
    finally:
        engine.destroy(name, force=True)
    assert engine.destroy(source) is True


def test_destroying_a_running_container_needs_force(engine, new):
    name = new(start=True)
    with pytest.raises(InvalidState, match="RUNNING"):
        engine.destroy(name)
    assert engine.destroy(name, force=True) is True
    assert not engine.exists(name)
    assert name not in {s.name for s in engine.list_containers()}


def test_settings_are_saved_and_say_what_changed(engine, new):
    name = new()
    assert isinstance(engine.get_settings(name), ContainerSettings)
    result = engine.update_settings(name, {"memory_limit": "256M", "autostart": "yes", "start_order": 3})
    assert isinstance(result, SettingsResult)
    assert sorted(result.changed) == ["autostart", "memory_limit", "start_order"]
    assert not result.restart_needed
    saved = engine.get_settings(name)
    assert (saved.memory_limit, saved.autostart, saved.start_order) == (256 << 20, True, 3)
    assert engine.update_settings(name, {"start_order": 3}).changed == []


def test_a_running_container_needs_a_restart_for_limits_but_not_for_boot_settings(engine, new):
    name = new(start=True)
    assert engine.update_settings(name, {"autostart": True}).restart_needed is False
    assert engine.update_settings(name, {"memory_limit": "128M"}).restart_needed is True


@pytest.mark.parametrize("changes, fields", [
    ({"memory_limit": "lots"}, {"memory_limit"}),
    ({"memory_limit": "1M"}, {"memory_limit"}),
    ({"cpu_shares": 1}, {"cpu_shares"}),
    ({"start_delay": -1, "autostart": "perhaps"}, {"start_delay", "autostart"}),
    ({"network_link": "no-such-br0"}, {"network_link"}),
    ({"network_link": "br0\nlxc.x=1"}, {"network_link"}),
    ({"rootfs": "/"}, {"rootfs"}),
])
def test_invalid_settings_are_invalid_input_naming_each_field_and_change_nothing(engine, stopped, changes,
                                                                                 fields):
    name = stopped
    before = engine.get_settings(name)
    with pytest.raises(InvalidInput) as raised:
        engine.update_settings(name, changes)
    assert set(raised.value.fields) == fields
    assert engine.get_settings(name) == before


def test_host_info_gives_the_host_facts(engine):
    facts = engine.host_info()
    assert isinstance(facts, HostInfo)
    assert facts.cpus >= 1 and facts.memory_total > facts.memory_used >= 0
    assert facts.cgroup_version in (1, 2) and facts.hostname
    assert facts.disk_total >= facts.disk_free


def test_host_checks_are_groups_of_named_checks_each_with_a_hint_when_not_ok(engine):
    groups = engine.host_checks()
    assert groups and all(isinstance(group, CheckGroup) and group.checks for group in groups)
    for check in (check for group in groups for check in group.checks):
        assert check.name and check.status in (OK, WARNING, MISSING)
        assert check.ok or check.hint, check


def test_a_snapshot_is_listed_with_its_comment_and_a_restore_brings_back_its_settings(engine, new):
    name = new()
    assert engine.snapshots(name) == []
    before = engine.get_settings(name)
    taken = engine.take_snapshot(name, comment="before the upgrade")
    assert (taken.name, taken.comment) == ("snap0", "before the upgrade") and taken.created[:4].isdigit()
    assert engine.snapshots(name) == [taken]
    engine.update_settings(name, {"memory_limit": "64M"})
    assert engine.restore_snapshot(name, "snap0") is True
    assert engine.get_settings(name).memory_limit == before.memory_limit
    assert engine.take_snapshot(name).name == "snap1"
    assert engine.destroy_snapshot(name, "snap0") is True
    assert [snapshot.name for snapshot in engine.snapshots(name)] == ["snap1"]


def test_a_running_container_is_not_snapshotted_and_is_restored_only_with_force(engine, new):
    name = new()
    engine.take_snapshot(name)
    engine.start(name)
    with pytest.raises(InvalidState, match="stop it first"):
        engine.take_snapshot(name)
    with pytest.raises(InvalidState, match="forced restore"):
        engine.restore_snapshot(name, "snap0")
    assert engine.state(name) == "RUNNING"
    assert engine.restore_snapshot(name, "snap0", force=True) is True
    assert engine.state(name) == "STOPPED"


@pytest.mark.parametrize(("call", "error", "field"), [
    (lambda engine, name: engine.restore_snapshot(name, "snap7"), SnapshotNotFound, None),
    (lambda engine, name: engine.destroy_snapshot(name, "snap7"), SnapshotNotFound, None),
    (lambda engine, name: engine.restore_snapshot(name, "../snap0"), InvalidInput, "snapshot"),
    (lambda engine, name: engine.destroy_snapshot(name, "snap0/.."), InvalidInput, "snapshot"),
    (lambda engine, name: engine.take_snapshot(name, comment="x" * 1001), InvalidInput, "comment"),
    (lambda engine, name: engine.take_snapshot(name, comment="a\0b"), InvalidInput, "comment"),
])
def test_unknown_or_malformed_snapshots_and_comments_are_refused(engine, stopped, call, error, field):
    with pytest.raises(error) as raised:
        call(engine, stopped)
    if field:
        assert field in raised.value.fields
    assert engine.snapshots(stopped) == []


def test_a_clone_from_a_snapshot_has_the_snapshots_settings_and_the_source_may_run(engine, new):
    source = new()
    engine.update_settings(source, {"start_delay": 7})
    engine.take_snapshot(source)
    engine.update_settings(source, {"start_delay": 9})
    engine.start(source)
    name = playground.unique_name("contract")
    try:
        assert engine.clone_snapshot(source, "snap0", name).name == name
        assert engine.state(name) == "STOPPED"
        assert engine.get_settings(name).start_delay == 7
        assert engine.snapshots(name) == []
        assert engine.state(source) == "RUNNING" and engine.get_settings(source).start_delay == 9
    finally:
        engine.destroy(name, force=True)


@pytest.mark.parametrize(("make_call", "error", "field"), [
    (lambda source, name: (source, "snap7", name), SnapshotNotFound, None),
    (lambda source, name: (source, "../snap0", name), InvalidInput, "snapshot"),
    (lambda source, name: ("contract-nobody", "snap0", name), InvalidInput, "clone"),
    (lambda source, name: (source, "snap0", "bad name"), InvalidName, "name"),
])
def test_a_clone_from_an_unknown_or_malformed_snapshot_is_refused_and_makes_nothing(engine, new, make_call, error,
                                                                                    field):
    source = new()
    engine.take_snapshot(source)
    name = playground.unique_name("contract")
    with pytest.raises(error) as raised:
        engine.clone_snapshot(*make_call(source, name))
    if field:
        assert field in raised.value.fields
    assert not engine.exists(name)


def test_a_clone_from_a_snapshot_onto_a_taken_name_is_exists(engine, new, stopped):
    source = new()
    engine.take_snapshot(source)
    with pytest.raises(ContainerExists):
        engine.clone_snapshot(source, "snap0", stopped)
    assert engine.state(stopped) == "STOPPED"


# ----- backups -------------------------------------------------------------------------------


@pytest.fixture
def restored(engine):
    """Names restore tests make; destroyed after the test."""
    names = []
    yield names
    for name in names:
        with contextlib.suppress(ContainerNotFound):
            engine.destroy(name, force=True)


def _restore_name(restored):
    restored.append(playground.unique_name("contract"))
    return restored[-1]


def test_a_backup_restored_under_a_new_name_has_the_same_settings(engine, new, restored, tmp_path):
    assert engine.capabilities().backups
    source = new()
    engine.update_settings(source, {"memory_limit": "64M", "start_delay": 7, "autostart": True, "cpu_shares": 512})
    path = str(tmp_path / "backup.tar.zst")
    monitor = RecordingMonitor()

    made = engine.export_backup(source, path, comment="before the upgrade", monitor=monitor)

    assert isinstance(made, BackupArchive)
    assert (made.size_bytes, made.sha256) == (os.path.getsize(path), sha256_of(path))
    assert os.stat(path).st_mode & 0o777 == 0o600
    assert made.manifest["container"] == source and made.manifest["comment"] == "before the upgrade"
    assert made.source_bytes > made.manifest["rootfs_bytes"] > 0
    assert monitor.progress[-1] == 100 and monitor.progress == sorted(monitor.progress)
    assert engine.check_backup(path) == made.manifest
    name = _restore_name(restored)
    monitor = RecordingMonitor()
    assert engine.restore_backup(path, name, monitor=monitor).name == name
    assert monitor.progress[-1] == 100
    assert engine.state(name) == "STOPPED"
    assert engine.get_settings(name) == engine.get_settings(source)


def test_restoring_onto_a_taken_name_is_exists_and_changes_nothing(engine, stopped, running, tmp_path):
    path = str(tmp_path / "backup.tar.zst")
    engine.export_backup(stopped, path)
    with pytest.raises(ContainerExists):
        engine.restore_backup(path, running)
    assert engine.state(running) == "RUNNING"


@pytest.mark.parametrize("call", [
    lambda engine, path: engine.export_backup("../etc", path),
    lambda engine, path: engine.restore_backup(path, "../etc"),
    lambda engine, path: engine.restore_backup(path, "a b"),
])
def test_a_backup_name_outside_the_rule_is_invalid_name(engine, tmp_path, call):
    path = str(tmp_path / "backup.tar.zst")
    with pytest.raises(InvalidName):
        call(engine, path)
    assert not os.path.exists(path)


def test_backing_up_an_unknown_container_is_not_found_and_writes_nothing(engine, tmp_path):
    path = str(tmp_path / "backup.tar.zst")
    with pytest.raises(ContainerNotFound):
        engine.export_backup("contract-nobody", path)
    assert not os.path.exists(path)


def test_a_backup_never_overwrites_a_file(engine, stopped, tmp_path):
    path = tmp_path / "backup.tar.zst"
    path.write_text("kept")
    with pytest.raises(LWPError):
        engine.export_backup(stopped, str(path))
    assert path.read_text() == "kept"


@pytest.mark.parametrize("fixture", ["running", "frozen"])
def test_a_running_or_frozen_container_is_backed_up_and_left_as_it_was(engine, request, fixture, tmp_path):
    name = request.getfixturevalue(fixture)
    state = engine.state(name)
    path = str(tmp_path / "backup.tar.zst")
    made = engine.export_backup(name, path)
    assert engine.state(name) == state
    assert made.manifest["state"] == state and engine.check_backup(path)["container"] == name


def test_a_config_beyond_the_allowed_keys_is_restored_for_a_superuser_only(engine, restored, tmp_path):
    config = archive_support.CONFIG + "lxc.hook.pre-start = /bin/true\n"
    path = archive_support.write_crafted(tmp_path / "hook.tar.zst", archive_support.head(config=config))
    name = _restore_name(restored)
    with pytest.raises(InvalidArchive, match="lxc.hook.pre-start"):
        engine.check_backup(path)
    with pytest.raises(InvalidArchive, match="lxc.hook.pre-start"):
        engine.restore_backup(path, name)
    assert not engine.exists(name)
    assert engine.check_backup(path, trusted=True)["container"] == "crafted"
    engine.restore_backup(path, name, trusted=True)
    assert engine.state(name) == "STOPPED"


# ----- console -----------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["shell", "tty"])
def test_a_console_is_an_argv_for_a_running_container_or_refused_for_want_of_the_capability(engine, running, mode):
    if not engine.capabilities().console:
        with pytest.raises(InvalidInput):
            engine.console_command(running, mode)
        return
    argv = engine.console_command(running, mode)
    assert argv and all(isinstance(arg, str) for arg in argv) and os.path.isabs(argv[0])
    assert running in argv


@pytest.mark.parametrize("mode", ["shell", "tty"])
def test_a_console_of_a_stopped_or_frozen_container_is_invalid_state(engine, stopped, frozen, mode):
    for name, state in [(stopped, "STOPPED"), (frozen, "FROZEN")]:
        with pytest.raises(InvalidState, match=state):
            engine.console_command(name, mode)


@pytest.mark.parametrize("mode", ["bash", "", "SHELL", "shell\n", None, ["shell"]])
def test_an_unknown_console_mode_is_invalid_input_naming_mode(engine, running, mode):
    with pytest.raises(InvalidInput) as refusal:
        engine.console_command(running, mode)
    assert "mode" in refusal.value.fields


def test_a_console_of_a_name_outside_the_rule_or_unknown_is_refused(engine):
    with pytest.raises(InvalidName):
        engine.console_command("x;reboot", "shell")
    with pytest.raises(ContainerNotFound):
        engine.console_command("contract-nobody", "shell")
