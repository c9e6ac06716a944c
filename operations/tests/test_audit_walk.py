"""Every route that can change something records an event: a walk over all of them.

The walk lists every URL pattern of the project (the panel's, the admin's, the API's in both
trailing-slash forms) and finds the state-changing methods (POST, PUT, PATCH, DELETE) each
serves: DRF views say so themselves, Django's class-based views by their handlers, and
function views by VIEW_FUNCTIONS below (test_view_functions_refuse_the_methods_not_listed
checks the panel's). Each (route, method) must have samples in SAMPLES, or
test_every_write_route_has_a_sample fails: a route added later cannot slip through.

Each sample is sent by a permitted user from ADDRESS (an API token, a signed-in session, the
admin as a superuser) and must leave a new event with the expected action, target, source,
outcome, user and client address, and for a container change the operation's id. No event
or operation may hold a token secret afterwards. The fake engine stands in for LXC (the
real one: test_real_lxc_create_and_destroy_are_events).
"""

import inspect
import uuid
from urllib.parse import quote

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.test import RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver
from django.views.generic import RedirectView

from backups import services as backup_services
from backups.tests.support import archive_bytes, upload_of
from containers.models import Container
from operations.models import Event, Operation
from operations.tests.audit_support import (
    WRITE_METHODS, World, assert_event, assert_no_event_from, assert_no_secret_stored, last_event_id,
    secret_on_page,
)
from testing import playground
from tokens.models import Token

pytestmark = pytest.mark.django_db

POST = frozenset({"POST"})
NONE = frozenset()

# Function views: the state-changing methods each serves. The admin's are Django's code (each
# writes on POST only); the panel's are held to their list by their require_* decorators.
VIEW_FUNCTIONS = {
    "django.contrib.admin.sites.AdminSite.index": NONE,
    "django.contrib.admin.sites.AdminSite.app_index": NONE,
    "django.contrib.admin.sites.AdminSite.login": POST,
    "django.contrib.admin.sites.AdminSite.logout": POST,
    "operations.admin_site.AuditedAdminSite.password_change": POST,
    "django.contrib.admin.sites.AdminSite.password_change_done": NONE,
    "django.contrib.admin.sites.AdminSite.autocomplete_view": NONE,
    "django.contrib.admin.sites.AdminSite.i18n_javascript": NONE,
    "django.contrib.admin.sites.AdminSite.catch_all_view": NONE,  # APPEND_SLASH is off: a 404
    "django.contrib.contenttypes.views.shortcut": NONE,  # "view on site": a redirect
    "django.contrib.admin.options.ModelAdmin.changelist_view": POST,  # actions, list_editable
    "django.contrib.admin.options.ModelAdmin.add_view": POST,
    "django.contrib.auth.admin.UserAdmin.add_view": POST,
    "django.contrib.admin.options.ModelAdmin.change_view": POST,
    "django.contrib.admin.options.ModelAdmin.delete_view": POST,
    "django.contrib.admin.options.ModelAdmin.history_view": NONE,
    "django.contrib.auth.admin.UserAdmin.user_change_password": POST,
    "containers.views.dashboard": NONE,
    "containers.views.table": NONE,
    "containers.views.bulk_action": POST,
    "containers.views.create": POST,
    "containers.views.detail": NONE,
    "containers.views.action": POST,
    "containers.views.update_settings": POST,
    "containers.views.clone": POST,
    "containers.views.delete": POST,
    "containers.views.take_snapshot": POST,
    "containers.views.restore_snapshot": POST,
    "containers.views.delete_snapshot": POST,
    "containers.views.clone_snapshot": POST,
    "containers.views.host": NONE,
    "operations.views.operation_list": NONE,
    "operations.views.detail": NONE,
    "operations.views.cancel": POST,
    "operations.views.activity": NONE,
    "tokens.views.token_list": POST,
    "tokens.views.revoke": POST,
    "backups.views.backup_now": POST,
    "backups.views.restore": POST,
    "backups.views.delete": POST,
    "backups.views.download": NONE,
    "backups.views.backup_list": NONE,
    "backups.views.schedule": POST,
    "backups.views.import_archive": POST,
}
# Class-based views whose handlers change nothing whatever the method.
INERT_VIEW_CLASSES = {
    RedirectView,  # the admin's old change URLs: every method is redirected to the change page
}


def _routes(patterns=None, prefix=""):
    """(route, callback) of every URL pattern, the included ones too."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern.callback


def _qualified_name(callback):
    return f"{callback.__module__}.{callback.__qualname__}"


def write_methods(callback):
    """The state-changing methods a route's view serves (KeyError: a function view not listed)."""
    actions = getattr(callback, "actions", None)
    if actions:  # a DRF viewset: its method -> action map
        return frozenset(method.upper() for method in actions) & frozenset(WRITE_METHODS)
    view_class = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
    if view_class is not None:  # a class-based view, Django's or DRF's: its handlers
        if any(issubclass(view_class, inert) for inert in INERT_VIEW_CLASSES):
            return NONE
        return frozenset(method for method in WRITE_METHODS if hasattr(view_class, method.lower()))
    return VIEW_FUNCTIONS[_qualified_name(inspect.unwrap(callback))]


def write_routes():
    found, unknown = set(), []
    for route, callback in _routes():
        try:
            methods = write_methods(callback)
        except KeyError:
            unknown.append(f"{route}: {_qualified_name(inspect.unwrap(callback))}")
            continue
        found.update((route, method) for method in methods)
    return found, unknown


