"""Each container operation once, for the API, the HTML views, the admin and commands.

Keyword-only arguments; each function checks the user's permission on the
Container model, calls the container engine (containers.engines.get_engine(), a
ContainerEngine), and records what the panel owns.
"""

import functools
import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from containers.engines import get_engine
from containers.engines.types import ContainerInfo, ContainerSettings, ContainerSummary
from containers.models import Container
from containers.vocabulary import BROKEN, POWER_ACTIONS
from lwp.exceptions import BrokenConfig, ContainerNotFound, InvalidInput, InvalidName, InvalidState, LWPError, PermissionDenied
from metrics import store as metrics_store
from operations import audit, jobs, workers
from operations.jobs import job_kind

log = logging.getLogger("lwp.containers")

VIEW = "containers.view_container"
CHANGE = "containers.change_container"
ADD = "containers.add_container"
DELETE = "containers.delete_container"


def require_permission(user, permission):
    if user is None or not user.is_active or not user.has_perm(permission):
        action = permission.split(".")[1].split("_")[0]
        raise PermissionDenied(f"you do not have permission to {action} containers")


@dataclass(frozen=True)
class Done:
    """A change made right away: its value (a state, settings) and the operation that records it."""

    value: object
    operation: object


@dataclass(frozen=True)
class ContainerRow:
    """A listed container: live state from the engine joined with the panel's metadata."""

    name: str
    state: str
    error: str
    metadata: Container | None
    summary: ContainerSummary | None = None  # with details: ipv4, memory_bytes, autostart


def list_containers(*, user, details=False):
    """All containers with state and metadata: one engine pass and one query.

    details=True adds IPv4 addresses, memory use and autostart (the dashboard's columns).
    """
    require_permission(user, VIEW)
    summaries = get_engine().list_containers(details=details)
    metadata = {c.name: c for c in Container.objects.select_related("created_by")}
    return [ContainerRow(name=s.name, state=s.state, error=s.error, metadata=metadata.get(s.name),
                         summary=s) for s in summaries]


def get_container_info(*, name, user):
    require_permission(user, VIEW)
    return get_engine().info(name)


def _metadata(name):
    return Container.objects.select_related("created_by").filter(name=name).first()


@dataclass(frozen=True)
class EditableSettings:
    """A container's settings with its description (the panel's metadata), and what a change did."""

    settings: ContainerSettings
    description: str
    changed: list = field(default_factory=list)
    restart_needed: bool = False


def _editable(stored, metadata, **outcome):
    return EditableSettings(settings=stored, description=metadata.description if metadata else "", **outcome)


def get_container_settings(*, name, user):
    require_permission(user, VIEW)
    return _editable(get_engine().get_settings(name), _metadata(name))


@dataclass(frozen=True)
class ContainerDetail:
    """What a container's page shows, each part read once; a part that could not be read is None
    and its reason is in `problems` (a broken config, liblxc down), so the page still shows."""

    info: ContainerInfo | None
    settings: EditableSettings | None
    config: str | None
    metadata: Container | None
    clone_stores: list
    snapshots: list | None = None
    problems: list = field(default_factory=list)
    console: bool = False  # the engine opens consoles (capability console)


def get_container_detail(*, name, user, with_settings=True):
    """Figures, settings (unless the page already has them), config, snapshots, metadata and clone stores.

    An unknown container, a bad name or a refused permission raise; other errors become problems.
    """
    require_permission(user, VIEW)
    engine = get_engine()
    metadata = _metadata(name)
    problems = []
    info = _read_or_note(lambda: engine.info(name), problems)
    settings_now = None
    if with_settings:
        stored = _read_or_note(lambda: engine.get_settings(name), problems)
        settings_now = _editable(stored, metadata) if stored is not None else None
    config = _read_or_note(lambda: engine.raw_config(name), problems)
    snapshots = _read_or_note(lambda: engine.snapshots(name), problems)
    return ContainerDetail(info=info, settings=settings_now, config=config, metadata=metadata,
                           clone_stores=engine.clone_stores(), snapshots=snapshots, problems=problems,
                           console=engine.capabilities().console)


def _read_or_note(read, problems):
    try:
        return read()
    except (ContainerNotFound, InvalidName):
        raise
    except LWPError as error:
        problems.append(error.message)
        return None


