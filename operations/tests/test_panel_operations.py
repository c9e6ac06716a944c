"""The panel's operations: their pages, the activity log, the dashboard's box, a container's history.

The fake engine stands in for liblxc: what is checked is who sees and may do what, and what
the pages show. Jobs run inside the request (ImmediateBackend, see testing/settings.py).
"""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from operations import audit
from operations.models import Event, LogLine, Operation

pytestmark = pytest.mark.django_db

LIST = reverse("operations:list")
ACTIVITY = reverse("operations:activity")


def detail_url(operation):
    return reverse("operations:detail", args=[operation.pk])


def cancel_url(operation):
    return reverse("operations:cancel", args=[operation.pk])


def make_operation(user, *, kind="create", container="c1", status="pending", **fields):
    return Operation.objects.create(kind=kind, container=container, user=user, username=user.username,
                                    source="panel", status=status, **fields)


def shown(response):
    """What the list page shows, as the objects of its page."""
    return list(response.context["page"].object_list)


# ----- who sees what ---------------------------------------------------------------------------


def test_anonymous_visitor_is_sent_to_sign_in(client, users):
    operation = make_operation(users.dave)
    for url in (LIST, ACTIVITY, detail_url(operation)):
        assert client.get(url)["Location"].startswith("/login/")
    assert client.post(cancel_url(operation))["Location"].startswith("/login/")


def test_viewer_sees_the_operations_and_their_logs(client, users):
    operation = make_operation(users.dave, status="running", progress=40)
    LogLine.objects.create(operation=operation, time=timezone.now(), line="Downloading the image index")
    client.force_login(users.bob)
    assert shown(client.get(LIST)) == [operation]
    page = client.get(detail_url(operation)).content.decode()
    assert "Downloading the image index" in page
    assert '<progress max="100" value="40"' in page
    assert 'badge badge-op-running' in page


def test_a_kind_reads_as_words_in_the_list_and_on_its_page(client, users):
    operation = make_operation(users.dave, kind="snapshot_restore")
    client.force_login(users.bob)
    for page in (client.get(LIST).content.decode(), client.get(detail_url(operation)).content.decode()):
        assert "napshot restore" in page
        assert "snapshot_restore" not in page


def test_user_without_permission_gets_403_everywhere(client, users):
    operation = make_operation(users.dave)
    client.force_login(users.charlie)
    for url in (LIST, ACTIVITY, detail_url(operation)):
        assert client.get(url).status_code == 403
    assert client.post(cancel_url(operation)).status_code == 403
    operation.refresh_from_db()
    assert operation.status == "pending"


def test_nav_links_for_those_who_may_view_containers(client, users):
    client.force_login(users.bob)
    page = client.get(LIST).content.decode()
    assert f'href="{LIST}" aria-current="page">Operations</a>' in page
    assert f'href="{ACTIVITY}">Activity</a>' in page
    client.force_login(users.charlie)
    page = client.get(reverse("tokens:list")).content.decode()
    assert f'href="{LIST}"' not in page and f'href="{ACTIVITY}"' not in page


def test_security_events_are_for_administrators_only(client, users):
    audit.record_event(action="auth.login", target="user:dave", user=users.dave)
    audit.record_event(action="container.start", target="web1", user=users.dave)
    client.force_login(users.bob)
    assert [e.action for e in shown(client.get(ACTIVITY))] == ["container.start"]
    client.force_login(users.erin)
    actions = [e.action for e in shown(client.get(ACTIVITY))]
    # erin's own sign-in (force_login) is there too
    assert "auth.login" in actions and "container.start" in actions
    assert any(e.target == "user:dave" for e in shown(client.get(ACTIVITY, {"action": "auth.login"})))


def test_unknown_operation_is_a_404_page(client, users):
    client.force_login(users.bob)
    assert client.get("/operations/00000000-0000-0000-0000-000000000000/").status_code == 404


# ----- cancelling ------------------------------------------------------------------------------


def test_user_cancels_their_own_pending_operation(client, users):
    operation = make_operation(users.dave)
    client.force_login(users.dave)
    assert 'class="btn btn-sm btn-halt">Cancel</button>' in client.get(detail_url(operation)).content.decode()
    response = client.post(cancel_url(operation))
    assert response["Location"] == detail_url(operation)
    operation.refresh_from_db()
    assert operation.status == "cancelled"
    assert Event.objects.filter(action="operation.cancel", operation=operation.pk, username="dave").exists()
    page = client.get(detail_url(operation)).content.decode()
    assert "btn-halt" not in page and "hx-trigger" not in page  # finished: no button, no more polling


