"""Create, clone and destroy on real liblxc: results, refusals, and nothing left after a failure."""

import os

import pytest

from lwp.exceptions import (
    ContainerExists, InvalidInput, InvalidName, InvalidState, TemplateFailed,
)
from containers.tests.lxc_support import (
    adhoc, leaves_nothing, listed, new_name, raw_container, set_raw_config, write_template,
)

__all__ = ["adhoc"]  # the fixture, imported for the tests below

ARGV_TEMPLATE = r"""
prev=""
for arg in "$@"; do
  [ "$prev" = "--path" ] && path="$arg"
  case "$arg" in --path=*) path="${arg#--path=}";; esac
  prev="$arg"
done
mkdir -p "$path/rootfs"
for arg in "$@"; do printf '%s\0' "$arg"; done > "$path/argv"
"""


def config_of(backend, name):
    with open(os.path.join(backend.lxcpath, name, "config")) as fh:
        return fh.read()


# ----- create ---------------------------------------------------------------------------


def test_create_from_busybox_on_dir_store_gives_a_stopped_container(backend, adhoc):
    name = new_name(adhoc)
    result = backend.create(name, template="busybox", store="dir")
    assert result.name == name
    assert listed(backend)[name].state == "STOPPED"
    config = config_of(backend, name)
    assert f"lxc.rootfs.path = dir:{os.path.join(backend.lxcpath, name, 'rootfs')}" in config
    assert "# Template used to create this container: /usr/share/lxc/templates/lxc-busybox" in config
    assert os.path.isfile(os.path.join(backend.lxcpath, name, "rootfs", "bin", "busybox"))


def test_template_arguments_reach_the_template_as_separate_argv_entries(other_backend, adhoc, tmp_path):
    write_template(other_backend.templates_dir, "argv", ARGV_TEMPLATE)
    canary = tmp_path / "shell-ran"
    args = ["--flag", "two words", f"; touch {canary}", f"$(touch {canary})", "*", "line\nbreak"]
    name = new_name(adhoc)
    other_backend.create(name, template="argv", args=args, trusted=True)
    with open(os.path.join(other_backend.lxcpath, name, "argv"), "rb") as fh:
        argv = fh.read().decode().split("\0")[:-1]
    assert argv[-len(args):] == args
    assert not canary.exists()


def test_bad_template_argument_fails_with_its_output_and_leaves_nothing(backend, adhoc):
    name = new_name(adhoc)
    with pytest.raises(TemplateFailed) as failure:  # a superuser's free argument to an unvetted template
        backend.create(name, template="local", args=["--no-such-option"], trusted=True)
    assert "no-such-option" in failure.value.output  # getopt's complaint, from the template
    assert "local" in failure.value.message
    assert leaves_nothing(backend, name)


def test_create_with_a_taken_name_is_refused_and_keeps_the_first(backend, make_container):
    name = make_container()
    before = config_of(backend, name)
    with pytest.raises(ContainerExists, match=name):
        backend.create(name, template="busybox")
    assert config_of(backend, name) == before
    assert listed(backend)[name].state == "STOPPED"


@pytest.mark.parametrize("bad", ["../x", "a;b", "$(x)", "a\nb", "web\n", "x" * 65, "", "-x", ".hidden",
                                 "a/b", "a b", None])
def test_invalid_names_are_refused_before_liblxc_sees_them(backend, bad):
    with pytest.raises(InvalidName) as refusal:
        backend.create(bad, template="busybox")
    assert "name" in refusal.value.fields
    assert not os.path.lexists(os.path.join(backend.lxcpath, "x"))


def test_longest_valid_name_is_accepted(backend, adhoc):
    name = new_name(adhoc)[:8] + "x" * 56
    adhoc.append(name)
    backend.create(name, template="busybox")
    assert listed(backend)[name].state == "STOPPED"


@pytest.mark.parametrize(("field", "kwargs"), [
    ("template", {"template": "no-such-template"}),
    ("template", {"template": "../busybox"}),
    ("store", {"template": "busybox", "store": "no-such-store"}),
])
def test_unknown_template_or_store_is_invalid_input_naming_the_field(backend, adhoc, field, kwargs):
    name = new_name(adhoc)
    with pytest.raises(InvalidInput) as refusal:
        backend.create(name, **kwargs)
    assert list(refusal.value.fields) == [field]
    assert leaves_nothing(backend, name)


