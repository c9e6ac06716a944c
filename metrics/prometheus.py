"""Prometheus' text exposition format (version 0.0.4) of the current figures, for GET /metrics.

Written out here rather than through prometheus_client: a dozen families, one pass, and no
registry living between requests.
"""

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
NS_PER_SECOND = 1e9

# (family, type, help, the Usage field, scale)
CONTAINER_FAMILIES = (
    ("lwp_container_cpu_seconds_total", "counter", "CPU time used by the container", "cpu_ns", 1 / NS_PER_SECOND),
    ("lwp_container_memory_bytes", "gauge", "Memory used by the container", "memory_bytes", 1),
    ("lwp_container_swap_bytes", "gauge", "Swap used by the container", "swap_bytes", 1),
    ("lwp_container_network_receive_bytes_total", "counter", "Bytes received by the container", "rx_bytes", 1),
    ("lwp_container_network_transmit_bytes_total", "counter", "Bytes sent by the container", "tx_bytes", 1),
    ("lwp_container_block_read_bytes_total", "counter", "Bytes read from block devices", "blkio_read_bytes", 1),
    ("lwp_container_block_write_bytes_total", "counter", "Bytes written to block devices", "blkio_write_bytes", 1),
)
HOST_FAMILIES = (
    ("lwp_host_load1", "gauge", "Load average over 1 minute", "load1", 1),
    ("lwp_host_load5", "gauge", "Load average over 5 minutes", "load5", 1),
    ("lwp_host_load15", "gauge", "Load average over 15 minutes", "load15", 1),
    ("lwp_host_cpus", "gauge", "CPUs of the host", "cpus", 1),
    ("lwp_host_cpu_busy_seconds_total", "counter", "CPU time spent busy, all CPUs", "cpu_busy_ns", 1 / NS_PER_SECOND),
    ("lwp_host_cpu_seconds_total", "counter", "CPU time, all CPUs", "cpu_total_ns", 1 / NS_PER_SECOND),
    ("lwp_host_memory_total_bytes", "gauge", "Memory of the host", "memory_total_bytes", 1),
    ("lwp_host_memory_used_bytes", "gauge", "Memory used (total less available)", "memory_used_bytes", 1),
    ("lwp_host_swap_total_bytes", "gauge", "Swap of the host", "swap_total_bytes", 1),
    ("lwp_host_swap_used_bytes", "gauge", "Swap used", "swap_used_bytes", 1),
    ("lwp_host_disk_total_bytes", "gauge", "Size of the filesystem holding the containers", "disk_total_bytes", 1),
    ("lwp_host_disk_used_bytes", "gauge", "Used space of the filesystem holding the containers",
     "disk_used_bytes", 1),
)


def _label(value):
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _number(value):
    return repr(float(value)) if isinstance(value, float) else str(value)


def _family(lines, family, kind, text, samples):
    lines += [f"# HELP {family} {text}", f"# TYPE {family} {kind}"]
    lines += [f"{family}{labels} {_number(value)}" for labels, value in samples]


def _scaled(value, scale):
    return value if scale == 1 else value * scale


def exposition(summaries, usages, host):
    """The text for `summaries` (every container), `usages` (the running ones) and the host."""
    lines = []
    _family(lines, "lwp_container_state", "gauge", "The container's state (as liblxc says it), always 1",
            [(f'{{name="{_label(s.name)}",state="{_label(s.state)}"}}', 1) for s in summaries])
    _family(lines, "lwp_container_running", "gauge", "1 when the container runs, else 0",
            [(f'{{name="{_label(s.name)}"}}', int(s.state == "RUNNING")) for s in summaries])
    for family, kind, text, field, scale in CONTAINER_FAMILIES:
        _family(lines, family, kind, text,
                [(f'{{name="{_label(name)}"}}', _scaled(getattr(usage, field), scale))
                 for name, usage in sorted(usages.items()) if getattr(usage, field) is not None])
    for family, kind, text, field, scale in HOST_FAMILIES:
        _family(lines, family, kind, text, [("", _scaled(getattr(host, field), scale))])
    return "\n".join(lines) + "\n"