def test_someone_elses_operation_is_not_theirs_to_cancel(client, users):
    operation = make_operation(users.erin)
    client.force_login(users.dave)
    assert "btn-halt" not in client.get(detail_url(operation)).content.decode()
    assert client.post(cancel_url(operation)).status_code == 403
    operation.refresh_from_db()
    assert operation.status == "pending" and not operation.cancel_requested
    assert Event.objects.filter(action="permission.denied", username="dave").exists()


def test_administrators_cancel_anyones(client, users):
    operation = make_operation(users.dave)
    client.force_login(users.erin)
    assert "btn-halt" in client.get(detail_url(operation)).content.decode()
    client.post(cancel_url(operation))
    operation.refresh_from_db()
    assert operation.status == "cancelled"


def test_a_running_operation_asked_to_stop_shows_no_second_cancel(client, users):
    operation = make_operation(users.dave, status="running", cancel_requested=True)
    client.force_login(users.dave)
    page = client.get(detail_url(operation)).content.decode()
    assert "btn-halt" not in page and "cancelling" in page


def test_cancelling_a_finished_operation_says_so(client, users):
    operation = make_operation(users.dave, status="succeeded")
    client.force_login(users.dave)
    response = client.post(cancel_url(operation), follow=True)
    assert [str(m) for m in response.context["messages"]] == [f"operation {operation.pk} already succeeded"]


# ----- the operation's page --------------------------------------------------------------------


def test_htmx_gets_the_live_part_only_and_it_stops_polling_when_finished(client, users):
    operation = make_operation(users.dave, status="running")
    client.force_login(users.bob)
    live = client.get(detail_url(operation), headers={"HX-Request": "true"})
    text = live.content.decode()
    assert [t.name for t in live.templates][0] == "operations/_live.html"
    assert text.lstrip().startswith('<div id="operation-live"')
    assert "<html" not in text and "<h1" not in text
    assert 'hx-trigger="every 1s"' in text
    Operation.objects.filter(pk=operation.pk).update(status="succeeded", progress=100)
    text = client.get(detail_url(operation), headers={"HX-Request": "true"}).content.decode()
    assert "hx-trigger" not in text and "hx-get" not in text
    assert 'data-status="succeeded"' in text


def test_created_container_is_linked_once_done(client, users, fake_engine):
    client.force_login(users.erin)
    response = client.post(reverse("containers:create"), {"name": "made1", "template": "busybox", "store": "dir"})
    operation = Operation.objects.get(kind="create", container="made1")
    assert response["Location"] == detail_url(operation)
    page = client.get(detail_url(operation)).content.decode()
    assert operation.status == "succeeded"
    assert f'href="{reverse("containers:detail", args=["made1"])}">Go to made1</a>' in page
    client.post(reverse("containers:delete", args=["made1"]), {"confirm": "made1"})
    destroy = Operation.objects.get(kind="destroy", container="made1")
    page = client.get(detail_url(destroy)).content.decode()
    assert f'href="{reverse("containers:dashboard")}">Back to the containers</a>' in page
    assert "Go to made1" not in page


def test_failed_create_shows_the_error_and_the_templates_output(client, users):
    operation = make_operation(users.erin, status="failed", error_code="lxc_error",
                               error_message="the template failed: no such release",
                               result={"output": "Downloading the image index\nERROR: no such release"})
    client.force_login(users.bob)
    page = client.get(detail_url(operation)).content.decode()
    assert "the template failed: no such release" in page and "(lxc_error)" in page
    assert "Template output" in page and "ERROR: no such release" in page
    assert "Go to" not in page


def test_a_running_operations_page_shows_the_end_of_a_long_log_and_all_of_it_once_finished(client, users):
    operation = make_operation(users.dave, status="running")
    LogLine.objects.bulk_create(LogLine(operation=operation, time=timezone.now(), line=f"line {n} <b>")
                                for n in range(1000))
    client.force_login(users.bob)
    live = client.get(detail_url(operation), headers={"HX-Request": "true"}).content.decode()
    assert "700 earlier lines" in live
    assert "line 699 " not in live and "line 700 &lt;b&gt;\n" in live and "line 999 &lt;b&gt;\n" in live
    Operation.objects.filter(pk=operation.pk).update(status="succeeded")
    done = client.get(detail_url(operation)).content.decode()
    assert "earlier line" not in done and "line 0 &lt;b&gt;\n" in done and done.count('class="logtime"') == 1000


# ----- filters -----------------------------------------------------------------------------------


