"""Metrics for the API, the pages and Prometheus: history from the RRD files, current figures
from one engine pass. Reading any of it takes the view permission on containers."""

from containers import services as containers
from containers.services import VIEW, require_permission
from lwp.exceptions import ContainerNotFound
from metrics import prometheus, series, store


def container_history(*, name, user, range_name=None):
    """A container's series over `range_name` (the README's Metrics section); all null before its first sample."""
    require_permission(user, VIEW)
    range_name = store.parse_range(range_name)
    if not containers.get_engine().exists(name):
        raise ContainerNotFound(f"container {name!r} does not exist")
    return series.container_history(name, range_name)


def host_history(*, user, range_name=None):
    require_permission(user, VIEW)
    return series.host_history(store.parse_range(range_name))


def current_figures(*, user):
    """/metrics: every container's state and, for the running and frozen ones, their counters; the host's figures."""
    require_permission(user, VIEW)
    engine = containers.get_engine()
    summaries = engine.list_containers()
    usages = engine.usage([summary.name for summary in summaries if summary.state in ("RUNNING", "FROZEN")])
    return prometheus.exposition(summaries, usages, engine.host_usage())