def test_template_arguments_must_be_a_list_of_strings(backend, adhoc):
    name = new_name(adhoc)
    with pytest.raises(InvalidInput) as refusal:
        backend.create(name, template="busybox", args="--busybox-path /usr/bin/busybox")
    assert "xargs" in refusal.value.fields
    assert leaves_nothing(backend, name)


# ----- clone ----------------------------------------------------------------------------


def test_clone_of_a_stopped_container_is_a_separate_container(backend, make_container, adhoc):
    source = make_container()
    name = new_name(adhoc)
    backend.clone(source, name)
    containers = listed(backend)
    assert containers[name].state == "STOPPED"
    assert containers[source].state == "STOPPED"
    assert f"dir:{os.path.join(backend.lxcpath, name, 'rootfs')}" in config_of(backend, name)
    assert backend.start(name) == "RUNNING"


def test_overlay_clone_runs_and_goes_without_touching_its_source(backend, make_container, adhoc):
    source = make_container()
    name = new_name(adhoc)
    backend.clone(source, name, store="overlay")
    assert "lxc.rootfs.path = overlay:" in config_of(backend, name)
    assert backend.start(name) == "RUNNING"
    backend.destroy(name, force=True)
    assert leaves_nothing(backend, name)
    assert listed(backend)[source].state == "STOPPED"


def test_clone_of_a_running_container_is_invalid_state(backend, make_container, adhoc):
    source = make_container(start=True)
    name = new_name(adhoc)
    with pytest.raises(InvalidState, match="RUNNING"):
        backend.clone(source, name)
    assert leaves_nothing(backend, name)
    assert backend.state(source) == "RUNNING"


def test_clone_onto_an_existing_container_is_refused(backend, make_container):
    source, target = make_container(), make_container()
    before = config_of(backend, target)
    with pytest.raises(ContainerExists, match=target):
        backend.clone(source, target)
    assert config_of(backend, target) == before


def test_failed_clone_leaves_nothing(backend, make_container, adhoc):
    source = make_container()
    # A clone hook that fails makes liblxc give up after it copied the rootfs.
    set_raw_config(backend.lxcpath, source, [("lxc.hook.clone", "/bin/false")])
    name = new_name(adhoc)
    with pytest.raises(TemplateFailed):
        backend.clone(source, name)
    assert leaves_nothing(backend, name)
    assert listed(backend)[source].state == "STOPPED"


# ----- destroy --------------------------------------------------------------------------


def test_destroy_of_a_stopped_container_removes_it(backend, make_container):
    name = make_container()
    backend.destroy(name)
    assert leaves_nothing(backend, name)
    assert not backend.exists(name)


def test_destroy_of_a_running_container_needs_force(backend, make_container):
    name = make_container(start=True)
    with pytest.raises(InvalidState, match="RUNNING"):
        backend.destroy(name)
    assert backend.state(name) == "RUNNING"
    backend.destroy(name, force=True)
    assert leaves_nothing(backend, name)


def test_forced_destroy_of_a_frozen_container_removes_it(backend, make_container):
    name = make_container(start=True)
    backend.freeze(name)
    with pytest.raises(InvalidState, match="FROZEN"):
        backend.destroy(name)
    backend.destroy(name, force=True)
    assert leaves_nothing(backend, name)


def test_destroy_removes_the_containers_snapshots(backend, make_container):
    name = make_container()
    raw = raw_container(backend.lxcpath, name)
    assert raw.snapshot() and raw.snapshot()
    assert len(raw.snapshot_list()) == 2
    snapshot_dirs = [os.path.join(backend.lxcpath, name, "snaps", snap[0]) for snap in raw.snapshot_list()]
    assert all(os.path.isdir(path) for path in snapshot_dirs)
    backend.destroy(name)
    assert leaves_nothing(backend, name)
    assert not any(os.path.lexists(path) for path in snapshot_dirs)


def test_destroy_keeping_snapshots_refuses_and_keeps_everything(backend, make_container):
    name = make_container()
    assert raw_container(backend.lxcpath, name).snapshot()
    with pytest.raises(InvalidState, match="snapshot"):
        backend.destroy(name, with_snapshots=False)
    assert len(raw_container(backend.lxcpath, name).snapshot_list()) == 1
    assert listed(backend)[name].state == "STOPPED"