def test_operation_filters(client, users):
    running = make_operation(users.dave, container="web1", status="running")
    failed = make_operation(users.erin, container="web2", status="failed")
    done = make_operation(users.erin, container="web1", status="succeeded")
    client.force_login(users.bob)
    assert shown(client.get(LIST, {"status": "running"})) == [running]
    assert set(shown(client.get(LIST, {"container": "web1"}))) == {running, done}
    assert set(shown(client.get(LIST, {"user": "erin"}))) == {failed, done}
    assert shown(client.get(LIST, {"user": "erin", "status": "failed"})) == [failed]
    assert shown(client.get(LIST, {"status": "bogus"})) == []  # refused filter: nothing, not everything
    page = client.get(LIST, {"status": "failed"}).content.decode()
    assert '<option value="failed" selected>' in page and ">Clear</a>" in page
    assert ">Clear</a>" not in client.get(LIST, {"status": "", "container": ""}).content.decode()


def test_activity_filters(client, users):
    old = audit.record_event(action="container.start", target="web1", user=users.dave)
    Event.objects.filter(pk=old.pk).update(time=timezone.now() - timedelta(days=2))
    start = audit.record_event(action="container.start", target="web2", user=users.erin)
    stop = audit.record_event(action="container.stop", target="web1", user=users.erin)
    client.force_login(users.bob)
    assert [e.pk for e in shown(client.get(ACTIVITY, {"container": "web1"}))] == [stop.pk, old.pk]
    assert [e.pk for e in shown(client.get(ACTIVITY, {"user": "erin"}))] == [stop.pk, start.pk]
    assert [e.pk for e in shown(client.get(ACTIVITY, {"action": "container.start"}))] == [start.pk, old.pk]
    # what the page's date-time picker sends: local time, no seconds
    since = timezone.localtime(timezone.now() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = client.get(ACTIVITY, {"since": since, "container": "web1"})
    assert [e.pk for e in shown(response)] == [stop.pk]
    assert 'type="datetime-local" name="since"' in response.content.decode()
    assert shown(client.get(ACTIVITY, {"since": "yesterday"})) == []


def test_pages_keep_the_filters_in_their_links(client, users):
    for n in range(51):
        make_operation(users.dave, container="many")
    client.force_login(users.bob)
    page = client.get(LIST, {"container": "many"}).content.decode()
    assert 'href="?container=many&amp;page=2">Older</a>' in page
    assert len(shown(client.get(LIST, {"container": "many", "page": 2}))) == 1


# ----- the dashboard and a container's page ----------------------------------------------------


def test_dashboard_shows_running_operations_only_when_there_are_some(client, users, fake_engine):
    client.force_login(users.bob)
    for url in ("/", reverse("containers:table")):
        page = client.get(url).content.decode()
        assert 'id="running-ops"' in page and "Running operations" not in page
    finished = make_operation(users.dave, container="done1", status="succeeded")
    running = make_operation(users.dave, container="busy1", status="running", progress=30)
    page = client.get("/").content.decode()
    assert "Running operations" in page and f'href="{detail_url(running)}"' in page
    assert '<progress max="100" value="30"' in page and "by dave" in page
    assert detail_url(finished) not in page
    fragment = client.get(reverse("containers:table")).content.decode()  # the 5 s refresh brings it along
    assert '<div id="running-ops" hx-swap-oob="true">' in fragment and detail_url(running) in fragment


def test_container_page_has_its_history_and_the_running_operation(client, users, fake_container):
    name = fake_container("hist")
    other = fake_container("other")
    client.force_login(users.dave)
    client.post(reverse("containers:action", args=[name]), {"action": "start"})
    client.post(reverse("containers:action", args=[other]), {"action": "start"})
    started = Operation.objects.get(kind="start", container=name)
    client.force_login(users.bob)
    page = client.get(reverse("containers:detail", args=[name])).content.decode()
    history = page[page.index('id="history"'):page.index('id="config"')]
    assert f'<a href="{detail_url(started)}">container.start</a>' in history
    assert other not in history
    assert f'href="{ACTIVITY}?container={name}"' in history
    assert "Follow it" not in page
    running = make_operation(users.erin, kind="destroy", container=name, status="running")
    cloning = make_operation(users.erin, kind="clone", container=name + "-copy", status="pending",
                             params={"source": name})
    make_operation(users.erin, kind="clone", container=name + "-other", status="pending", params={"source": other})
    page = client.get(reverse("containers:detail", args=[name])).content.decode()
    assert f"An operation on {name} is running: destroy, asked by erin." in page
    assert f'<a href="{detail_url(running)}">Follow it</a>' in page
    assert f'clone of <span class="mono">{name}-copy</span>' in page and detail_url(cloning) in page
    assert page.count("Follow it") == 2
