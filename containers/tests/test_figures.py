from containers.figures import humanize_bytes, humanize_cpu_ns


def test_sizes_print_like_lxc_info():
    assert humanize_bytes(0) == "0 bytes"
    assert humanize_bytes(1024) == "1024 bytes"
    assert humanize_bytes(1025) == "1.00 KiB"
    assert humanize_bytes(937984) == "916.00 KiB"
    assert humanize_bytes(2118124) == "2.02 MiB"
    assert humanize_bytes(8032092) == "7.66 MiB"
    # lxc-info truncates GiB fractions: 1.5 GiB prints as 1.49
    assert humanize_bytes(3 * (1 << 30) // 2) == "1.49 GiB"


def test_missing_figures_stay_missing():
    assert humanize_bytes(None) is None
    assert humanize_cpu_ns(None) is None


def test_cpu_time_prints_like_lxc_info():
    assert humanize_cpu_ns(670_000_000) == "0.67 seconds"
    assert humanize_cpu_ns(0) == "0.00 seconds"
    assert humanize_cpu_ns(12_345_678_901) == "12.35 seconds"
