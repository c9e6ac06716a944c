"""Container engines: the contract (base.py) and its implementations (lxc/, fake.py).

Services reach an engine only through get_engine(); surfaces never import an engine.
"""

import functools


@functools.cache
def get_engine():
    """The engine configured by Django settings (built on first use, not at import)."""
    from django.conf import settings  # noqa: PLC0415
    from containers.engines.lxc.engine import LXCEngine  # noqa: PLC0415 - imports liblxc's helpers

    return LXCEngine(
        settings.LWP_LXC_PATH,
        lock_dir=settings.LWP_LOCK_DIR,
        templates_dir=settings.LWP_TEMPLATES_DIR,
        lock_wait=settings.LWP_LOCK_WAIT,
        create_timeout=settings.LWP_CREATE_TIMEOUT,
        stop_timeout=settings.LWP_STOP_TIMEOUT,
        backup_timeout=settings.LWP_BACKUP_TIMEOUT,
        backup_max_bytes=settings.LWP_BACKUP_MAX_BYTES,
    )