def fill(route, **values):
    """A path for `route`: its converters replaced by the values named like them."""
    path = "/" + route
    for name, value in values.items():
        for converter in ("str:", "int:", "uuid:", "path:", ""):
            path = path.replace(f"<{converter}{name}>", quote(str(value), safe=""))
    assert "<" not in path, path
    return path


# ----- the samples -----------------------------------------------------------------------------

SAMPLES = {}  # (route, method) -> [sample(world, route, method)]


def sample(routes, *methods):
    def register(fn):
        for route in [routes] if isinstance(routes, str) else routes:
            for method in methods:
                SAMPLES.setdefault((route, method), []).append(fn)
        return fn
    return register


def both(route):
    """An API route in both trailing-slash forms, as lwp.api.routing.both_slashes makes them."""
    return [route, route[:-1] if route.endswith("/") else route + "/"]


# API --------------------------------------------------------------------------------------------

@sample(both("api/v1/containers/"), "PUT")
def api_create(w, route, method):
    name = w.free_name()
    response = w.api(method, fill(route), token=w.tokens.erin, data={"name": name, "template": "busybox"})
    assert response.status_code == 200, response.body
    assert_event(w.since, action="container.create", target=name, source="api", user="erin",
                 operation=response.body["operation"])


@sample(both("api/v1/containers/"), "PUT")
def api_clone(w, route, method):
    source, name = w.container(), w.free_name()
    response = w.api(method, fill(route), token=w.tokens.erin, data={"name": name, "clone": source})
    assert response.status_code == 200, response.body
    assert_event(w.since, action="container.clone", target=name, source="api", user="erin",
                 operation=response.body["operation"])


@sample(both("api/v1/containers/<str:name>"), "POST")
def api_start(w, route, method):
    name = w.container()
    response = w.api(method, fill(route, name=name), token=w.tokens.dave, data={"action": "start"})
    assert response.status_code == 200, response.body
    assert_event(w.since, action="container.start", target=name, source="api", user="dave",
                 operation=response.body["operation"])


@sample(both("api/v1/containers/<str:name>"), "DELETE")
def api_destroy(w, route, method):
    name = w.container()
    response = w.api(method, fill(route, name=name), token=w.tokens.erin)
    assert response.status_code == 200, response.body
    assert_event(w.since, action="container.destroy", target=name, source="api", user="erin",
                 operation=response.body["operation"])


@sample(both("api/v1/containers/<str:name>/settings"), "PATCH")
def api_settings(w, route, method):
    name = w.container()
    response = w.api(method, fill(route, name=name), token=w.tokens.dave, data={"description": "walked"})
    assert response.status_code == 200, response.body
    assert_event(w.since, action="container.settings", target=name, source="api", user="dave",
                 operation=response.body["operation"])


@sample(both("api/v1/containers/<str:name>/snapshots"), "POST")
def api_snapshot(w, route, method):
    name = w.container()
    response = w.api(method, fill(route, name=name), token=w.tokens.dave, data={"comment": "walked"})
    assert response.status_code == 200, response.body
    assert_event(w.since, action="container.snapshot", target=name, source="api", user="dave",
                 operation=response.body["operation"])


@sample(both("api/v1/containers/<str:name>/snapshots/<str:snapshot>"), "POST")
def api_snapshot_restore(w, route, method):
    name = w.container(start=True, snapshot="walked")
    response = w.api(method, fill(route, name=name, snapshot="snap0"), token=w.tokens.dave,
                     data={"action": "restore", "force": True})
    assert response.status_code == 200, response.body
    assert_event(w.since, action="container.snapshot_restore", target=name, source="api", user="dave",
                 operation=response.body["operation"])


@sample(both("api/v1/containers/<str:name>/snapshots/<str:snapshot>"), "DELETE")
def api_snapshot_delete(w, route, method):
    name = w.container(snapshot="walked")
    response = w.api(method, fill(route, name=name, snapshot="snap0"), token=w.tokens.dave)
    assert response.status_code == 200, response.body
    assert_event(w.since, action="container.snapshot_delete", target=name, source="api", user="dave",
                 operation=response.body["operation"])


@sample(both("api/v1/containers/"), "PUT")
def api_clone_from_snapshot(w, route, method):
    source, name = w.container(start=True, snapshot="walked"), w.free_name()
    response = w.api(method, fill(route), token=w.tokens.erin, data={"name": name, "clone": source,
                                                                     "snapshot": "snap0"})
    assert response.status_code == 200, response.body
    assert_event(w.since, action="container.clone", target=name, source="api", user="erin",
                 operation=response.body["operation"])


@sample(both("api/v1/containers/<str:name>/console"), "POST")
def api_console_ticket(w, route, method):
    name = w.container(start=True)
    response = w.api(method, fill(route, name=name), token=w.tokens.erin, data={"mode": "shell"})
    assert response.status_code == 201, response.body
    w.secrets.add(response.body["ticket"])
    assert_event(w.since, action="container.console_ticket", target=name, source="api", user="erin")


@sample(both("api/v1/tokens"), "POST")
def api_token_create(w, route, method):
    response = w.api(method, fill(route), token=w.tokens.bob, data={"description": "walk api"})
    assert response.status_code == 200, response.body
    w.secrets.add(response.body["token"])
    assert_event(w.since, action="token.create", target=f"token:walk api (#{response.body['id']})",
                 source="api", user="bob")


