"""The browser panel: thin views over containers.services.

Every view needs a signed-in user and every change is a POST. Errors the services
raise become messages or form errors (report_error), a refused permission the 403
page, a missing container on its own page the 404 page: never a server error.
htmx only enhances: each form also works as a plain POST that redirects back.
"""

import functools
from collections import Counter
from dataclasses import dataclass
from urllib.parse import urlsplit

from csp.constants import NONCE
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from containers import consoles, graphs, services, snapshots
from containers.filtersets import ContainerFilterSet
from containers.forms import (
    ActionForm, BulkActionForm, CloneForm, CreateForm, DeleteForm, NewNameForm, RestoreSnapshotForm, SettingsForm,
    SnapshotForm, snapshot_row_form,
)
from lwp import exceptions, ws
from operations import services as operation_services
from operations.origin import panel_origin

# Order of the state counts on the dashboard; others follow alphabetically.
STATE_ORDER = ("RUNNING", "FROZEN", "STOPPED")


def panel_view(view):
    """Sign-in required; the services' PermissionDenied shown as the 403 page (a refused write
    is recorded in the audit log by operations.middleware.RefusedWritesMiddleware)."""

    @login_required
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except exceptions.PermissionDenied as exc:
            raise PermissionDenied(exc.message) from None

    return wrapper


def report_error(request, error, form=None):
    """A service error beside the form fields it names, above the form, or as a message."""
    if form is None:
        messages.error(request, error.message)
        return
    if not error.fields:
        form.add_error(None, error.message)
    for field, message in error.fields.items():
        target = form.field_for(field)
        form.add_error(target, message if target else f"{field}: {message}")


def redirect_back(request, fallback):
    """Back to the same-site `next` the form carried; htmx table forms get the fresh table."""
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        target = fallback
    parts = urlsplit(target)
    if request.headers.get("HX-Request") and parts.path == reverse("containers:dashboard"):
        target = reverse("containers:table") + (f"?{parts.query}" if parts.query else "")
    return redirect(target)


# ----- dashboard ------------------------------------------------------------------------


def _state_counts(rows):
    counts = Counter(row.state for row in rows)
    ordered = [s for s in STATE_ORDER if s in counts] + sorted(s for s in counts if s not in STATE_ORDER)
    return [(state, counts[state]) for state in ordered]


def _dashboard_context(request):
    rows = services.list_containers(user=request.user, details=True)
    filterset = ContainerFilterSet(request.GET or None, rows=rows)
    query = request.GET.urlencode()
    return {
        "filterset": filterset,
        "rows": filterset.qs,
        "total": len(rows),
        "counts": _state_counts(rows),
        "host": services.get_host_info(user=request.user),
        "running": operation_services.running_operations(user=request.user),
        "query": query,
        "here": reverse("containers:dashboard") + (f"?{query}" if query else ""),
        # The prefix of every container's URLs: reversing two URLs per row would cost more than the row.
        "container_base": reverse("containers:detail", args=["x"]).removesuffix("x/"),
    }


@require_GET
@panel_view
def dashboard(request):
    return render(request, "containers/dashboard.html", _dashboard_context(request))


@require_GET
@panel_view
def table(request):
    """The dashboard's live part (table, counts, host card, messages), polled by htmx."""
    response = render(request, "containers/dashboard_fragment.html", _dashboard_context(request))
    if request.headers.get("HX-Trigger") == "filters":
        # A search typed in the filter box: keep it in the address bar for reloads.
        query = request.GET.urlencode()
        response["HX-Replace-Url"] = reverse("containers:dashboard") + (f"?{query}" if query else "")
    return response


@require_POST
@panel_view
def action(request, name):
    form = ActionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "unknown action")
        return redirect_back(request, reverse("containers:detail", args=[name]))
    _act_and_report(request, name, form.cleaned_data["action"])
    return redirect_back(request, reverse("containers:detail", args=[name]))


def _act_and_report(request, name, verb):
    """Run one power action; its outcome becomes a message."""
    run_and_report(request, name, lambda: services.perform_action(
        name=name, action=verb, user=request.user, origin=panel_origin(request)),
        lambda done: f"{verb} done, now {done.value}")


def run_and_report(request, name, run, said):
    """Run a short change on `name`; its outcome becomes a message, said(its value) when it
    succeeded (a 403 still stops everything)."""
    try:
        value = run()
    except exceptions.PermissionDenied:
        raise
    except exceptions.LWPError as error:
        messages.error(request, f"{name}: {error.message}")
    else:
        messages.success(request, f"{name}: {said(value)}")


@require_POST
@panel_view
def bulk_action(request):
    """One action on every selected row; each container's result is its own message."""
    form = BulkActionForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, "; ".join(errors))
        return redirect_back(request, reverse("containers:dashboard"))
    for name in form.cleaned_data["names"]:
        _act_and_report(request, name, form.cleaned_data["action"])
    return redirect_back(request, reverse("containers:dashboard"))


