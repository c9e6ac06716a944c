"""The audit log is append-only (model, admin, API), pruned after LWP_AUDIT_DAYS, and fed by the
management commands too (source "cli", no user: nobody signed in)."""

import re
from datetime import timedelta
from io import StringIO

import pytest
from django.conf import settings as django_settings
from django.contrib import admin
from django.core.management import call_command
from django.test import RequestFactory
from django.utils import timezone

from operations import audit
from operations.models import AppendOnly, Event, LogLine, Operation, Status
from operations.tests.audit_support import assert_event, assert_no_secret_stored, last_event_id
from testing.api import assert_error
from tokens.models import Token

pytestmark = pytest.mark.django_db


def an_event(**fields):
    return audit.record_event(action=fields.pop("action", "container.start"), target=fields.pop("target", "web1"),
                              **fields)


# ----- append-only --------------------------------------------------------------------------------


def test_an_event_cannot_be_changed_or_deleted_through_the_model():
    event = an_event()
    event.outcome = "failed"
    with pytest.raises(AppendOnly):
        event.save()
    with pytest.raises(AppendOnly):
        event.delete()
    event.refresh_from_db()
    assert event.outcome == "succeeded"


def test_the_admin_shows_events_read_only_even_to_a_superuser(client, users):
    event = an_event()
    client.force_login(users.alice)
    request = RequestFactory().get("/admin/operations/event/")
    request.user = users.alice
    event_admin = admin.site._registry[Event]
    assert not event_admin.has_add_permission(request)
    assert not event_admin.has_change_permission(request, event)
    assert not event_admin.has_delete_permission(request, event)
    assert event_admin.get_actions(request) == {}  # no "delete selected"
    listing = client.get("/admin/operations/event/").content.decode()
    assert "web1" in listing and 'name="action"' not in listing
    page = client.get(f"/admin/operations/event/{event.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="_save"' not in html and f"/admin/operations/event/{event.pk}/delete/" not in html
    assert not re.search(r'<input[^>]+name="(outcome|action|target)"', html)  # shown, not editable


@pytest.mark.parametrize("path", ["/admin/operations/event/{pk}/change/", "/admin/operations/event/{pk}/delete/",
                                  "/admin/operations/event/add/"])
def test_the_admin_refuses_writes_to_events(client, users, path):
    event = an_event()
    client.force_login(users.alice)
    response = client.post(path.format(pk=event.pk), {"outcome": "failed", "action": "x", "post": "yes"})
    assert response.status_code == 403
    event.refresh_from_db()
    assert (event.outcome, event.action) == ("succeeded", "container.start")
    assert Event.objects.filter(action="permission.denied", source="admin").exists()


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
@pytest.mark.parametrize("path", ["/api/v1/events", "/api/v1/events/"])
def test_the_api_has_no_way_to_write_an_event(api, users, tokens, method, path):
    event = an_event()
    assert_error(api(method, path, token=tokens.alice, data={"action": "x"}), 405, "method_not_allowed")
    assert_error(api(method, f"{path.rstrip('/')}/{event.pk}", token=tokens.alice), 404, "not_found")
    assert Event.objects.filter(pk=event.pk, action="container.start").exists()


# ----- pruning ------------------------------------------------------------------------------------


def old(days, **fields):
    event = an_event(**fields)
    Event.objects.filter(pk=event.pk).update(time=timezone.now() - timedelta(days=days))  # as if back then
    return event


def operation(days, status, **fields):
    made = Operation.objects.create(kind="start", container="web1", source="api", status=status, **fields)
    then = timezone.now() - timedelta(days=days)
    Operation.objects.filter(pk=made.pk).update(created=then, finished=then if status != Status.PENDING else None)
    LogLine.objects.create(operation=made, time=then, line="a line")
    return made


def test_events_and_finished_operations_older_than_the_retention_are_pruned(settings):
    settings.LWP_AUDIT_DAYS = 30
    gone, kept = old(31), old(29)
    done_long_ago, done_lately = operation(31, Status.SUCCEEDED), operation(29, Status.FAILED)
    still_pending = operation(31, Status.PENDING)  # never pruned while it may still run
    pruned = audit.prune_events()
    assert (pruned.events, pruned.operations) == (1, 1)
    assert not Event.objects.filter(pk=gone.pk).exists() and Event.objects.filter(pk=kept.pk).exists()
    assert set(Operation.objects.values_list("pk", flat=True)) == {done_lately.pk, still_pending.pk}
    assert not LogLine.objects.filter(operation_id=done_long_ago.pk).exists()
    record = Event.objects.get(action="audit.prune")
    assert (record.source, record.outcome) == ("worker", "succeeded")
    assert "1 events and 1 finished operations older than 30 days" in record.message


def test_the_default_retention_is_a_year():
    assert django_settings.LWP_AUDIT_DAYS == 365  # LWP_AUDIT_DAYS unset
    gone, kept = old(366), old(364)
    audit.prune_events()
    assert not Event.objects.filter(pk=gone.pk).exists() and Event.objects.filter(pk=kept.pk).exists()


def test_nothing_to_prune_records_nothing():
    an_event()
    assert audit.prune_events() == audit.Pruned(events=0, operations=0)
    assert not Event.objects.filter(action="audit.prune").exists()


def test_pruneaudit_command_prunes_for_cron_users(settings):
    settings.LWP_AUDIT_DAYS = 10
    old(11)
    out = StringIO()
    call_command("pruneaudit", stdout=out)
    assert "Pruned 1 events and 0 finished operations older than 10 days." in out.getvalue()
    assert Event.objects.get(action="audit.prune").source == "cli"


# ----- management commands ------------------------------------------------------------------------


def test_createtoken_is_an_event_from_the_command_line(users):
    since = last_event_id()
    out = StringIO()
    call_command("createtoken", "--user", "bob", "--description", "backup", stdout=out)
    secret = out.getvalue().strip()
    token = Token.find(secret)
    event = assert_event(since, action="token.create", target=f"token:backup (#{token.pk})", source="cli", user="",
                         address="")
    assert "for bob" in event.message
    assert_no_secret_stored({secret})


def test_ensureadmin_creating_the_first_admin_is_an_event(monkeypatch, django_user_model):
    monkeypatch.setenv("LWP_ADMIN_PASSWORD", "first-admin-pw")
    since = last_event_id()
    call_command("ensureadmin", "--username", "root-admin", stdout=StringIO())
    assert django_user_model.objects.get(username="root-admin").is_superuser
    assert_event(since, action="user.create", target="user:root-admin", source="cli", user="", address="")
    call_command("ensureadmin", "--username", "second", stdout=StringIO())  # there is one: nothing to do
    assert not Event.objects.filter(target="user:second").exists()


def test_djangos_createsuperuser_is_an_event(monkeypatch, django_user_model):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "Super-2-pass!")
    since = last_event_id()
    call_command("createsuperuser", "--noinput", "--username", "boss", "--email", "", stdout=StringIO())
    assert django_user_model.objects.get(username="boss").is_superuser
    assert_event(since, action="user.create", target="user:boss", source="cli", user="", address="")


def test_djangos_changepassword_is_an_event(monkeypatch, users):
    from operations.management.commands import changepassword  # noqa: PLC0415

    monkeypatch.setattr(changepassword.Command, "_get_pass", lambda self, prompt="": "Changed-2-pass!")
    since = last_event_id()
    call_command("changepassword", "bob", stdout=StringIO())
    users.bob.refresh_from_db()
    assert users.bob.check_password("Changed-2-pass!")
    assert_event(since, action="auth.password_change", target="user:bob", source="cli", user="", address="")


def test_lwps_versions_of_the_user_commands_are_the_ones_manage_py_runs():
    from django.core.management import get_commands  # noqa: PLC0415

    commands = get_commands()
    assert commands["changepassword"] == "operations" and commands["createsuperuser"] == "operations"
    assert commands["pruneaudit"] == "operations" and commands["lwpworker"] == "operations"
