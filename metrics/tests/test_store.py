"""The RRD files: fixed size, private, named by validated names only, and read as the routes' series."""

import os
import stat

import pytest

from containers.engines.types import HostUsage, Usage
from lwp.exceptions import InvalidInput, InvalidName
from metrics import series, store

NOW = 1_800_000_000  # a multiple of every archive's step


def usage(name, second, **figures):
    values = dict(cpu_ns=second * 250_000_000, memory_bytes=64 << 20, swap_bytes=1 << 20, rx_bytes=second * 1000,
                  tx_bytes=second * 10, blkio_read_bytes=second * 4096, blkio_write_bytes=0)
    return Usage(name=name, **{**values, **figures})


def host(second):
    return HostUsage(load1=0.5, load5=0.4, load15=0.3, cpus=4, cpu_busy_ns=second * 2_000_000_000,
                     cpu_total_ns=second * 4_000_000_000, memory_total_bytes=8 << 30, memory_used_bytes=2 << 30,
                     swap_total_bytes=1 << 30, swap_used_bytes=0, disk_total_bytes=100 << 30,
                     disk_used_bytes=10 << 30)


def fill(name, seconds, start=NOW - 600):
    for second in range(seconds):
        assert store.record_container(usage(name, second), start + second)


def test_the_file_has_the_same_size_after_one_sample_and_after_many(metrics_dir):
    fill("web", 1)
    size = os.path.getsize(store.container_path("web"))
    fill("web", 500, start=NOW - 500)
    assert os.path.getsize(store.container_path("web")) == size


def test_files_are_private_and_named_after_the_container(metrics_dir):
    fill("web.1", 2)
    path = store.container_path("web.1")
    assert path == metrics_dir / "containers" / "web.1.rrd"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(path.parent).st_mode) == 0o700


@pytest.mark.parametrize("name", ["../host", "a/b", "", ".hidden", "x" * 65])
def test_a_name_that_is_not_a_container_name_makes_no_path(metrics_dir, name):
    with pytest.raises(InvalidName):
        store.container_path(name)


def test_counters_are_drawn_as_rates_and_gauges_as_they_are(metrics_dir):
    fill("web", 120)
    answer = series.container_history("web", "hour", now=NOW)
    known = [index for index, value in enumerate(answer["series"]["cpu_percent"]) if value is not None]
    assert len(known) == 119  # the first sample only sets the counters
    assert {answer["series"]["cpu_percent"][index] for index in known} == {25.0}  # 0.25 s of CPU per second
    assert {answer["series"]["net_rx_bytes_per_s"][index] for index in known} == {1000.0}
    assert {answer["series"]["disk_read_bytes_per_s"][index] for index in known} == {4096.0}
    assert {answer["series"]["memory_bytes"][index] for index in known} == {float(64 << 20)}
    assert answer["step"] == 1 and answer["end"] == NOW
    assert answer["timestamps"][0] == answer["start"] + 1
    assert all(b - a == 1 for a, b in zip(answer["timestamps"], answer["timestamps"][1:]))
    assert answer["units"]["cpu_percent"] == "percent" and answer["units"]["memory_bytes"] == "bytes"
    assert set(answer["max"]) == set(answer["series"]) == set(series.CONTAINER_SERIES)


def test_a_counter_that_goes_back_is_a_gap_not_a_negative_rate(metrics_dir):
    fill("web", 10)
    store.record_container(usage("web", 0), NOW - 600 + 10)  # restarted: its counters begin again
    answer = series.container_history("web", "hour", now=NOW)
    rates = [value for value in answer["series"]["cpu_percent"] if value is not None]
    assert rates and min(rates) >= 0


def test_the_day_range_averages_and_keeps_the_maximum_per_minute(metrics_dir):
    start = NOW - 600
    for second in range(300):
        memory = (100 if second % 60 == 30 else 10) << 20  # one peak a minute
        store.record_container(usage("web", second, memory_bytes=memory), start + second)
    answer = series.container_history("web", "day", now=NOW)
    assert answer["step"] == 60
    averages = [value for value in answer["series"]["memory_bytes"] if value is not None]
    peaks = [value for value in answer["max"]["memory_bytes"] if value is not None]
    assert len(averages) >= 4
    assert all(value == 100 << 20 for value in peaks)
    assert all(10 << 20 < value < 12 << 20 for value in averages)


@pytest.mark.parametrize("range_name,step,points", [
    ("week", 1800, 7 * 48), ("month", 1800, 30 * 48), ("year", 21600, 365 * 4)])
def test_each_range_reads_its_own_archive(metrics_dir, range_name, step, points):
    fill("web", 5)
    answer = series.container_history("web", range_name, now=NOW)
    assert answer["step"] == step
    assert abs(len(answer["timestamps"]) - points) <= 1
    assert all(len(values) == len(answer["timestamps"]) for values in answer["series"].values())


def test_no_history_yet_is_all_null_on_the_same_grid(metrics_dir):
    answer = series.container_history("new", "hour", now=NOW)
    assert len(answer["timestamps"]) == 3600 and answer["end"] == NOW
    assert all(value is None for values in answer["series"].values() for value in values)
    assert not store.container_path("new").exists()  # reading makes no file


def test_the_host_series_give_cpu_percent_of_all_cpus(metrics_dir):
    for second in range(30):
        assert store.record_host(host(second), NOW - 100 + second)
    answer = series.host_history("hour", now=NOW)
    cpu = [value for value in answer["series"]["cpu_percent"] if value is not None]
    assert cpu and set(cpu) == {50.0}  # 2 of 4 CPUs busy
    assert {value for value in answer["series"]["memory_total_bytes"] if value is not None} == {float(8 << 30)}
    assert set(answer["series"]) == set(series.HOST_SERIES)


def test_a_second_sample_in_the_same_second_is_refused_not_raised(metrics_dir):
    assert store.record_container(usage("web", 1), NOW)
    assert store.record_container(usage("web", 2), NOW) is False


def test_forget_and_prune_remove_the_history(metrics_dir):
    for name in ("keep", "gone", "also-gone"):
        fill(name, 1)
    assert store.forget_container("also-gone") is True
    assert store.forget_container("also-gone") is False
    assert store.prune({"keep"}) == ["gone"]
    assert store.known_containers() == ["keep"]


@pytest.mark.parametrize("value", ["decade", "HOUR", "1h", " day"])
def test_a_range_not_offered_is_invalid(value):
    with pytest.raises(InvalidInput) as raised:
        store.parse_range(value)
    assert "range" in raised.value.fields


def test_no_range_is_the_hour():
    assert store.parse_range(None) == store.parse_range("") == "hour"


def test_a_file_rrdtool_cannot_read_reads_as_no_history(metrics_dir):
    store.container_path("web").parent.mkdir(parents=True)
    store.container_path("web").write_bytes(b"not an RRD file")
    answer = series.container_history("web", "day", now=NOW)
    assert answer["step"] == 60 and len(answer["timestamps"]) == 1440
    assert all(value is None for value in answer["series"]["memory_bytes"])
