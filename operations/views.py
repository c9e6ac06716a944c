"""The panel's pages of operations (with their live log) and of the audit log."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from containers.views import panel_view
from lwp import exceptions
from operations import services
from operations.filtersets import EventFilterSet, OperationFilterSet
from operations.origin import panel_origin

PER_PAGE = 50


def _operation_or_404(request, operation_id):
    try:
        return services.get_operation(user=request.user, operation_id=operation_id)
    except exceptions.OperationNotFound:
        raise Http404("no such operation") from None


@require_GET
@panel_view
def detail(request, operation_id):
    """The operation with its log; while it runs, htmx refreshes the live part every second."""
    operation = _operation_or_404(request, operation_id)
    context = {"operation": operation, "log_lines": operation.log_lines.all(),
               "may_cancel": not operation.is_finished and services.may_cancel(request.user, operation)}
    if request.headers.get("HX-Request"):
        return render(request, "operations/_live.html", context)
    return render(request, "operations/detail.html", context)


@require_POST
@panel_view
def cancel(request, operation_id):
    _operation_or_404(request, operation_id)
    try:
        services.cancel_operation(user=request.user, operation_id=operation_id, origin=panel_origin(request))
    except exceptions.PermissionDenied:
        raise
    except exceptions.LWPError as error:
        messages.error(request, error.message)
    else:
        messages.info(request, "Cancelling: a running job stops within a second or so, and its work is undone.")
    return redirect("operations:detail", operation_id=operation_id)


def _page(request, queryset):
    return Paginator(queryset, PER_PAGE).get_page(request.GET.get("page"))


def _query_without_page(request):
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@require_GET
@panel_view
def operation_list(request):
    filterset = OperationFilterSet(request.GET or None, queryset=services.list_operations(user=request.user))
    operations = filterset.qs if filterset.is_valid() else filterset.queryset.none()
    return render(request, "operations/list.html", {
        "filterset": filterset, "page": _page(request, operations), "query": _query_without_page(request)})


@require_GET
@panel_view
def activity(request):
    filterset = EventFilterSet(request.GET or None, queryset=services.list_events(user=request.user))
    events = filterset.qs if filterset.is_valid() else filterset.queryset.none()
    return render(request, "operations/activity.html", {
        "filterset": filterset, "page": _page(request, events), "query": _query_without_page(request)})
