"""The data dir is root's alone: 0700, every file 0600, for a new install and an old one.

It holds the database (live session keys), the generated secrets and the TLS key; another
local account that could read any of them could take over an admin session.
"""

import os
from pathlib import Path

import pytest

from lwp.tests.server_support import ADMIN_PASSWORD, curl, free_port_on, lwp_run, manage, not_private, script_env


def old_install(data_dir, outside):
    """A data dir as earlier versions left it: 0755 dirs, 0644 files, and a symlink out of it."""
    for sub in ("", "locks", "static", "static/css"):
        (data_dir / sub).mkdir(exist_ok=True)
        os.chmod(data_dir / sub, 0o755)
    for name, text in {"secret_key": "old-secret-key-" + "x" * 40, "token_pepper": "old-pepper-" + "y" * 40,
                       "lwp.sqlite3": "", "locks/old.lock": "", "static/css/old.css": "body {}"}.items():
        (data_dir / name).write_text(text)
        os.chmod(data_dir / name, 0o644)
    outside.write_text("not LWP's")
    os.chmod(outside, 0o644)
    (data_dir / "link-out").symlink_to(outside)


def umask_of(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Umask:"):
            return int(line.split()[1], 8)
    raise AssertionError(f"no Umask line for {pid}")


def test_lwp_run_makes_an_old_install_private_and_serves_with_a_private_umask(tmp_path, lxcpath):
    data_dir, outside = tmp_path / "data", tmp_path / "outside.txt"
    data_dir.mkdir()
    old_install(data_dir, outside)
    port = free_port_on("127.0.0.1")
    env = script_env(data_dir, f"127.0.0.1:{port}", lxcpath)

    with lwp_run(env, tmp_path / "lwp-run.log") as server:
        token = manage(env, "createtoken", "--user", "admin").stdout.strip()
        answer = curl("--fail", "--header", f"private-token: {token}", f"http://127.0.0.1:{port}/api/v1/containers")
        assert answer.returncode == 0, answer.stderr  # the workers opened and used the database
        umasks = {pid: umask_of(pid) for pid in server.pids()}
        # The supervisor, gunicorn's master and its 2 workers, and the 2 job workers.
        assert len(umasks) == 6, server.output
        assert set(umasks.values()) == {0o077}
        assert not_private(data_dir) == {}  # while it serves: its own -wal/-shm included

    assert not_private(data_dir) == {}
    # It made what it needs (so the walk above saw real files) and kept the old secret.
    assert (data_dir / "secret_key").read_text() == "old-secret-key-" + "x" * 40
    assert any((data_dir / "static/admin").rglob("*.css"))
    assert (data_dir / "lwp.sqlite3").stat().st_size > 0
    # A symlink is not followed: what it points to, outside the data dir, keeps its mode.
    assert outside.stat().st_mode & 0o777 == 0o644
    assert ADMIN_PASSWORD not in server.output  # chosen by LWP_ADMIN_PASSWORD, so never printed


@pytest.mark.parametrize("command", [["migrate", "--noinput"], ["collectstatic", "--noinput"]])
@pytest.mark.parametrize("install", ["new", "old"])
def test_a_management_command_alone_leaves_the_data_dir_private(tmp_path, lxcpath, command, install):
    data_dir = tmp_path / "data"
    if install == "old":
        data_dir.mkdir()
        old_install(data_dir, tmp_path / "outside.txt")
    env = script_env(data_dir, "127.0.0.1:5000", lxcpath)

    done = manage(env, *command, timeout=120)

    assert done.returncode == 0, done.stderr
    assert not_private(data_dir) == {}
    made = data_dir / ("lwp.sqlite3" if command[0] == "migrate" else "static/admin/css/base.css")
    assert made.stat().st_size > 0
