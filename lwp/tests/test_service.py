"""`sh bin/lwp-service install` runs the panel as lwp.service, written for this checkout.

systemd is not PID 1 on the test VM: the tests check the unit as systemd-analyze reads it, run
install and uninstall into a DESTDIR with a systemctl that only records its arguments, and run
the installed unit's ExecStart with the settings install wrote, as systemd would.
"""

import os
import shlex
import signal
import stat
import subprocess


from lwp.tests.server_support import REPO, LwpRun, children, command_line, free_port_on, script_env

SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"  # what systemd gives a service
RECORDING_SYSTEMCTL = '#!/bin/sh\necho "$*" >> "$(dirname "$0")/calls"\n'


def service_script(*args, env, timeout=300):
    return subprocess.run(["sh", str(REPO / "bin/lwp-service"), *args], cwd="/", env=env,
                          capture_output=True, text=True, timeout=timeout)


def service_settings(unit_text):
    """{key: value} of the unit's [Service] section (the keys it sets once)."""
    section, found = None, {}
    for line in unit_text.splitlines():
        if line.startswith("["):
            section = line
        elif section == "[Service]" and "=" in line and not line.startswith("#"):
            key, _, value = line.partition("=")
            found[key] = value
    return found


def settings_file(path):
    """VAR='value' lines as systemd's EnvironmentFile= (and sh) read them."""
    found = {}
    for line in path.read_text().splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            found[key] = shlex.split(value)[0]
    return found


def recording_systemctl(directory):
    directory.mkdir()
    systemctl = directory / "systemctl"
    systemctl.write_text(RECORDING_SYSTEMCTL)
    systemctl.chmod(0o755)
    return directory / "calls"


def test_unit_runs_the_checkout_with_absolute_paths_and_passes_systemd_analyze(tmp_path):
    made = service_script("unit", env=dict(os.environ, LWP_STOP_GRACE="45"))
    assert made.returncode == 0, made.stderr
    unit = service_settings(made.stdout)

    assert unit["WorkingDirectory"] == str(REPO)
    assert unit["ExecStartPre"] == f"/bin/sh {REPO}/bin/lwp-prepare"
    assert unit["ExecStart"] == f"{REPO}/.venv/bin/python -m lwp.supervisor"
    assert unit["UMask"] == "0077"
    assert (unit["Restart"], unit["KillMode"]) == ("always", "process")
    assert unit["TimeoutStopSec"] == "75"  # the supervisor's grace first, then systemd's SIGKILL
    assert unit["EnvironmentFile"] == "-/etc/default/lwp"
    # bin/lwp-setup --test installs systemd (the package, not as PID 1) for systemd-analyze.
    (tmp_path / "lwp.service").write_text(made.stdout)
    verified = subprocess.run(["systemd-analyze", "verify", str(tmp_path / "lwp.service")],
                              capture_output=True, text=True, timeout=60)
    assert verified.returncode == 0, verified.stderr
    assert "lwp.service" not in verified.stderr


def test_install_prepares_writes_the_unit_and_settings_and_enables_it_whose_exec_start_serves(tmp_path, lxcpath):
    destdir, data_dir = tmp_path / "root", tmp_path / "data"
    calls = recording_systemctl(tmp_path / "bin")
    bind = f"127.0.0.1:{free_port_on('127.0.0.1')}"
    env = script_env(data_dir, bind, lxcpath, DESTDIR=str(destdir), LWP_JOB_WORKERS="1",
                     PATH=f"{tmp_path / 'bin'}:{os.environ['PATH']}")

    installed = service_script("install", env=env)

    assert installed.returncode == 0, installed.stdout + installed.stderr
    assert calls.read_text().splitlines() == ["daemon-reload", "enable --now lwp.service"]
    assert "Created the admin account 'admin'." in installed.stdout  # prepared: on the installer's terminal
    unit_file, settings = destdir / "etc/systemd/system/lwp.service", destdir / "etc/default/lwp"
    assert unit_file.read_text() == service_script("unit", env=env).stdout
    assert stat.S_IMODE(unit_file.stat().st_mode) == 0o644
    assert stat.S_IMODE(settings.stat().st_mode) == 0o600  # it may hold DATABASE_URL's password
    written = settings_file(settings)
    assert written["LWP_BIND"] == bind and written["LWP_DATA_DIR"] == str(data_dir)
    assert written["LWP_JOB_WORKERS"] == "1"
    assert "LWP_ADMIN_PASSWORD" not in written

    # The unit's ExecStart, in its WorkingDirectory, on the environment systemd would give it.
    exec_start = shlex.split(service_settings(unit_file.read_text())["ExecStart"])
    service = LwpRun({"PATH": SYSTEM_PATH, **written}, tmp_path / "service.log", command=exec_start).start()
    try:
        service.wait_listening()
        supervisor = service.process.pid
        assert [pid for pid in children(supervisor) if "manage.py lwpworker" in command_line(pid)], service.output
        os.kill(supervisor, signal.SIGTERM)
        assert service.wait_exit(60) == 0, service.output
    finally:
        service.stop()


def test_uninstall_disables_and_removes_the_unit_and_keeps_the_settings(tmp_path):
    destdir = tmp_path / "root"
    calls = recording_systemctl(tmp_path / "bin")
    unit_file, settings = destdir / "etc/systemd/system/lwp.service", destdir / "etc/default/lwp"
    unit_file.parent.mkdir(parents=True)
    settings.parent.mkdir(parents=True)
    unit_file.write_text("[Service]\n")
    settings.write_text("LWP_BIND='127.0.0.1:5000'\n")

    removed = service_script("uninstall", env=dict(os.environ, DESTDIR=str(destdir),
                                                   PATH=f"{tmp_path / 'bin'}:{os.environ['PATH']}"))

    assert removed.returncode == 0, removed.stderr
    assert calls.read_text().splitlines() == ["disable --now lwp.service", "daemon-reload"]
    assert not unit_file.exists()
    assert settings.read_text() == "LWP_BIND='127.0.0.1:5000'\n"