def perform_action(*, name, action, user, origin=None, timeout=None, force=False):
    """start / stop / freeze / unfreeze / restart; Done with the state the engine reports after it."""
    if action not in POWER_ACTIONS:
        raise InvalidInput(f"unknown action {str(action)[:40]!r}; use one of {', '.join(POWER_ACTIONS)}",
                           fields={"action": f"must be one of {', '.join(POWER_ACTIONS)}"})
    require_permission(user, CHANGE)
    engine = get_engine()
    if action in ("stop", "restart"):
        work = functools.partial(getattr(engine, action), name, timeout=timeout, force=force)
    else:
        work = functools.partial(getattr(engine, action), name)
    state, operation = jobs.run_now(kind=action, container=name, user=user, origin=origin,
                                    params={"timeout": timeout, "force": force}, work=work)
    log.info("%s: %s by %s -> %s", name, action, user, state)
    return Done(state, operation)


def create_container(*, name, template, user, origin=None, store="dir", extra_args=(), description="",
                     wait=True):
    """Create from a template in the worker; returns its Operation (finished, with wait).

    Everything the arguments alone can tell is checked here first, so a bad request is
    refused before any operation exists; the result holds the name and the template's output.
    """
    require_permission(user, ADD)
    _check_template_offered(template, user)
    store = store or "dir"
    args = get_engine().check_create(name, template=template, store=store, args=extra_args,
                                     trusted=user.is_superuser)
    params = {"template": template, "store": store, "args": list(args), "trusted": user.is_superuser,
              "description": description}
    return jobs.submit(kind="create", container=name, user=user, origin=origin, params=params, wait=wait)


def clone_container(*, source, name, user, origin=None, store=None, description="", wait=True):
    """Clone in the worker; returns its Operation (finished, with wait)."""
    require_permission(user, ADD)
    get_engine().check_clone(source, name, store=store or None)
    params = {"source": source, "store": store or None, "description": description}
    return jobs.submit(kind="clone", container=name, user=user, origin=origin, params=params, wait=wait)


def destroy_container(*, name, user, origin=None, force=False, wait=True):
    """Destroy (with its snapshots) in the worker; returns its Operation (finished, with wait)."""
    require_permission(user, DELETE)
    engine = get_engine()
    # Refused now rather than in the worker: unknown, broken or running without force.
    try:
        state = engine.state(name)
    except BrokenConfig:
        if not force:
            raise
        state = BROKEN
    if state not in ("STOPPED", BROKEN) and not force:
        raise InvalidState(f"container {name!r} is {state}; stop it first or ask for a forced delete")
    return jobs.submit(kind="destroy", container=name, user=user, origin=origin, params={"force": force},
                       wait=wait)


def _note_target(job):
    """Remember whether the target existed before the job: an interrupted job undoes only what it made."""
    job.remember(target_existed=get_engine().exists(job.operation.container))
    return job.operation.params


def _undo_make(operation):
    """After a worker died creating or cloning: remove the container unless it was there before
    or the panel already recorded it as made."""
    if operation.params.get("target_existed", True):
        return
    name = operation.container
    if Container.objects.filter(name=name).exists() or not get_engine().exists(name):
        return
    get_engine().destroy(name, force=True)


@job_kind("create", undo=_undo_make)
def _create_job(job):
    params, name = _note_target(job), job.operation.container
    job.log(f"LWP: creating {name!r} from template {params['template']!r} (store {params['store']})")
    result = get_engine().create(name, template=params["template"], store=params["store"], args=params["args"],
                                 trusted=params["trusted"], monitor=job)
    _record_creation(name=name, user=job.operation.user, template=params["template"],
                     description=params["description"])
    job.log(f"LWP: created {name!r}")
    log.info("%s: created from template %s by %s", name, params["template"], job.operation.username)
    return {"name": result.name, "output": result.output}


@job_kind("clone", undo=_undo_make)
def _clone_job(job):
    """A clone of a stopped container, or of one of its snapshots (containers.snapshots)."""
    params, name = _note_target(job), job.operation.container
    source, snapshot = params["source"], params.get("snapshot")
    clone_of = Container.clone_origin(source, snapshot)
    job.log(f"LWP: cloning {clone_of!r} as {name!r}" + (f" (store {params['store']})" if params["store"] else ""))
    if snapshot:
        result = get_engine().clone_snapshot(source, snapshot, name, monitor=job)
    else:
        result = get_engine().clone(source, name, store=params["store"], monitor=job)
    _record_creation(name=name, user=job.operation.user, clone_of=clone_of, description=params["description"])
    job.log(f"LWP: cloned {clone_of!r} as {name!r}")
    log.info("%s: cloned from %s by %s", name, clone_of, job.operation.username)
    return {"name": result.name, "output": result.output}


def _record_creation(*, name, user, template="", clone_of="", description=""):
    # A new container (made, cloned or restored) starts its own history, even under a name
    # whose container was destroyed behind the panel's back.
    metrics_store.forget_container(name)
    Container.objects.update_or_create(name=name, defaults={
        "template": template, "clone_of": clone_of, "created_by": user,
        "created_at": timezone.now(), "description": description,
    })


