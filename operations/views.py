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
# While an operation runs, its page shows the end of its log: sending a long log whole every
# second would cost more than the job (5,000 lines: 450 KiB a second). Once it finished, all of it.
LIVE_LOG_LINES = 300


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
    may_cancel = (not operation.is_finished and not operation.cancel_requested
                  and services.may_cancel(request.user, operation))
    lines = operation.log_lines.values_list("time", "line")
    if operation.is_finished:
        log_lines, earlier = list(lines), 0
    else:
        log_lines = list(lines.order_by("-id")[:LIVE_LOG_LINES])[::-1]
        earlier = lines.count() - len(log_lines) if len(log_lines) == LIVE_LOG_LINES else 0
    context = {"operation": operation, "log_lines": log_lines, "earlier_lines": earlier, "may_cancel": may_cancel}
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


def _for_people(filterset):
    """The pages' filter form: the same filters as the API's, with a date-time picker for `since`."""
    since = filterset.form.fields.get("since")
    if since is not None:  # the form's fields are its own copies: the API's stay as they are
        since.widget.input_type = "datetime-local"
        since.help_text = ""
    return filterset


def _filters(request):
    """The query without the page (for the pages' links), and whether any filter has a value."""
    query = request.GET.copy()
    query.pop("page", None)
    return {"query": query.urlencode(), "filtered": any(v for _, values in query.lists() for v in values)}


@require_GET
@panel_view
def operation_list(request):
    return filtered_page(request, OperationFilterSet, services.list_operations(user=request.user),
                          "operations/list.html")


@require_GET
@panel_view
def activity(request):
    return filtered_page(request, EventFilterSet, services.list_events(user=request.user),
                          "operations/activity.html")


def filtered_page(request, filterset_class, queryset, template, **context):
    """The filtered rows' page rendered with the filter form (and `context`); also the Backups page's."""
    # Always bound (no filters: an empty form, valid): an unbound one is never valid, and shows nothing.
    filterset = _for_people(filterset_class(request.GET, queryset=queryset))
    rows = filterset.qs if filterset.is_valid() else filterset.queryset.none()
    return render(request, template, {"filterset": filterset, "page": _page(request, rows), **_filters(request),
                                      **context})