@sample("api/v1/tokens/<path:token>", "DELETE")
def api_token_revoke(w, route, method):
    secret = w.token(w.users.bob, description="to revoke")
    response = w.api(method, fill(route, token=secret), token=w.tokens.bob)
    assert response.status_code == 200, response.body
    token = Token.objects.get(description="to revoke")
    assert_event(w.since, action="token.revoke", target=f"token:to revoke (#{token.pk})", source="api",
                 user="bob")


@sample(both("api/v1/operations/<str:operation_id>"), "DELETE")
def api_cancel(w, route, method):
    operation = w.pending_operation(w.users.erin)
    response = w.api(method, fill(route, operation_id=operation.pk), token=w.tokens.erin)
    assert response.status_code == 202, response.body
    assert_event(w.since, action="operation.cancel", target=operation.container, source="api", user="erin",
                 operation=operation)
    # ... and its end, as every finished operation's (the origin is the operation's own).
    assert_event(w.since, action="container.create", target=operation.container, source="api", user="erin",
                 outcome="cancelled", address="", operation=operation)


# Backups ----------------------------------------------------------------------------------------

def ready_backup(w):
    """A container of the walk's engine and a ready backup of it."""
    name = w.container()
    backup, _ = backup_services.start_backup(name=name, user=w.users.dave)
    return name, backup


def archive_upload(w):
    return upload_of(archive_bytes(w.engine), "walk.tar.zst")


@sample(both("api/v1/containers/"), "PUT")
def api_restore(w, route, method):
    _, backup = ready_backup(w)
    name = w.free_name()
    response = w.api(method, fill(route), token=w.tokens.erin, data={"name": name, "backup": str(backup.pk)})
    assert response.status_code == 200, response.body
    assert_event(w.since, action="container.backup_restore", target=name, source="api", user="erin",
                 operation=response.body["operation"])


@sample(both("api/v1/containers/<str:name>/backups"), "POST")
def api_backup(w, route, method):
    name = w.container()
    response = w.api(method, fill(route, name=name), token=w.tokens.dave, data={"comment": "walked"})
    assert response.status_code == 200, response.body
    assert_event(w.since, action="container.backup", target=name, source="api", user="dave",
                 operation=response.body["operation"])


@sample(both("api/v1/containers/<str:name>/backups/<uuid:backup_id>"), "DELETE")
def api_backup_delete(w, route, method):
    name, backup = ready_backup(w)
    response = w.api(method, fill(route, name=name, backup_id=backup.pk), token=w.tokens.erin)
    assert response.status_code == 200, response.body
    assert_event(w.since, action="container.backup_delete", target=name, source="api", user="erin",
                 operation=response.body["operation"])


@sample(both("api/v1/containers/<str:name>/backup-schedule"), "PUT")
def api_backup_schedule(w, route, method):
    name = w.container()
    response = w.api(method, fill(route, name=name), token=w.tokens.dave,
                     data={"enabled": True, "frequency": "daily", "time": "03:00", "keep": 2})
    assert response.status_code == 200, response.body
    assert_event(w.since, action="container.backup_schedule", target=name, source="api", user="dave", operation=True)


@sample(both("api/v1/backups/import"), "POST")
def api_backup_import(w, route, method):
    name = w.free_name()
    response = w.client().post(fill(route), {"file": archive_upload(w), "name": name},
                               headers={"private-token": w.tokens.erin})
    assert response.status_code == 200, response.content[:2000]
    assert_event(w.since, action="container.backup_restore", target=name, source="api", user="erin",
                 operation=response.json()["operation"])


@sample("containers/<str:name>/backups/", "POST")
def panel_backup(w, route, method):
    name = w.container()
    response = w.client(w.users.dave).post(fill(route, name=name), {"comment": "walked"})
    assert response.status_code == 302, response.content[:2000]
    assert_event(w.since, action="container.backup", target=name, source="panel", user="dave", operation=True)


@sample("containers/<str:name>/backups/<uuid:backup_id>/restore/", "POST")
def panel_backup_restore(w, route, method):
    source, backup = ready_backup(w)
    name = w.free_name()
    response = w.client(w.users.erin).post(fill(route, name=source, backup_id=backup.pk), {"new_name": name})
    assert response.status_code == 302, response.content[:2000]
    assert_event(w.since, action="container.backup_restore", target=name, source="panel", user="erin", operation=True)


@sample("containers/<str:name>/backups/<uuid:backup_id>/delete/", "POST")
def panel_backup_delete(w, route, method):
    name, backup = ready_backup(w)
    response = w.client(w.users.erin).post(fill(route, name=name, backup_id=backup.pk), {"confirm": "on"})
    assert response.status_code == 302, response.content[:2000]
    assert_event(w.since, action="container.backup_delete", target=name, source="panel", user="erin", operation=True)


@sample("containers/<str:name>/backup-schedule/", "POST")
def panel_backup_schedule(w, route, method):
    name = w.container()
    response = w.client(w.users.dave).post(fill(route, name=name), {
        "enabled": "on", "frequency": "daily", "time": "03:00", "keep": "2"})
    assert response.status_code == 302, response.content[:2000]
    assert_event(w.since, action="container.backup_schedule", target=name, source="panel", user="dave",
                 operation=True)


@sample("backups/import/", "POST")
def panel_backup_import(w, route, method):
    name = w.free_name()
    response = w.client(w.users.erin).post(fill(route), {"file": archive_upload(w), "name": name})
    assert response.status_code == 302, response.content[:2000]
    assert_event(w.since, action="container.backup_restore", target=name, source="panel", user="erin", operation=True)


