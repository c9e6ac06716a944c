"""What the audit tests share: a client address, the world a sample acts in, event checks."""

import json
import re
import uuid

from django.contrib.auth.models import Group
from django.test import Client

from operations.models import Event, LogLine, Operation, Status
from testing import playground
from testing.api import ApiCaller

# Every sample request comes from here (TEST-NET-1): an event must carry it.
ADDRESS = "192.0.2.44"
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")


class World:
    """Users, tokens and a fake engine, and ways to act on them from ADDRESS."""

    def __init__(self, users, tokens, make_token, fake_engine, fake_container):
        self.users, self.tokens, self.engine = users, tokens, fake_engine
        self._make_token, self._fake_container = make_token, fake_container
        self.secrets = {value for value in vars(tokens).values()}  # every raw token the test used

    def client(self, user=None):
        client = Client(REMOTE_ADDR=ADDRESS)
        if user is not None:
            client.force_login(user)
        return client

    def api(self, method, path, *, token, data=None, headers=None):
        return ApiCaller(self.client())(method, path, token=token, data=data, headers=headers)

    def token(self, user, **kwargs):
        raw = self._make_token(user, **kwargs)
        self.secrets.add(raw)
        return raw

    def container(self, prefix="walk", *, start=False, snapshot=None):
        return self._fake_container(prefix, start=start, snapshot=snapshot)

    def free_name(self, prefix="walk"):
        return playground.unique_name(prefix)

    def pending_operation(self, user, *, kind="create"):
        """An operation waiting for a worker (none runs in these tests), to cancel."""
        return Operation.objects.create(kind=kind, container=playground.unique_name("op"), user=user,
                                        username=user.get_username(), source="api", status=Status.PENDING)

    def group(self, name):
        return Group.objects.create(name=name)


def last_event_id():
    return Event.objects.order_by("-id").values_list("id", flat=True).first() or 0


def describe(events):
    return "\n".join(f"  {e.action} {e.target!r} {e.outcome} user={e.username!r} source={e.source} "
                     f"address={e.client_address!r} operation={e.operation}" for e in events)


def assert_event(since, *, action, target, source, user, outcome="succeeded", address=ADDRESS,
                 operation=None, message=None, signed_in=True):
    """A new event (id > since) with exactly these fields; returns it.

    user: the user name the event names; signed_in: it is also linked to that account (not
    for a failed sign-in, which names whatever was typed). operation: an Operation or its id,
    the one the event must point to; True: the newest operation of the action's kind on `target`.
    """
    new = list(Event.objects.filter(id__gt=since).order_by("id"))
    if operation is True:
        kind = action.split(".", 1)[1]
        operation = Operation.objects.filter(kind=kind, container=target).latest("created")
    wanted = {"action": action, "target": target, "source": source, "username": user or "",
              "outcome": outcome, "client_address": address}
    if operation is not None:
        wanted["operation"] = uuid.UUID(str(getattr(operation, "pk", operation)))
    matches = [e for e in new if all(getattr(e, field) == value for field, value in wanted.items())
               and (message is None or message in e.message)]
    assert matches, f"no new event {wanted} (message {message!r}); the new events:\n{describe(new)}"
    event = matches[0]
    if user and signed_in:
        assert event.user is not None and event.user.get_username() == user
    return event


def assert_no_event_from(since, address=ADDRESS):
    new = list(Event.objects.filter(id__gt=since, client_address=address))
    assert not new, f"events where none was expected:\n{describe(new)}"


def stored_texts():
    """Every text the audit log and the operations keep, as (where, text) pairs."""
    for event in Event.objects.all():
        for field in event._meta.concrete_fields:
            yield f"event {event.pk}.{field.name}", str(getattr(event, field.attname))
    for operation in Operation.objects.all():
        for field in operation._meta.concrete_fields:
            value = getattr(operation, field.attname)
            yield f"operation {operation.pk}.{field.name}", json.dumps(value, default=str)
    for line in LogLine.objects.all():
        yield f"log line {line.pk}", line.line


def assert_no_secret_stored(secrets):
    secrets = {secret for secret in secrets if secret}
    assert secrets
    leaks = [(where, secret) for where, text in stored_texts() for secret in secrets if secret in text]
    assert not leaks, f"token secrets stored in: {leaks}"


def secret_on_page(response):
    """The secret a token page shows once (panel and admin alike)."""
    match = re.search(r'id="(?:token-secret|new-secret)"[^>]* value="([^"]+)"', response.content.decode())
    assert match, response.content[:2000]
    return match.group(1)