# ----- one container --------------------------------------------------------------------


@dataclass(frozen=True)
class SnapshotRow:
    """A snapshot on the container's page with its forms; `failed`: the form a failed POST left open."""

    snapshot: object
    restore_form: RestoreSnapshotForm
    clone_form: NewNameForm
    failed: str = ""


def _snapshot_rows(request, taken, failed=None):
    """The page's rows of `taken` snapshots (None: unreadable); `failed` = (snapshot, action, form)
    shows in its row, or as messages when there is no such row (a snapshot gone or never there)."""
    rows = []
    for snapshot in taken or ():
        forms = {"restore": snapshot_row_form(RestoreSnapshotForm, snapshot.name),
                 "clone": snapshot_row_form(NewNameForm, snapshot.name)}
        action = ""
        if failed and failed[0] == snapshot.name:
            _, action, forms[action] = failed
        rows.append(SnapshotRow(snapshot, forms["restore"], forms["clone"], action))
    if failed and not any(row.failed for row in rows):
        for errors in failed[2].errors.values():
            messages.error(request, f"{failed[0]}: {'; '.join(errors)}")
    return rows if taken is not None else None


def render_detail(request, name, *, settings_form=None, clone_form=None, delete_form=None, snapshot_form=None,
                  snapshot_failed=None, status=200):
    """The container's page; a form given (a failed POST) is shown as it is, not read again."""
    try:
        detail = services.get_container_detail(name=name, user=request.user, with_settings=settings_form is None)
    except (exceptions.ContainerNotFound, exceptions.InvalidName):
        raise Http404(f"no container named {name}") from None
    for problem in detail.problems:  # a part that could not be read (a broken config, liblxc down)
        messages.error(request, problem)
    if settings_form is None and detail.settings is not None:
        settings_form = SettingsForm(initial=SettingsForm.initial_from(detail.settings))
    info = detail.info
    context = {
        "name": name,
        "info": info,
        "figures": info.formatted() if info else {},
        "state": info.state if info else "BROKEN",
        "metadata": detail.metadata,
        "config": detail.config,
        "settings_form": settings_form,
        "clone_form": clone_form or CloneForm(stores=detail.clone_stores),
        "delete_form": delete_form or DeleteForm(container_name=name),
        "snapshot_form": snapshot_form or SnapshotForm(auto_id="id_snapshot_%s"),
        "snapshots": _snapshot_rows(request, detail.snapshots, snapshot_failed),
        "here": reverse("containers:detail", args=[name]),
        "running": operation_services.running_operations(user=request.user, container=name),
        "history": operation_services.container_history(user=request.user, name=name),
        "console": console_section(request, name, info, detail.console),
        "graphs": graphs.container_graphs(name),
    }
    response = render(request, "containers/detail.html", context, status=status)
    if context["console"] and context["console"]["running"]:
        response._csp_update = console_csp(request)  # noqa: SLF001 - django-csp's per-response update
    return response


def console_section(request, name, info, engine_has_console):
    """The Console section: None for a user without containers.console_container (or an engine
    without consoles), else whether the container runs and the path of its socket (lwp/ws.py)."""
    if not engine_has_console or not request.user.has_perm(consoles.CONSOLE):
        return None
    return {"running": bool(info) and info.state == "RUNNING", "socket": ws.console_path(name)}


def console_csp(request):
    """What the console's page adds to the panel's CSP.

    - connect-src: its socket, named with the page's own host. CSP 3 lets 'self' match ws: and wss:
      on the page's host, but not every browser did; naming it costs nothing (get_host() is one of
      ALLOWED_HOSTS).
    - style-src-elem: xterm.js styles its DOM renderer with <style> elements it creates (theme,
      cell size, scrollbar); static/lwp-console.js stamps this response's nonce on each.
    - style-src-attr: xterm.js colours 24-bit text with style attributes, which no nonce covers.
      They can load nothing (img-src and font-src stay 'self'); scripts stay the panel's own files.
    """
    return {"connect-src": [ws.socket_origin(request)],
            "style-src-elem": ["'self'", NONCE], "style-src-attr": ["'unsafe-inline'"]}


@require_GET
@panel_view
def detail(request, name):
    return render_detail(request, name)


def _settings_message(name, changed, restart_needed):
    if not changed:
        return messages.INFO, "Nothing changed."
    labels = ", ".join(SettingsForm.base_fields[f].label.lower() for f in changed if f in SettingsForm.base_fields)
    if restart_needed:
        return messages.WARNING, f"Saved {labels}. {name} is running: restart it to apply the new limits."
    return messages.SUCCESS, f"Saved {labels}."


