"""The panel's Backups page (every backup), the Backups section (on each container's page) and the
upload page: thin views over backups.services. Every change is a POST; a long one goes to its
operation's page."""

from urllib.parse import urlencode

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from backups import services
from backups.filtersets import BackupFilterSet
from backups.forms import BackupForm, DeleteBackupForm, ImportForm, RestoreForm, ScheduleForm
from backups.responses import archive_response
from backups.uploads import ArchiveUploadHandler
from containers import services as containers
from containers.views import panel_view, queued, redirect_back, run_and_report
from lwp import exceptions
from operations.origin import panel_origin
from operations.views import filtered_page


def _back(request, name):
    """Where a backup's form returns: the same-site page it came from (`next`), else the container's
    Backups section, or the Backups page once the container is gone (its page is a 404 then)."""
    if services.container_exists(name=name, user=request.user):
        fallback = reverse("containers:detail", args=[name]) + "#backups"
    else:
        fallback = reverse("backups:list") + "?" + urlencode({"container": name})
    return redirect_back(request, fallback)


@require_GET
@panel_view
def backup_list(request):
    """Every backup, of the containers that exist and of those destroyed since."""
    return filtered_page(request, BackupFilterSet, services.all_backups(user=request.user), "backups/list.html",
                         existing=containers.names_on_host(user=request.user))


def _posted(request, form_class):
    """The posted form when valid; else None, its errors shown as messages on the page _back goes to."""
    form = form_class(request.POST)
    if form.is_valid():
        return form
    for field, errors in form.errors.items():
        label = form.fields[field].label or field if field in form.fields else ""
        messages.error(request, f"{label}: {'; '.join(errors)}" if label else "; ".join(errors))
    return None


def _start(request, name, start):
    """start() queues a job: on to its operation's page; refused (not for want of permission),
    back to the section saying why."""
    try:
        operation = start()
    except exceptions.PermissionDenied:
        raise
    except exceptions.LWPError as error:
        messages.error(request, error.message)
        return _back(request, name)
    return redirect("operations:detail", operation_id=operation.pk)


@require_POST
@panel_view
def backup_now(request, name):
    form = _posted(request, BackupForm)
    if form is None:
        return _back(request, name)
    return _start(request, name, lambda: services.start_backup(
        name=name, user=request.user, comment=form.cleaned_data["comment"], origin=panel_origin(request),
        wait=False)[1])


@require_POST
@panel_view
def restore(request, name, backup_id):
    form = _posted(request, RestoreForm)
    if form is None:
        return _back(request, name)
    services.get_backup(name=name, backup_id=backup_id, user=request.user)  # of this container, or 404
    return _start(request, name, lambda: services.restore_backup(
        backup_id=backup_id, name=form.cleaned_data["new_name"], user=request.user, origin=panel_origin(request),
        wait=False))


@require_POST
@panel_view
def delete(request, name, backup_id):
    if _posted(request, DeleteBackupForm) is None:
        return _back(request, name)
    run_and_report(request, name, lambda: services.delete_backup(
        name=name, backup_id=backup_id, user=request.user, origin=panel_origin(request)),
        lambda operation: "backup deleted")
    return _back(request, name)


@require_GET
@panel_view
def download(request, name, backup_id):
    try:
        archive, backup = services.open_download(name=name, backup_id=backup_id, user=request.user,
                                                 origin=panel_origin(request))
    except exceptions.InvalidState as error:
        messages.error(request, error.message)
        return _back(request, name)
    return archive_response(archive, backup)


@require_POST
@panel_view
def schedule(request, name):
    form = _posted(request, ScheduleForm)
    if form is None:
        return _back(request, name)
    run_and_report(request, name, lambda: services.set_schedule(
        name=name, user=request.user, origin=panel_origin(request), **form.cleaned_data),
        lambda schedule: "backup schedule saved")
    return _back(request, name)


@csrf_exempt  # only so that the upload handler is set before the body is read: checked just below
@require_http_methods(["GET", "POST"])
@panel_view
def import_archive(request):
    containers.require_permission(request.user, containers.ADD)
    handler = ArchiveUploadHandler(request)
    request.upload_handlers = [handler]
    try:
        return _import_archive(request, handler)
    except exceptions.TooLarge as error:  # raised while the body was read, before the CSRF check
        messages.error(request, error.message)
        return render(request, "backups/import.html", {"form": ImportForm()}, status=413)
    finally:
        handler.cleanup()


@csrf_protect
def _import_archive(request, handler):
    form = ImportForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid() and handler.upload is None:
            form.add_error("file", "choose an archive to upload")
        done = queued(request, form, lambda data: services.import_backup(
            upload=handler.upload, name=data["name"], user=request.user, description=data["description"],
            origin=panel_origin(request), wait=False))
        return done or render(request, "backups/import.html", {"form": form}, status=400)
    return render(request, "backups/import.html", {"form": form})
