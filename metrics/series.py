"""The JSON routes' series (the README's Metrics section), drawn from the stored data sources."""

from metrics import store

NS_PER_SECOND = 1e9


def _scaled(ds, factor=1.0):
    def series(column):
        if factor == 1.0:
            return column[ds]
        return [None if value is None else value * factor for value in column[ds]]
    return series


def _host_cpu_percent(column):
    # busy CPU ns per second over all CPUs: 100 % when every CPU is busy
    return [None if busy is None or not cpus else busy / (cpus * NS_PER_SECOND) * 100
            for busy, cpus in zip(column["cpu_busy_ns"], column["cpus"])]


# series name -> (unit, how it is computed from the columns of one consolidation)
CONTAINER_SERIES = {
    "cpu_percent": ("percent", _scaled("cpu_ns", 100 / NS_PER_SECOND)),  # of one CPU = 100
    "memory_bytes": ("bytes", _scaled("memory")),
    "swap_bytes": ("bytes", _scaled("swap")),
    "net_rx_bytes_per_s": ("bytes/s", _scaled("net_rx")),
    "net_tx_bytes_per_s": ("bytes/s", _scaled("net_tx")),
    "disk_read_bytes_per_s": ("bytes/s", _scaled("disk_read")),
    "disk_write_bytes_per_s": ("bytes/s", _scaled("disk_write")),
}
HOST_SERIES = {
    "load1": ("load", _scaled("load1")),
    "cpu_percent": ("percent", _host_cpu_percent),  # of all CPUs = 100
    "memory_used_bytes": ("bytes", _scaled("memory_used")),
    "memory_total_bytes": ("bytes", _scaled("memory_total")),
    "swap_used_bytes": ("bytes", _scaled("swap_used")),
    "disk_used_bytes": ("bytes", _scaled("disk_used")),
    "disk_total_bytes": ("bytes", _scaled("disk_total")),
}


def answer(fetched, range_name, table):
    """The routes' body: the time grid, and each series from the AVERAGE and the MAX archives."""
    return {
        "status": "ok", "range": range_name, "step": fetched.step, "start": fetched.start, "end": fetched.end,
        "timestamps": fetched.timestamps,
        "series": {name: compute(fetched.columns["AVERAGE"]) for name, (_, compute) in table.items()},
        "units": {name: unit for name, (unit, _) in table.items()},
        "max": {name: compute(fetched.columns["MAX"]) for name, (_, compute) in table.items()},
    }


def container_history(name, range_name, now=None):
    fetched = store.fetch(store.container_path(name), store.CONTAINER_SOURCES, range_name, now)
    return answer(fetched, range_name, CONTAINER_SERIES)


def host_history(range_name, now=None):
    return answer(store.fetch(store.host_path(), store.HOST_SOURCES, range_name, now), range_name, HOST_SERIES)
