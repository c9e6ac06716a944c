"""Small formatting filters for the panel's templates."""

from django import template

from containers.backend import humanize_bytes

register = template.Library()

# State -> badge colour class (see static/lwp.css).
BADGES = {"RUNNING": "ok", "STOPPED": "off", "FROZEN": "info", "BROKEN": "bad"}


@register.filter
def size(value):
    """Bytes as lxc-info prints them ('7.66 MiB'); a dash when unknown."""
    return humanize_bytes(value) if value is not None else "—"


@register.filter
def badge(state):
    return BADGES.get(state, "busy")


@register.filter
def duration(seconds):
    """Uptime in the largest two units: '3d 4h', '2h 5m', '40s'."""
    seconds = int(seconds or 0)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [(days, "d"), (hours, "h"), (minutes, "m"), (secs, "s")]
    shown = [f"{n}{unit}" for n, unit in parts if n][:2]
    return " ".join(shown) or "0s"


@register.filter
def percent(used, total):
    return round(100 * used / total) if total else 0


@register.filter
def checkbadge(status):
    """Host check status -> badge colour class."""
    return {"ok": "ok", "warning": "busy", "missing": "bad"}.get(status, "off")
