"""Reading operations and events, and cancelling: who may see and do what.

Users who may view containers see operations and their logs, and the events about
containers; the security events (sign-ins, tokens, admin changes, refusals) are for
those with operations.view_event (superusers, the administrators group). A user may
cancel their own operations; cancelling anyone's needs operations.change_operation.
"""

import uuid

from django.db.models import Q

from lwp.exceptions import OperationNotFound, PermissionDenied
from operations import jobs
from operations.models import Event, Operation

VIEW_CONTAINERS = "containers.view_container"
VIEW_ALL_EVENTS = "operations.view_event"
CANCEL_ANY = "operations.change_operation"
# Events anyone who may view containers sees: what happened to containers.
CONTAINER_EVENTS = Q(action__startswith="container.") | Q(action="operation.cancel")


def _require(user, permission, what):
    if user is None or not user.is_active or not user.has_perm(permission):
        raise PermissionDenied(f"you do not have permission to {what}")


def list_operations(*, user):
    _require(user, VIEW_CONTAINERS, "view operations")
    return Operation.objects.all()


def get_operation(*, user, operation_id):
    _require(user, VIEW_CONTAINERS, "view operations")
    try:
        key = uuid.UUID(str(operation_id))
    except ValueError:
        raise OperationNotFound(f"operation {str(operation_id)[:40]!r} does not exist") from None
    operation = Operation.objects.select_related("user").filter(pk=key).first()
    if operation is None:
        raise OperationNotFound(f"operation {key} does not exist")
    return operation


def may_cancel(user, operation):
    return operation.user_id == user.pk or user.has_perm(CANCEL_ANY)


def cancel_operation(*, user, operation_id, origin=None):
    operation = get_operation(user=user, operation_id=operation_id)
    if not may_cancel(user, operation):
        raise PermissionDenied("you may cancel only your own operations")
    return jobs.cancel(operation, user=user, origin=origin)


def list_events(*, user):
    _require(user, VIEW_CONTAINERS, "view the activity log")
    events = Event.objects.all()
    return events if user.has_perm(VIEW_ALL_EVENTS) else events.filter(CONTAINER_EVENTS)


def container_history(*, user, name, limit=20):
    """The latest events about container `name` (its page's history section)."""
    return list(list_events(user=user).filter(CONTAINER_EVENTS, target=name)[:limit])


def running_operations(*, user, container=None):
    """The pending and running operations (the dashboard's box), or those on one container
    (a clone's too: it works on its source, whose page would otherwise not tell)."""
    operations = list_operations(user=user).filter(status__in=jobs.UNFINISHED)
    if container is not None:
        operations = operations.filter(Q(container=container) | Q(kind="clone", params__source=container))
    return list(operations[:20])