# The panel -------------------------------------------------------------------------------------

@sample("login/", "POST")
def panel_sign_in(w, route, method):
    response = w.client().post(fill(route), {"username": "bob", "password": "pw-bob"})
    assert response.status_code == 302
    assert_event(w.since, action="auth.login", target="user:bob", source="panel", user="bob")


@sample("login/", "POST")
def panel_sign_in_failure(w, route, method):
    response = w.client().post(fill(route), {"username": "bob", "password": "wrong"})
    assert response.status_code == 200
    assert_event(w.since, action="auth.login", target="user:bob", source="panel", user="bob", outcome="failed",
                 signed_in=False)


@sample(["login/", "password_change/"], "PUT")
def form_view_put(w, route, method):
    # Django's FormView answers PUT as POST, with the form data of request.POST, which Django
    # fills for a POST only: an empty form, refused. Nothing changes, no event.
    client = w.client(w.users.bob)
    since = last_event_id()
    body = "username=bob&password=pw-bob&old_password=pw-bob&new_password1=Walk-2-pass!&new_password2=Walk-2-pass!"
    response = client.generic(method, fill(route), body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    assert_no_event_from(since)
    assert w.users.bob.check_password("pw-bob")


@sample("logout/", "POST")
def panel_sign_out(w, route, method):
    response = w.client(w.users.bob).post(fill(route))
    assert response.status_code == 302
    assert_event(w.since, action="auth.logout", target="user:bob", source="panel", user="bob")


@sample("password_change/", "POST")
def panel_password_change(w, route, method):
    response = w.client(w.users.bob).post(fill(route), {
        "old_password": "pw-bob", "new_password1": "Walk-2-pass!", "new_password2": "Walk-2-pass!"})
    assert response.status_code == 302
    assert_event(w.since, action="auth.password_change", target="user:bob", source="panel", user="bob")


@sample("tokens/", "POST")
def panel_token_create(w, route, method):
    response = w.client(w.users.bob).post(fill(route), {"description": "walk panel", "lifetime": 7})
    assert response.status_code == 201
    w.secrets.add(secret_on_page(response))
    token = Token.objects.get(description="walk panel")
    assert_event(w.since, action="token.create", target=f"token:walk panel (#{token.pk})", source="panel",
                 user="bob")


@sample("tokens/<int:pk>/revoke/", "POST")
def panel_token_revoke(w, route, method):
    w.token(w.users.bob, description="panel revoke")
    token = Token.objects.get(description="panel revoke")
    response = w.client(w.users.bob).post(fill(route, pk=token.pk))
    assert response.status_code == 302
    assert_event(w.since, action="token.revoke", target=f"token:panel revoke (#{token.pk})", source="panel",
                 user="bob")


@sample("operations/<uuid:operation_id>/cancel/", "POST")
def panel_cancel(w, route, method):
    operation = w.pending_operation(w.users.erin)
    response = w.client(w.users.erin).post(fill(route, operation_id=operation.pk))
    assert response.status_code == 302
    assert_event(w.since, action="operation.cancel", target=operation.container, source="panel", user="erin",
                 operation=operation)


@sample("dashboard/bulk/", "POST")
def panel_bulk(w, route, method):
    names = [w.container(), w.container()]
    response = w.client(w.users.dave).post(fill(route), {"action": "start", "names": names})
    assert response.status_code == 302
    for name in names:
        assert_event(w.since, action="container.start", target=name, source="panel", user="dave", operation=True)


@sample("containers/new/", "POST")
def panel_create(w, route, method):
    name = w.free_name()
    response = w.client(w.users.erin).post(fill(route), {"name": name, "template": "busybox", "store": "dir"})
    assert response.status_code == 302, response.content[:2000]
    operation_id = response["Location"].rstrip("/").rsplit("/", 1)[1]
    assert_event(w.since, action="container.create", target=name, source="panel", user="erin",
                 operation=operation_id)


@sample("containers/<str:name>/action/", "POST")
def panel_action(w, route, method):
    name = w.container()
    response = w.client(w.users.dave).post(fill(route, name=name), {"action": "start"})
    assert response.status_code == 302
    assert_event(w.since, action="container.start", target=name, source="panel", user="dave", operation=True)


@sample("containers/<str:name>/settings/", "POST")
def panel_settings(w, route, method):
    name = w.container()
    response = w.client(w.users.dave).post(fill(route, name=name), {
        "start_delay": 0, "start_order": 0, "description": "walked"})
    assert response.status_code == 302, response.content[:2000]
    assert_event(w.since, action="container.settings", target=name, source="panel", user="dave", operation=True)


@sample("containers/<str:name>/clone/", "POST")
def panel_clone(w, route, method):
    source, name = w.container(), w.free_name()
    response = w.client(w.users.erin).post(fill(route, name=source), {"new_name": name, "store": ""})
    assert response.status_code == 302, response.content[:2000]
    assert_event(w.since, action="container.clone", target=name, source="panel", user="erin", operation=True)


@sample("containers/<str:name>/delete/", "POST")
def panel_delete(w, route, method):
    name = w.container()
    response = w.client(w.users.erin).post(fill(route, name=name), {"confirm": name})
    assert response.status_code == 302, response.content[:2000]
    assert_event(w.since, action="container.destroy", target=name, source="panel", user="erin", operation=True)


@sample("containers/<str:name>/snapshots/", "POST")
def panel_snapshot(w, route, method):
    name = w.container()
    response = w.client(w.users.dave).post(fill(route, name=name), {"comment": "walked"})
    assert response.status_code == 302, response.content[:2000]
    assert_event(w.since, action="container.snapshot", target=name, source="panel", user="dave", operation=True)


@sample("containers/<str:name>/snapshots/<str:snapshot>/restore/", "POST")
def panel_snapshot_restore(w, route, method):
    name = w.container(start=True, snapshot="walked")
    response = w.client(w.users.dave).post(fill(route, name=name, snapshot="snap0"), {"force": "on"})
    assert response.status_code == 302, response.content[:2000]
    assert_event(w.since, action="container.snapshot_restore", target=name, source="panel", user="dave",
                 operation=True)


@sample("containers/<str:name>/snapshots/<str:snapshot>/delete/", "POST")
def panel_snapshot_delete(w, route, method):
    name = w.container(snapshot="walked")
    response = w.client(w.users.dave).post(fill(route, name=name, snapshot="snap0"))
    assert response.status_code == 302, response.content[:2000]
    assert_event(w.since, action="container.snapshot_delete", target=name, source="panel", user="dave",
                 operation=True)


@sample("containers/<str:name>/snapshots/<str:snapshot>/clone/", "POST")
def panel_snapshot_clone(w, route, method):
    source, name = w.container(snapshot="walked"), w.free_name()
    response = w.client(w.users.erin).post(fill(route, name=source, snapshot="snap0"), {"new_name": name})
    assert response.status_code == 302, response.content[:2000]
    assert_event(w.since, action="container.clone", target=name, source="panel", user="erin", operation=True)


# The admin: its own pages -----------------------------------------------------------------------

@sample("admin/login/", "POST")
def admin_sign_in(w, route, method):
    response = w.client().post(fill(route), {"username": "alice", "password": "pw-alice", "next": "/admin/"})
    assert response.status_code == 302
    assert_event(w.since, action="auth.login", target="user:alice", source="admin", user="alice")


@sample("admin/login/", "POST")
def admin_sign_in_failure(w, route, method):
    response = w.client().post(fill(route), {"username": "alice", "password": "wrong", "next": "/admin/"})
    assert response.status_code == 200
    assert_event(w.since, action="auth.login", target="user:alice", source="admin", user="alice",
                 outcome="failed", signed_in=False)


@sample("admin/logout/", "POST")
def admin_sign_out(w, route, method):
    response = w.client(w.users.alice).post(fill(route))
    assert response.status_code == 302  # to the sign-in page (LOGOUT_REDIRECT_URL)
    assert_event(w.since, action="auth.logout", target="user:alice", source="admin", user="alice")


@sample("admin/password_change/", "POST")
def admin_password_change(w, route, method):
    response = w.client(w.users.alice).post(fill(route), {
        "old_password": "pw-alice", "new_password1": "Walk-2-pass!", "new_password2": "Walk-2-pass!"})
    assert response.status_code == 302, response.content[:2000]
    assert_event(w.since, action="auth.password_change", target="user:alice", source="admin", user="alice")


# The admin: each model's add, change, delete and actions ---------------------------------------

def admin_post(w, route, data=None, *, status=302, **values):
    response = w.client(w.users.alice).post(fill(route, **values), data or {})
    assert response.status_code == status, response.content[:3000]
    return response


def expect_admin(w, action, target, **kwargs):
    return assert_event(w.since, action=action, target=target, source="admin", user="alice", **kwargs)


def run_action(w, route, name, objects, **extra):
    admin_post(w, route, {"action": name, "_selected_action": [obj.pk for obj in objects], **extra})


def delete_selected(model_name, make):
    """The delete_selected action on two rows: two events (Django logs them in one bulk write)."""

    def run(w, route, method):
        objects = [make(w, 1), make(w, 2)]
        run_action(w, route, "delete_selected", objects, post="yes")
        for obj in objects:
            expect_admin(w, "admin.delete", f"{model_name}:{obj}")
    run.action_name = "delete_selected"
    return run


def refused(w, route, method):
    """A read-only model: the admin refuses the write, which is a permission.denied event."""
    path = fill(route, object_id=uuid.uuid4())
    response = w.client(w.users.alice).post(path, {"post": "yes"})
    assert response.status_code == 403
    assert_event(w.since, action="permission.denied", target=f"POST {path}", source="admin", user="alice",
                 outcome="denied")


def inert_changelist(w, route, method):
    """A read-only model's list offers no action and no editing: a POST changes nothing."""
    before = last_event_id()
    response = w.client(w.users.alice).post(fill(route), {"action": "delete_selected", "_selected_action": ["1"],
                                                           "post": "yes"})
    assert response.status_code == 200
    assert_no_event_from(before)


def admin_model(app, model, *, add=None, change=None, delete=None, actions=()):
    base = f"admin/{app}/{model}/"
    for route, fn in ((base + "add/", add), (base + "<path:object_id>/change/", change),
                      (base + "<path:object_id>/delete/", delete)):
        sample(route, "POST")(fn or refused)
    for fn in actions or [inert_changelist]:
        sample(base, "POST")(fn)


# users and groups
def make_user(w, n):
    return w.users.alice.__class__.objects.create_user(f"walk-user-{n}", password="x")


def user_add(w, route, method):
    admin_post(w, route, {"username": "walker", "password1": "Walk-2-pass!", "password2": "Walk-2-pass!",
                          "usable_password": "true"})
    expect_admin(w, "admin.add", "user:walker")


def user_change(w, route, method):
    charlie = w.users.charlie
    admin_post(w, route, {"username": "charlie", "first_name": "Charles", "last_name": "", "email": "",
                          "is_active": "on", "date_joined_0": "2025-01-01", "date_joined_1": "00:00:00"},
               object_id=charlie.pk)
    expect_admin(w, "admin.change", "user:charlie", message="First name")


def user_delete(w, route, method):
    admin_post(w, route, {"post": "yes"}, object_id=w.users.charlie.pk)
    expect_admin(w, "admin.delete", "user:charlie")


@sample("admin/auth/user/<id>/password/", "POST")
def user_password(w, route, method):
    admin_post(w, route, {"password1": "Walk-2-pass!", "password2": "Walk-2-pass!", "usable_password": "true"},
               id=w.users.bob.pk)
    expect_admin(w, "admin.change", "user:bob", message="Changed password")


admin_model("auth", "user", add=user_add, change=user_change, delete=user_delete,
            actions=[delete_selected("user", make_user)])


def make_group(w, n):
    return w.group(f"walk-group-{n}")


def group_add(w, route, method):
    admin_post(w, route, {"name": "walkers"})
    expect_admin(w, "admin.add", "group:walkers")


def group_change(w, route, method):
    group = w.group("walkers")
    admin_post(w, route, {"name": "strollers"}, object_id=group.pk)
    expect_admin(w, "admin.change", "group:strollers")


def group_delete(w, route, method):
    group = w.group("walkers")
    admin_post(w, route, {"post": "yes"}, object_id=group.pk)
    expect_admin(w, "admin.delete", "group:walkers")


admin_model("auth", "group", add=group_add, change=group_change, delete=group_delete,
            actions=[delete_selected("group", make_group)])


# tokens
def make_token_row(w, n):
    w.token(w.users.bob, description=f"walk token {n}")
    return Token.objects.get(description=f"walk token {n}")


def token_add(w, route, method):
    response = admin_post(w, route, {"user": w.users.bob.pk, "description": "walk admin", "expires_0": "",
                                     "expires_1": ""}, status=200)
    w.secrets.add(secret_on_page(response))
    token = Token.objects.get(description="walk admin")
    expect_admin(w, "token.create", f"token:walk admin (#{token.pk})")
    expect_admin(w, "admin.add", "token:walk admin")


def token_change(w, route, method):
    token = make_token_row(w, 1)
    admin_post(w, route, {"description": "renamed", "expires_0": "", "expires_1": ""}, object_id=token.pk)
    expect_admin(w, "admin.change", "token:renamed")


def token_delete(w, route, method):
    token = make_token_row(w, 1)
    admin_post(w, route, {"post": "yes"}, object_id=token.pk)
    expect_admin(w, "admin.delete", "token:walk token 1")


def token_revoke_action(w, route, method):
    tokens = [make_token_row(w, 1), make_token_row(w, 2)]
    run_action(w, route, "revoke_tokens", tokens)
    for token in tokens:
        expect_admin(w, "token.revoke", f"token:{token} (#{token.pk})")
    expect_admin(w, "admin.action", "token:revoke_tokens")


token_revoke_action.action_name = "revoke_tokens"
admin_model("tokens", "token", add=token_add, change=token_change, delete=token_delete,
            actions=[token_revoke_action, delete_selected("token", make_token_row)])


# container metadata
def make_metadata(w, n):
    return Container.objects.create(name=w.container())


def metadata_add(w, route, method):
    name = w.free_name()
    admin_post(w, route, {"name": name, "description": "added in the admin"})
    expect_admin(w, "admin.add", f"container:{name}")


def metadata_change(w, route, method):
    row = make_metadata(w, 1)
    admin_post(w, route, {"description": "changed in the admin"}, object_id=row.pk)
    expect_admin(w, "admin.change", f"container:{row.name}", message="Description")


def metadata_delete(w, route, method):
    row = make_metadata(w, 1)
    admin_post(w, route, {"post": "yes"}, object_id=row.pk)
    expect_admin(w, "admin.delete", f"container:{row.name}")


def power_action(name, verb):
    def run(w, route, method):
        rows = [make_metadata(w, 1), make_metadata(w, 2)]
        if verb == "stop":
            for row in rows:
                w.engine.start(row.name)
        run_action(w, route, name, rows)
        for row in rows:
            expect_admin(w, f"container.{verb}", row.name, operation=True)
        expect_admin(w, "admin.action", f"container:{name}")
    run.action_name = name
    return run


def forget_orphans(w, route, method):
    gone = Container.objects.create(name=w.free_name())  # its container does not exist
    run_action(w, route, "forget_orphans", [gone])
    expect_admin(w, "container.forget_metadata", gone.name)
    expect_admin(w, "admin.action", "container:forget_orphans")


forget_orphans.action_name = "forget_orphans"
admin_model("containers", "container", add=metadata_add, change=metadata_change, delete=metadata_delete,
            actions=[power_action("start_containers", "start"), power_action("stop_containers", "stop"),
                     forget_orphans, delete_selected("container", make_metadata)])

# the operations app: read-only, even for a superuser
admin_model("operations", "operation")
admin_model("operations", "event")
admin_model("containers", "consolerecord")  # console sessions: read-only too
admin_model("django_tasks_database", "dbtaskresult")


# axes: its records of sign-ins and failures may be looked at, changed (nothing: every field is
# read-only, but a save is still recorded) and deleted, which lifts a lock-out
def axes_row(model):
    def make(w, n):
        fields = {"username": f"walk-{n}", "ip_address": "198.51.100.1", "user_agent": "walk",
                  "http_accept": "*/*", "path_info": "/login/"}
        if model is AccessAttempt:
            fields.update(get_data="", post_data="", failures_since_start=1)
        return model.objects.create(**fields)
    return make


def axes_change(model):
    def run(w, route, method):
        row = axes_row(model)(w, 1)
        admin_post(w, route, {}, object_id=row.pk)
        expect_admin(w, "admin.change", f"{model._meta.model_name}:{row}")
    return run


def axes_delete(model):
    def run(w, route, method):
        row = axes_row(model)(w, 1)
        admin_post(w, route, {"post": "yes"}, object_id=row.pk)
        expect_admin(w, "admin.delete", f"{model._meta.model_name}:{row}")
    return run


def axes_cleanup(w, route, method):
    row = axes_row(AccessAttempt)(w, 1)
    run_action(w, route, "cleanup_expired_attempts", [row])
    expect_admin(w, "admin.action", "accessattempt:cleanup_expired_attempts")


axes_cleanup.action_name = "cleanup_expired_attempts"
for axes_model, axes_actions in ((AccessAttempt, [axes_cleanup]), (AccessLog, []), (AccessFailureLog, [])):
    name = axes_model._meta.model_name
    admin_model("axes", name, add=refused, change=axes_change(axes_model), delete=axes_delete(axes_model),
                actions=[*axes_actions, delete_selected(name, axes_row(axes_model))])


# ----- the tests --------------------------------------------------------------------------------


@pytest.fixture
def world(users, tokens, make_token, fake_engine, fake_container):
    return World(users, tokens, make_token, fake_engine, fake_container)


def test_every_write_route_has_a_sample():
    found, unknown = write_routes()
    assert not unknown, f"function views missing from VIEW_FUNCTIONS: {unknown}"
    missing = sorted(found - set(SAMPLES))
    assert not missing, f"write routes without a sample request in SAMPLES: {missing}"
    stale = sorted(set(SAMPLES) - found)
    assert not stale, f"samples for routes or methods that do not exist (any more): {stale}"


def test_the_walk_reaches_every_surface():
    found, _ = write_routes()
    assert {("api/v1/containers/", "PUT"), ("api/v1/containers", "PUT"), ("api/v1/containers/<str:name>", "DELETE"),
            ("api/v1/containers/<str:name>/", "DELETE"), ("containers/<str:name>/action/", "POST"),
            ("admin/auth/user/add/", "POST"), ("admin/auth/user/", "POST"), ("login/", "POST")} <= found
    assert len(found) > 60


def test_every_admin_action_has_a_sample(users):
    request = RequestFactory().post("/admin/")
    request.user = users.alice
    for model, model_admin in admin.site._registry.items():
        route = f"admin/{model._meta.app_label}/{model._meta.model_name}/"
        sampled = {getattr(fn, "action_name", None) for fn in SAMPLES.get((route, "POST"), [])} - {None}
        assert set(model_admin.get_actions(request)) == sampled, route


def _cases():
    return [pytest.param(route, method, fn, id=f"{method} /{route} {fn.__name__}")
            for (route, method), fns in sorted(SAMPLES.items()) for fn in fns]


@pytest.mark.parametrize(("route", "method", "fn"), _cases())
def test_write_route_records_an_event(world, route, method, fn):
    world.since = last_event_id()
    fn(world, route, method)
    assert_no_secret_stored(world.secrets)


@pytest.mark.parametrize("route", sorted({route for route, callback in _routes() if not route.startswith("admin/")
                                          and _qualified_name(inspect.unwrap(callback)) in VIEW_FUNCTIONS}))
def test_view_functions_refuse_the_methods_not_listed(client, users, route):
    """VIEW_FUNCTIONS tells the truth for the panel's views: any other write method is a 405."""
    callback = dict(_routes())[route]
    client.force_login(users.alice)
    path = fill(route, name="x", pk=1, operation_id=uuid.uuid4(), backup_id=uuid.uuid4(), snapshot="snap0")
    for method in set(WRITE_METHODS) - write_methods(callback):
        assert client.generic(method, path).status_code == 405, (method, route)


# ----- refusals, security events and commands ----------------------------------------------------


def test_a_write_refused_for_want_of_permission_is_an_event_on_every_surface(world, fake_container):
    name = fake_container("denied")
    since = last_event_id()
    response = world.api("POST", f"/api/v1/containers/{name}", token=world.tokens.bob, data={"action": "start"})
    assert response.status_code == 403
    assert_event(since, action="permission.denied", target=f"POST /api/v1/containers/{name}", source="api",
                 user="bob", outcome="denied")
    response = world.api("PUT", "/api/v1/containers/", token=world.tokens.readonly,
                         data={"name": "x1", "template": "busybox"})
    assert response.status_code == 403
    assert_event(since, action="permission.denied", target="PUT /api/v1/containers/", source="api",
                 user="alice", outcome="denied")
    response = world.client(world.users.bob).post(f"/containers/{name}/action/", {"action": "start"})
    assert response.status_code == 403
    assert_event(since, action="permission.denied", target=f"POST /containers/{name}/action/", source="panel",
                 user="bob", outcome="denied")
    assert Event.objects.filter(id__gt=since, action="permission.denied", source="panel").count() == 1
    world.users.charlie.is_staff = True
    world.users.charlie.save()
    response = world.client(world.users.charlie).post("/admin/auth/user/add/", {"username": "sneaky"})
    assert response.status_code == 403
    assert_event(since, action="permission.denied", target="POST /admin/auth/user/add/", source="admin",
                 user="charlie", outcome="denied")
    assert world.engine.state(name) == "STOPPED"


def test_reads_refused_are_not_events(world):
    since = last_event_id()
    assert world.api("GET", "/api/v1/containers/", token=world.tokens.charlie).status_code == 403
    assert world.client(world.users.charlie).get("/").status_code == 403
    assert_no_event_from(since)


def test_an_anonymous_write_to_the_api_is_a_denial_without_a_user(world):
    since = last_event_id()
    response = world.client().put("/api/v1/containers/", {}, content_type="application/json")
    assert response.status_code == 401
    assert_event(since, action="permission.denied", target="PUT /api/v1/containers/", source="api", user="",
                 outcome="denied")


def test_a_refused_token_is_an_event_whether_in_a_header_or_the_query_string(world):
    since = last_event_id()
    bad_header, bad_query = "bad-token-in-a-header-0123456789", "bad-token-in-the-query-0123456789"
    assert world.api("GET", "/api/v1/", token=bad_header).status_code == 401
    response = world.client().get(f"/api/v1/containers/?private_token={bad_query}")
    assert response.status_code == 401
    assert_event(since, action="token.refused", target="GET /api/v1/", source="api", user="", outcome="denied")
    assert_event(since, action="token.refused", target="GET /api/v1/containers/", source="api", user="",
                 outcome="denied")
    assert not Event.objects.filter(id__gt=since, action="auth.login").exists()  # not a sign-in
    assert_no_secret_stored(world.secrets | {bad_header, bad_query})


def test_no_event_holds_a_token_secret(world):
    """Tokens made every way, chosen or generated, revoked by path, refused: no secret is kept."""
    since = last_event_id()
    chosen = "my-own-chosen-token-0123456789abcdef"
    world.secrets.add(chosen)
    response = world.api("POST", "/api/v1/tokens", token=world.tokens.bob, data={"token": chosen,
                                                                                 "description": "chosen"})
    assert response.status_code == 200 and "token" not in response.body
    again = world.api("POST", "/api/v1/tokens", token=world.tokens.bob, data={"token": chosen})
    assert again.status_code == 409
    assert_event(since, action="token.create", target="token:", source="api", user="bob", outcome="failed")
    # a read-only token may not revoke: the refusal's target is the path, which holds the token
    refused = world.api("DELETE", f"/api/v1/tokens/{chosen}", token=world.tokens.readonly)
    assert refused.status_code == 403
    assert_event(since, action="permission.denied", target="DELETE /api/v1/tokens/[redacted]", source="api",
                 user="alice", outcome="denied")
    bad = world.api("DELETE", f"/api/v1/tokens/{chosen}", token="wrong-token-0123456789abcdef0123")
    assert bad.status_code == 401
    assert_event(since, action="token.refused", target="DELETE /api/v1/tokens/[redacted]", source="api", user="",
                 outcome="denied")
    world.secrets.add("wrong-token-0123456789abcdef0123")
    assert world.api("DELETE", f"/api/v1/tokens/{chosen}/", token=world.tokens.bob).status_code == 200
    panel = world.client(world.users.bob).post("/tokens/", {"description": "from the panel", "lifetime": 0})
    world.secrets.add(secret_on_page(panel))
    added = world.client(world.users.alice).post("/admin/tokens/token/add/", {
        "user": world.users.bob.pk, "description": "from the admin", "expires_0": "", "expires_1": ""})
    world.secrets.add(secret_on_page(added))
    # and each token at work, on a change that is an operation
    name = world.container()
    for secret, verb in ((world.tokens.dave, "start"), (world.tokens.erin, "stop")):
        assert world.api("POST", f"/api/v1/containers/{name}", token=secret, data={"action": verb}).status_code == 200
    assert world.api("PUT", f"/api/v1/containers/?private_token={world.tokens.erin}", token=None,
                     data={"name": world.free_name(), "template": "busybox"}).status_code == 200
    assert Event.objects.filter(id__gt=since).count() >= 8
    assert Operation.objects.filter(token="erin").exists()  # the token's description, not its secret
    assert_no_secret_stored(world.secrets)


def test_real_lxc_create_and_destroy_are_events(users, tokens, backend, bridge):
    """On liblxc: a busybox container created and destroyed through the API, each an event with its
    operation (the job runs in-process, as ImmediateBackend runs queued jobs in tests)."""
    name = playground.unique_name("audit")
    since = last_event_id()
    api = World(users, tokens, None, None, None).api
    try:
        created = api("PUT", "/api/v1/containers/", token=tokens.erin, data={"name": name, "template": "busybox"})
        assert created.status_code == 200, created.body
        assert backend.exists(name)
        assert_event(since, action="container.create", target=name, source="api", user="erin",
                     operation=created.body["operation"])
        destroyed = api("DELETE", f"/api/v1/containers/{name}", token=tokens.erin)
        assert destroyed.status_code == 200, destroyed.body
        assert not backend.exists(name)
        assert_event(since, action="container.destroy", target=name, source="api", user="erin",
                     operation=destroyed.body["operation"])
    finally:
        if backend.exists(name):
            backend.destroy(name, force=True)
    assert_no_secret_stored(set(vars(tokens).values()))