@require_POST
@panel_view
def update_settings(request, name):
    try:
        current = services.get_container_settings(name=name, user=request.user)
    except exceptions.ContainerNotFound:
        raise Http404(f"no container named {name}") from None
    except exceptions.LWPError as error:
        messages.error(request, error.message)
        return redirect("containers:detail", name=name)
    form = SettingsForm(request.POST, initial=SettingsForm.initial_from(current))
    if form.is_valid():
        try:
            done = services.update_container_settings(name=name, user=request.user, changes=form.changes(),
                                                      origin=panel_origin(request))
        except exceptions.PermissionDenied:
            raise
        except exceptions.LWPError as error:
            report_error(request, error, form)
        else:
            level, text = _settings_message(name, done.value.changed, done.value.restart_needed)
            messages.add_message(request, level, text)
            return redirect("containers:detail", name=name)
    return render_detail(request, name, settings_form=form, status=400)


def queued(request, form, start):
    """For a valid form, start(cleaned_data) queues a job: the redirect to its operation's page.
    None when the form or the job was refused (the reason is then on the form)."""
    if not form.is_valid():
        return None
    try:
        operation = start(form.cleaned_data)
    except exceptions.PermissionDenied:
        raise
    except exceptions.LWPError as error:
        report_error(request, error, form)
        return None
    return redirect("operations:detail", operation_id=operation.pk)


def start_job(request, name, form, start, **shown):
    """queued(), or else the container's page again (400), with the form and its errors as `shown` says."""
    return queued(request, form, start) or render_detail(request, name, status=400, **shown)


@require_POST
@panel_view
def clone(request, name):
    form = CloneForm(request.POST, stores=services.list_clone_stores(user=request.user))
    return start_job(request, name, form, lambda data: services.clone_container(
        source=name, name=data["new_name"], user=request.user, store=data["store"] or None,
        origin=panel_origin(request), wait=False), clone_form=form)


@require_POST
@panel_view
def delete(request, name):
    form = DeleteForm(request.POST, container_name=name)
    if form.is_valid():
        try:
            operation = services.destroy_container(name=name, user=request.user, force=form.cleaned_data["force"],
                                                   origin=panel_origin(request), wait=False)
        except exceptions.PermissionDenied:
            raise
        except exceptions.LWPError as error:
            form.add_error(None, error.message)
        else:
            return redirect("operations:detail", operation_id=operation.pk)
    return render_detail(request, name, delete_form=form, status=400)


# ----- snapshots ------------------------------------------------------------------------


@require_POST
@panel_view
def take_snapshot(request, name):
    form = SnapshotForm(request.POST, auto_id="id_snapshot_%s")
    return start_job(request, name, form, lambda data: snapshots.take_snapshot(
        name=name, user=request.user, comment=data["comment"], origin=panel_origin(request), wait=False),
        snapshot_form=form)


@require_POST
@panel_view
def restore_snapshot(request, name, snapshot):
    form = snapshot_row_form(RestoreSnapshotForm, snapshot, request.POST)
    return start_job(request, name, form, lambda data: snapshots.restore_snapshot(
        name=name, snapshot=snapshot, user=request.user, force=data["force"], origin=panel_origin(request),
        wait=False), snapshot_failed=(snapshot, "restore", form))


@require_POST
@panel_view
def clone_snapshot(request, name, snapshot):
    form = snapshot_row_form(NewNameForm, snapshot, request.POST)
    return start_job(request, name, form, lambda data: snapshots.clone_from_snapshot(
        source=name, snapshot=snapshot, name=data["new_name"], user=request.user, origin=panel_origin(request),
        wait=False), snapshot_failed=(snapshot, "clone", form))


@require_POST
@panel_view
def delete_snapshot(request, name, snapshot):
    """Short: done here, its outcome a message on the container's page."""
    run_and_report(request, name, lambda: snapshots.delete_snapshot(
        name=name, snapshot=snapshot, user=request.user, origin=panel_origin(request)),
        lambda operation: f"snapshot {snapshot} deleted")
    return redirect(reverse("containers:detail", args=[name]) + "#snapshots")


# ----- create and host ------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@panel_view
def create(request):
    choices = services.creation_choices(user=request.user)
    form = CreateForm(request.POST or None, templates=choices.templates, arguments=choices.arguments,
                      stores=choices.stores)
    if request.method == "POST":
        done = queued(request, form, lambda data: services.create_container(
            name=data["name"], template=data["template"], store=data["store"], extra_args=data["extra_args"],
            description=data["description"], user=request.user, origin=panel_origin(request), wait=False))
        return done or render(request, "containers/create.html", {"form": form}, status=400)
    return render(request, "containers/create.html", {"form": form})


@require_GET
@panel_view
def host(request):
    return render(request, "containers/host.html", {"groups": services.check_host(user=request.user),
                                                    "host": services.get_host_info(user=request.user),
                                                    "graphs": graphs.host_graphs()})
