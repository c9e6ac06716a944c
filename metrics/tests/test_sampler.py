"""The sampler on real containers: its series agree with lxc-info, a stopped container leaves a
gap, one worker samples at a time, and a container's history lives and dies with it."""

import subprocess
import threading
import time

import pytest

from containers.tests.lxc_support import lxc_info
from metrics import sampler, series, store

pytestmark = pytest.mark.django_db
BUSY_SECONDS = 8


def sample_each_second(seconds, reference=None):
    """A pass at each of the next `seconds` whole seconds, with `reference()` read right after it."""
    read = {}
    for _ in range(seconds):
        tick = sampler.next_tick(time.time(), 1)
        time.sleep(max(0.0, tick - time.time()))
        done = sampler.sample_once(tick)
        assert done.timestamp == tick and done.recorded >= 1
        if reference is not None:
            read[tick] = reference()
    return read


def raw_figures(lxcpath, name):
    fields = lxc_info(lxcpath, name, "-H")
    return {"cpu_ns": int(fields["CPU use"][0]), "memory": int(fields["Memory use"][0])}


def spin(lxcpath, name):
    """One CPU kept busy inside the container for BUSY_SECONDS."""
    return subprocess.Popen(["lxc-attach", "-P", lxcpath, "-n", name, "--", "timeout", str(BUSY_SECONDS),
                             "sh", "-c", "while :; do :; done"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def at(answer, name, moment):
    return answer["series"][name][answer["timestamps"].index(moment)]


def test_a_running_containers_series_agree_with_lxc_info_and_a_stop_is_a_gap(
        backend, make_container, metrics_dir, lxcpath):
    name = make_container("met", start=True)
    busy = spin(lxcpath, name)
    try:
        time.sleep(0.5)
        running = sample_each_second(5, lambda: raw_figures(lxcpath, name))
    finally:
        busy.wait(timeout=BUSY_SECONDS + 10)
    backend.stop(name, force=True)
    stopped = sample_each_second(4)
    backend.start(name)
    again = sample_each_second(3)

    answer = series.container_history(name, "hour")
    moments = sorted(running)
    for before, moment in zip(moments, moments[1:]):
        expected = (running[moment]["cpu_ns"] - running[before]["cpu_ns"]) / (moment - before) / 1e7
        assert at(answer, "cpu_percent", moment) == pytest.approx(expected, abs=15), moment
        assert at(answer, "cpu_percent", moment) > 10  # the busy loop (on a shared, busy test host)
        assert at(answer, "memory_bytes", moment) == pytest.approx(running[moment]["memory"], rel=0.1)
        assert at(answer, "net_rx_bytes_per_s", moment) >= 0
    for moment in stopped:
        assert at(answer, "cpu_percent", moment) is None and at(answer, "memory_bytes", moment) is None
    later = sorted(again)[1:]  # the first pass after the start only sets the counters again
    assert all(at(answer, "memory_bytes", moment) for moment in later)
    assert all(at(answer, "cpu_percent", moment) is not None for moment in later)
    host = series.host_history("hour")
    assert all(at(host, "cpu_percent", moment) is not None for moment in moments[1:])


def test_a_stopped_container_gets_no_file_and_the_host_one_does(make_container, metrics_dir):
    name = make_container("met")
    sample_each_second(1)
    assert not store.container_path(name).exists()
    assert store.host_path().exists()


def test_one_sampler_at_a_time_and_the_next_takes_over(metrics_dir):
    first, second = sampler.SamplerLock(), sampler.SamplerLock()
    assert first.acquire() and first.acquire()
    assert not second.acquire()
    first.release()
    assert second.acquire()
    second.release()


def test_the_workers_sampler_thread_samples_on_each_tick_until_stopped(backend, make_container, metrics_dir):
    name = make_container("met", start=True)
    stop = threading.Event()
    thread = threading.Thread(target=sampler.run, args=(stop,))
    thread.start()
    time.sleep(3.5)
    stop.set()
    thread.join(timeout=5)
    assert not thread.is_alive()
    answer = series.container_history(name, "hour")
    assert sum(value is not None for value in answer["series"]["memory_bytes"]) >= 2


def test_a_destroyed_container_takes_its_history_and_a_new_one_of_its_name_starts_empty(
        api, users, tokens, backend, make_container, metrics_dir):
    name = make_container("met", start=True)
    sample_each_second(2)
    assert store.container_path(name).exists()
    response = api("DELETE", f"/api/v1/containers/{name}?force=1", token=tokens.erin)
    assert response.status_code == 200, response.body
    assert not store.container_path(name).exists()

    store.container_path(name).write_bytes(b"left by an lxc-destroy behind the panel's back")
    response = api("PUT", "/api/v1/containers/", token=tokens.erin, data={"name": name, "template": "busybox"})
    assert response.status_code == 200, response.body
    assert not store.container_path(name).exists()
    backend.destroy(name, force=True)


def test_the_clean_up_of_orphaned_metadata_and_the_prune_remove_histories(
        users, backend, make_container, metrics_dir):
    from containers import services  # noqa: PLC0415
    from containers.models import Container  # noqa: PLC0415

    name, kept = make_container("met"), make_container("met")
    for each in (name, kept, "never-here"):
        store.container_path(each).parent.mkdir(parents=True, exist_ok=True)
        store.container_path(each).write_bytes(b"x")
    Container.objects.create(name=name)
    backend.destroy(name)
    assert services.forget_orphaned_metadata(names=[name], user=users.alice) == [name]
    assert not store.container_path(name).exists()
    assert sampler.prune() == ["never-here"]
    assert store.known_containers() == [kept]


def test_the_worker_samples_the_host_into_the_data_dir(live_app, transactional_db):
    """The app's own workers (manage.py lwpworker, as bin/lwp-run starts them) run the sampler."""
    from django.conf import settings  # noqa: PLC0415

    from operations.tests.test_worker_jobs import wait_until  # noqa: PLC0415

    def memory_drawn():  # from the second sample on: the first one's step began before the file
        return any(series.host_history("hour")["series"]["memory_total_bytes"])

    assert wait_until(memory_drawn, timeout=settings.LWP_METRICS_INTERVAL * 4)
    assert (settings.LWP_METRICS_DIR / "host.rrd").exists()  # the workers' data dir is this test run's
