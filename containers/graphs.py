"""The Graphs section of the container and host pages: which charts, drawn from which series.

The series are those of the metrics routes (metrics/series.py); the browser side
(static/lwp-graphs.js, uPlot) fetches `source?range=...` and draws each chart.
"""

from dataclasses import dataclass

from django.urls import reverse

from metrics import store

# The page's range buttons: those the metrics routes accept, shortest first (hour, the default).
RANGES = tuple(store.RANGES)


@dataclass(frozen=True)
class Line:
    series: str  # its key in the JSON's "series"
    label: str  # its name in the chart's legend
    limit: bool = False  # a ceiling (a total), drawn dashed


@dataclass(frozen=True)
class Chart:
    title: str
    lines: tuple[Line, ...]


CONTAINER_CHARTS = (
    Chart("CPU", (Line("cpu_percent", "CPU (100 % = one CPU)"),)),
    Chart("Memory", (Line("memory_bytes", "memory"), Line("swap_bytes", "swap"))),
    Chart("Network", (Line("net_rx_bytes_per_s", "in"), Line("net_tx_bytes_per_s", "out"))),
    Chart("Disk I/O", (Line("disk_read_bytes_per_s", "read"), Line("disk_write_bytes_per_s", "write"))),
)

HOST_CHARTS = (
    Chart("Load", (Line("load1", "load (1 min)"),)),
    Chart("CPU", (Line("cpu_percent", "CPU (100 % = all CPUs)"),)),
    Chart("Memory", (Line("memory_used_bytes", "used"), Line("swap_used_bytes", "swap used"),
                     Line("memory_total_bytes", "total", limit=True))),
    Chart("Disk", (Line("disk_used_bytes", "used"), Line("disk_total_bytes", "total", limit=True))),
)


def _section(source, charts):
    """The template's context for the section: the JSON route, its ranges and the charts."""
    return {"source": source, "ranges": RANGES, "charts": charts,
            "links": [(name, f"{source}?range={name}") for name in RANGES]}


def container_graphs(name):
    return _section(reverse("metrics-api:container", args=[name]), CONTAINER_CHARTS)


def host_graphs():
    return _section(reverse("metrics-api:host"), HOST_CHARTS)
