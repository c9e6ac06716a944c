"""Helpers for the backend tests: lxc-info as the reference, clean-up of ad-hoc containers."""

import contextlib
import os
import shutil
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from containers.engines.lxc.container_ops import wait_until
from containers.engines.lxc.engine import load_lxc
from testing import playground

REPO = Path(__file__).resolve().parents[2]


def lxc_info(lxcpath, name, *, raw=False):
    """`lxc-info -P lxcpath -n name` as {label: [values]} (IP and Link may repeat); with raw, the
    figures as plain numbers (-H: nanoseconds, bytes)."""
    out = subprocess.run(["lxc-info", "-P", lxcpath, "-n", name, *(["-H"] if raw else [])], capture_output=True,
                         text=True, timeout=30, check=True).stdout
    fields = {}
    for line in out.splitlines():
        label, _, value = line.partition(":")
        fields.setdefault(label.strip(), []).append(value.strip())
    return fields


def listed(backend):
    return {summary.name: summary for summary in backend.list_containers()}


def leaves_nothing(backend, name):
    """True when `name` has no directory in the lxcpath and is not listed."""
    return not os.path.lexists(os.path.join(backend.lxcpath, name)) and name not in listed(backend)


def raw_container(lxcpath, name):
    """python3-lxc's own object, for what the tests do behind the backend's back."""
    return load_lxc().Container(name, lxcpath)


def set_raw_config(lxcpath, name, items):
    container = raw_container(lxcpath, name)
    for key, value in items:
        assert container.set_config_item(key, value), key
    assert container.save_config()


def write_template(directory, name, body):
    """An executable template lxc-NAME (a shell script) in `directory`."""
    path = Path(directory) / f"lxc-{name}"
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


def run_python(code, *, timeout=60, **kwargs):
    """Run a Python snippet in a fresh interpreter with the repository importable."""
    env = dict(os.environ, PYTHONPATH=str(REPO), DJANGO_SETTINGS_MODULE="testing.settings")
    return subprocess.Popen([sys.executable, "-c", code], cwd=REPO, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kwargs)


def process_gone(pid, timeout=5):
    """True once pid no longer exists (or is a zombie nobody waits for)."""
    def gone():
        try:
            return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] == "Z"
        except (OSError, IndexError):
            return True
    return wait_until(gone, timeout)


@pytest.fixture
def adhoc(backend):
    """Names of containers a test creates itself; destroyed after it, whatever happened."""
    names = []
    yield names
    for name in names:
        with contextlib.suppress(Exception):
            if backend.exists(name):
                backend.destroy(name, force=True)
        directory = os.path.join(backend.lxcpath, name)
        if os.path.isdir(directory):
            shutil.rmtree(directory, ignore_errors=True)


def new_name(adhoc, prefix="t"):
    name = playground.unique_name(prefix)
    adhoc.append(name)
    return name


def wait_for_ipv4(backend, name, timeout=20, *, ipv6=None):
    """The container's info once DHCP gave it an IPv4 address (and `ipv6` passed DAD)."""
    def has_addresses():
        info = backend.info(name)
        return info if info.ipv4 and (ipv6 is None or ipv6 in info.ipv6) else None
    info = wait_until(has_addresses, timeout, interval=0.2)
    assert info, f"{name} got no DHCP address (or not {ipv6}) within {timeout} s"
    return info


def elapsed(fn, *args, **kwargs):
    """(seconds fn took, its result or the exception it raised)."""
    started = time.monotonic()
    try:
        result = fn(*args, **kwargs)
    except Exception as exc:  # noqa: BLE001 - the caller asserts on it
        result = exc
    return time.monotonic() - started, result
