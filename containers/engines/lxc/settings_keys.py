"""The LXC config keys behind the settings users edit, for the host's cgroup version.

LWP's old editor wrote LXC 1.x keys (lxc.network.*, lxc.cgroup.* on any host) and
left containers unable to start on LXC 5. These are the LXC 5 keys: lxc.cgroup.*
on a cgroup v1 host, lxc.cgroup2.* on a cgroup v2 host.
"""

KEYS = {
    1: {
        "memory_limit": "lxc.cgroup.memory.limit_in_bytes",
        "memory_and_swap": "lxc.cgroup.memory.memsw.limit_in_bytes",
        "cpuset": "lxc.cgroup.cpuset.cpus",
        "cpu_shares": "lxc.cgroup.cpu.shares",
    },
    2: {
        "memory_limit": "lxc.cgroup2.memory.max",
        "swap_limit": "lxc.cgroup2.memory.swap.max",
        "cpuset": "lxc.cgroup2.cpuset.cpus",
        "cpu_weight": "lxc.cgroup2.cpu.weight",
    },
}
AUTOSTART = "lxc.start.auto"
START_DELAY = "lxc.start.delay"
START_ORDER = "lxc.start.order"
NETWORK_LINK = "lxc.net.0.link"


def shares_to_weight(shares):
    """cgroup v1 cpu.shares (2..262144) -> v2 cpu.weight (1..10000), as runc maps it."""
    return 1 + ((shares - 2) * 9999) // 262142


def weight_to_shares(weight):
    return 2 + ((weight - 1) * 262142) // 9999


def config_items(settings, cgroup_version):
    """The (key, value-or-None) pairs that store `settings`; None clears the key."""
    keys = KEYS[cgroup_version]
    memory, swap = settings.memory_limit, settings.swap_limit
    items = [(keys["memory_limit"], str(memory) if memory is not None else None)]
    if cgroup_version == 1:
        total = memory + swap if memory is not None and swap is not None else None
        items.append((keys["memory_and_swap"], str(total) if total is not None else None))
        items.append((keys["cpu_shares"], str(settings.cpu_shares) if settings.cpu_shares else None))
    else:
        items.append((keys["swap_limit"], str(swap) if swap is not None else None))
        weight = shares_to_weight(settings.cpu_shares) if settings.cpu_shares else None
        items.append((keys["cpu_weight"], str(weight) if weight else None))
    items.append((keys["cpuset"], settings.cpuset or None))
    items += [
        (AUTOSTART, "1" if settings.autostart else "0"),
        (START_DELAY, str(settings.start_delay)),
        (START_ORDER, str(settings.start_order)),
    ]
    if settings.network_link:
        items.append((NETWORK_LINK, settings.network_link))
    return items
