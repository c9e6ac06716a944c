"""TEMPORARY (issue 13, until the `fastfigures` branch is merged): usage() and host_usage() for
engines that do not have them yet, read the slow way (info() forks per container).

Replaced at merge by the engines' own fork-free usage()/host_usage(): delete this module and
call engine.usage() / engine.host_usage() directly in metrics/sampler.py.
"""

import logging
import os

from containers.engines.types import HostUsage, Usage
from lwp.exceptions import LWPError

log = logging.getLogger("lwp.metrics")
USER_HZ_NS = 1_000_000_000 // os.sysconf("SC_CLK_TCK")


def usage(engine, names=None):
    if hasattr(engine, "usage"):
        return engine.usage(names)
    wanted = None if names is None else set(names)
    found = {}
    for summary in engine.list_containers():
        if summary.state != "RUNNING" or (wanted is not None and summary.name not in wanted):
            continue
        try:
            info = engine.info(summary.name)
        except LWPError as exc:  # gone meanwhile, or hung past its deadline: left out
            log.warning("%s: figures not read: %s", summary.name, exc)
            continue
        found[info.name] = Usage(name=info.name, cpu_ns=info.cpu_ns, memory_bytes=info.memory_bytes,
                                 swap_bytes=None, rx_bytes=info.rx_bytes, tx_bytes=info.tx_bytes,
                                 blkio_read_bytes=info.blkio_bytes, blkio_write_bytes=None)
    return found


def host_usage(engine):
    if hasattr(engine, "host_usage"):
        return engine.host_usage()
    info = engine.host_info()
    with open("/proc/stat") as fh:
        ticks = [int(value) for value in fh.readline().split()[1:]]
    idle = ticks[3] + ticks[4]  # idle and iowait
    with open("/proc/meminfo") as fh:
        meminfo = {line.split(":")[0]: int(line.split()[1]) * 1024 for line in fh}
    return HostUsage(load1=info.load[0], load5=info.load[1], load15=info.load[2], cpus=info.cpus,
                     cpu_busy_ns=(sum(ticks) - idle) * USER_HZ_NS, cpu_total_ns=sum(ticks) * USER_HZ_NS,
                     memory_total_bytes=info.memory_total, memory_used_bytes=info.memory_used,
                     swap_total_bytes=meminfo.get("SwapTotal", 0),
                     swap_used_bytes=meminfo.get("SwapTotal", 0) - meminfo.get("SwapFree", 0),
                     disk_total_bytes=info.disk_total, disk_used_bytes=info.disk_used)