@job_kind("destroy")
def _destroy_job(job):
    name = job.operation.container
    job.log(f"LWP: destroying {name!r} and its snapshots" + (" (stopping it first)" if job.operation.params["force"] else ""))
    get_engine().destroy(name, force=job.operation.params["force"], with_snapshots=True, monitor=job)
    Container.objects.filter(name=name).delete()
    metrics_store.forget_container(name)
    job.log(f"LWP: destroyed {name!r}")
    log.info("%s: destroyed by %s", name, job.operation.username)
    return {"name": name}


def update_container_settings(*, name, user, changes, origin=None):
    """Save container settings and/or the description; Done with the EditableSettings that now
    hold, what changed (the description last) and whether a restart applies the change."""
    require_permission(user, CHANGE)
    changes = dict(changes)
    editable, operation = jobs.run_now(kind="settings", container=name, user=user, origin=origin,
                                       params={"fields": sorted(changes)},
                                       work=lambda: _save_settings(name, changes))
    return Done(editable, operation)


def _save_settings(name, changes):
    description = changes.pop("description", None)
    if changes:
        result = get_engine().update_settings(name, changes)
        stored, changed, restart_needed = result.settings, list(result.changed), result.restart_needed
    else:  # the settings still answer, and an unknown container is refused before its description is kept
        stored, changed, restart_needed = get_engine().get_settings(name), [], False
    metadata = _metadata(name)
    if description is not None:
        before = metadata.description if metadata else ""
        with transaction.atomic():
            metadata, _ = Container.objects.update_or_create(name=name, defaults={"description": description})
        if description != before:
            changed.append("description")
    return _editable(stored, metadata, changed=changed, restart_needed=restart_needed)


def names_on_host(*, user):
    """The names of the containers that exist on this host (one engine pass)."""
    require_permission(user, VIEW)
    return {summary.name for summary in get_engine().list_containers()}


def forget_orphaned_metadata(*, names, user, origin=None):
    """Delete the metadata of those `names` whose container is gone; returns the names deleted.

    A container destroyed behind the panel's back (lxc-destroy) leaves its row: it would
    otherwise pass its creator and description on to a new container of the same name.
    """
    require_permission(user, DELETE)
    orphans = sorted(set(names) - names_on_host(user=user))
    Container.objects.filter(name__in=orphans).delete()
    for name in orphans:
        metrics_store.forget_container(name)
        audit.record_event(action="container.forget_metadata", target=name, user=user, origin=origin)
    return orphans


def list_templates(*, user):
    """The templates `user` may create from: the one list the API, the panel and the checks use.

    LWP_TEMPLATES (default: the vetted ones) limits what is offered at all; a template the
    engine does not vet can read host files or run a config of the user's choosing, so only a
    superuser, already root-equivalent, is offered one.
    """
    return list(_offered_templates(user))


def _offered_templates(user):
    """{template: its options, or None where unvetted} of the templates offered to `user`."""
    require_permission(user, VIEW)
    engine = get_engine()
    options = {template: engine.template_options(template) for template in engine.templates()}
    vetted = {template for template, allowed in options.items() if allowed is not None}
    wanted = settings.LWP_TEMPLATES if settings.LWP_TEMPLATES is not None else vetted
    return {template: allowed for template, allowed in options.items()
            if template in wanted and (template in vetted or user.is_superuser)}


@dataclass(frozen=True)
class TemplateChoices:
    """What `user` may create from: {template: the options it accepts, or None where a superuser
    may give any}, and the backing stores."""

    arguments: dict
    stores: list

    @property
    def templates(self):
        return list(self.arguments)


def template_choices(*, user):
    return TemplateChoices(arguments=_offered_templates(user), stores=get_engine().backing_stores())


def creation_choices(*, user):
    """The template choices for someone about to create a container: refused without the permission."""
    require_permission(user, ADD)
    return template_choices(user=user)


def _check_template_offered(template, user):
    offered = list_templates(user=user)
    if template not in offered:
        shown = template[:80] if isinstance(template, str) else type(template).__name__
        message = f"{shown!r} is not offered here; choose one of: {', '.join(offered) or 'none'}"
        raise InvalidInput(f"template {message}", fields={"template": message})


def list_clone_stores(*, user):
    """Backing stores a clone can use (with "overlay", an overlay clone, where the engine offers it)."""
    require_permission(user, VIEW)
    return get_engine().clone_stores()


def get_host_info(*, user):
    require_permission(user, VIEW)
    return get_engine().host_info()


def check_host(*, user):
    """What the engine says this host needs for containers (for liblxc: what lxc-checkconfig checks),
    and whether a worker runs the long operations."""
    require_permission(user, VIEW)
    return [*get_engine().host_checks(), workers.worker_checks()]
