"""Prometheus' text exposition format (version 0.0.4) of the current figures, for GET /metrics.

Written out here rather than through prometheus_client: a dozen families, one pass, and no
registry living between requests.
"""

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
NS_PER_SECOND = 1e9

# (whose, family, type, the field of a Usage or of the HostUsage, help); nanoseconds are given in seconds
FAMILIES = (
    ("container", "lwp_container_cpu_seconds_total", "counter", "cpu_ns", "CPU time used by the container"),
    ("container", "lwp_container_memory_bytes", "gauge", "memory_bytes", "Memory used by the container"),
    ("container", "lwp_container_swap_bytes", "gauge", "swap_bytes", "Swap used by the container"),
    ("container", "lwp_container_network_receive_bytes_total", "counter", "rx_bytes", "Bytes received by the container"),
    ("container", "lwp_container_network_transmit_bytes_total", "counter", "tx_bytes", "Bytes sent by the container"),
    ("container", "lwp_container_block_read_bytes_total", "counter", "blkio_read_bytes", "Bytes read from block devices"),
    ("container", "lwp_container_block_write_bytes_total", "counter", "blkio_write_bytes",
     "Bytes written to block devices"),
    ("host", "lwp_host_load1", "gauge", "load1", "Load average over 1 minute"),
    ("host", "lwp_host_load5", "gauge", "load5", "Load average over 5 minutes"),
    ("host", "lwp_host_load15", "gauge", "load15", "Load average over 15 minutes"),
    ("host", "lwp_host_cpus", "gauge", "cpus", "CPUs of the host"),
    ("host", "lwp_host_cpu_busy_seconds_total", "counter", "cpu_busy_ns", "CPU time spent busy, all CPUs"),
    ("host", "lwp_host_cpu_seconds_total", "counter", "cpu_total_ns", "CPU time, all CPUs"),
    ("host", "lwp_host_memory_total_bytes", "gauge", "memory_total_bytes", "Memory of the host"),
    ("host", "lwp_host_memory_used_bytes", "gauge", "memory_used_bytes", "Memory used (total less available)"),
    ("host", "lwp_host_swap_total_bytes", "gauge", "swap_total_bytes", "Swap of the host"),
    ("host", "lwp_host_swap_used_bytes", "gauge", "swap_used_bytes", "Swap used"),
    ("host", "lwp_host_disk_total_bytes", "gauge", "disk_total_bytes", "Size of the filesystem holding the containers"),
    ("host", "lwp_host_disk_used_bytes", "gauge", "disk_used_bytes", "Used space on that filesystem"),
)


def _label(value):
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _number(value):
    return repr(float(value)) if isinstance(value, float) else str(value)


def _family(lines, family, kind, text, samples):
    lines += [f"# HELP {family} {text}", f"# TYPE {family} {kind}"]
    lines += [f"{family}{labels} {_number(value)}" for labels, value in samples]


def _figure(sample, field):
    value = getattr(sample, field)
    return value / NS_PER_SECOND if value is not None and field.endswith("_ns") else value


def exposition(summaries, usages, host):
    """The text for `summaries` (every container), `usages` (the running ones) and the host."""
    lines = []
    _family(lines, "lwp_container_state", "gauge", "The container's state (as liblxc says it), always 1",
            [(f'{{name="{_label(s.name)}",state="{_label(s.state)}"}}', 1) for s in summaries])
    _family(lines, "lwp_container_running", "gauge", "1 when the container runs, else 0",
            [(f'{{name="{_label(s.name)}"}}', int(s.state == "RUNNING")) for s in summaries])
    for whose, family, kind, field, text in FAMILIES:
        samples = ([("", _figure(host, field))] if whose == "host" else
                   [(f'{{name="{_label(name)}"}}', _figure(usage, field)) for name, usage in sorted(usages.items())])
        _family(lines, family, kind, text, [(labels, value) for labels, value in samples if value is not None])
    return "\n".join(lines) + "\n"
