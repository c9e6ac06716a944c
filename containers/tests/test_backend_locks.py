"""Container locks: a lock file lives only while its lock is held, and exclusion still holds.

One bulk request over 1,000 names that never existed used to leave 1,000 lock files.
The holder now unlinks its file before letting go; an acquirer checks, once it has the
flock, that the path still leads to the file it locked (else it starts again).
"""

import os
import subprocess

import pytest

from containers.engines.lxc.locks import ContainerLocks
from containers.tests.lxc_support import adhoc, new_name, run_python, write_template
from lwp.exceptions import ContainerBusy, ContainerNotFound, TemplateFailed

__all__ = ["adhoc"]

pytestmark = pytest.mark.django_db


def lock_files(locks):
    return sorted(os.listdir(locks.directory)) if os.path.isdir(locks.directory) else []


def test_operations_on_names_that_never_existed_leave_no_lock_files(other_backend):
    for number in range(60):
        name = f"nope-{number}"
        for call in (other_backend.start, other_backend.freeze, other_backend.destroy,
                     lambda n: other_backend.stop(n, timeout=0),
                     lambda n: other_backend.update_settings(n, {"autostart": True})):
            with pytest.raises(ContainerNotFound):
                call(name)
    assert lock_files(other_backend.locks) == []


def test_bulk_request_over_many_unknown_names_leaves_no_lock_files(client, users, backend):
    names = [f"never-{number}" for number in range(300)]
    client.force_login(users.dave)
    response = client.post("/dashboard/bulk/", {"action": "start", "names": names, "next": "/"})
    assert response.status_code == 302
    assert not set(lock_files(backend.locks)) & {f"{name}.lock" for name in names}
    assert not backend.exists(names[0])


def test_failed_and_successful_creates_leave_no_lock_files(other_backend, adhoc):
    write_template(other_backend.templates_dir, "fails", "echo 'no such release' >&2\nexit 1\n")
    failed, made = new_name(adhoc), new_name(adhoc)
    with pytest.raises(TemplateFailed):
        other_backend.create(failed, template="fails")
    other_backend.create(made, template="busybox")
    clone = new_name(adhoc)
    other_backend.clone(made, clone)
    assert lock_files(other_backend.locks) == []
    other_backend.destroy(clone)
    other_backend.destroy(made)
    assert lock_files(other_backend.locks) == []


def test_lock_file_exists_only_while_held_and_is_held_sees_it(tmp_path):
    locks = ContainerLocks(tmp_path / "locks", "/some/lxcpath")
    with locks.hold(["web", "db"], wait=0) as held:
        assert sorted(lock.name for lock in held) == ["db", "web"]
        assert lock_files(locks) == ["db.lock", "web.lock"]
        assert locks.is_held("web") and locks.is_held("db")
    assert lock_files(locks) == []
    assert not locks.is_held("web")


def test_busy_container_keeps_its_holders_file_and_leaves_none_of_its_own(tmp_path):
    locks = ContainerLocks(tmp_path / "locks", "/some/lxcpath")
    with locks.hold(["web"], wait=0):
        with pytest.raises(ContainerBusy), locks.hold(["free", "web"], wait=0.2):
            pass
        assert lock_files(locks) == ["web.lock"]  # "free" was let go and removed, "web" kept
    assert lock_files(locks) == []


def test_stale_file_of_a_killed_holder_is_taken_over_and_removed(tmp_path):
    locks = ContainerLocks(tmp_path / "locks", "/some/lxcpath")
    holder = run_python(f"""
from containers.engines.lxc.locks import ContainerLocks
import time
with ContainerLocks({str(tmp_path / "locks")!r}, "/some/lxcpath").hold(["web"], wait=0):
    print("held", flush=True)
    time.sleep(60)
""")
    assert holder.stdout.readline().strip() == "held", holder.stderr.read()
    holder.kill()
    holder.wait(10)
    assert lock_files(locks) == ["web.lock"] and not locks.is_held("web")  # the kernel freed the lock
    with locks.hold(["web"], wait=0):
        assert locks.is_held("web")
    assert lock_files(locks) == []


CONTENDER = """
import os, sys
from containers.engines.lxc.locks import ContainerLocks
locks = ContainerLocks({lock_dir!r}, "/some/lxcpath")
for _ in range({rounds}):
    with locks.hold(["shared"], wait=60):
        # Only one holder at a time may be here: O_EXCL fails if another one is inside too.
        inside = os.open({inside!r}, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        with open({counter!r}) as fh:
            count = int(fh.read() or 0)
        with open({counter!r}, "w") as fh:
            fh.write(str(count + 1))
        os.close(inside)
        os.unlink({inside!r})
"""


def test_processes_exclude_each_other_while_lock_files_come_and_go(tmp_path):
    counter, inside = tmp_path / "counter", tmp_path / "inside"
    counter.write_text("0")
    rounds, contenders = 300, 4
    code = CONTENDER.format(lock_dir=str(tmp_path / "locks"), rounds=rounds, inside=str(inside),
                            counter=str(counter))
    processes = [run_python(code) for _ in range(contenders)]
    try:
        errors = [process.communicate(timeout=120)[1] for process in processes]
    except subprocess.TimeoutExpired:
        for process in processes:
            process.kill()
        raise
    assert [process.returncode for process in processes] == [0] * contenders, errors
    assert int(counter.read_text()) == rounds * contenders  # no increment lost: never two holders
    assert lock_files(ContainerLocks(tmp_path / "locks", "/some/lxcpath")) == []
