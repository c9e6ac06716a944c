"""The LXC backend: the only package that talks to liblxc (see core.py)."""

import functools

from containers.backend.core import LXCBackend
from containers.backend.template_args import VETTED_TEMPLATES, allowed_options
from containers.backend.types import (
    ContainerInfo, ContainerSettings, ContainerSummary, CreateResult, HostInfo,
    NetworkInterface, SettingsResult,
)

__all__ = [
    "ContainerInfo", "ContainerSettings", "ContainerSummary", "CreateResult",
    "HostInfo", "LXCBackend", "NetworkInterface", "SettingsResult", "get_backend",
    "VETTED_TEMPLATES", "allowed_options",
]


@functools.cache
def get_backend():
    """The backend configured by Django settings (built on first use, not at import)."""
    from django.conf import settings  # noqa: PLC0415

    return LXCBackend(
        settings.LWP_LXC_PATH,
        lock_dir=settings.LWP_LOCK_DIR,
        templates_dir=settings.LWP_TEMPLATES_DIR,
        lock_wait=settings.LWP_LOCK_WAIT,
        create_timeout=settings.LWP_CREATE_TIMEOUT,
        stop_timeout=settings.LWP_STOP_TIMEOUT,
    )
