"""The dashboard: host card, the container table and its fragment, per-row and bulk actions."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

DASHBOARD = "/"
TABLE = "/dashboard/table/"
BULK = "/dashboard/bulk/"


def action_url(name):
    return reverse("containers:action", args=[name])


def messages_of(response):
    return [str(m) for m in response.context["messages"]] if response.context else []


def test_anonymous_visitor_is_sent_to_sign_in(client):
    for url in (DASHBOARD, TABLE):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/login/?next=")


def test_user_without_permission_gets_403(client, users):
    client.force_login(users.charlie)
    assert client.get(DASHBOARD).status_code == 403
    assert client.get(TABLE).status_code == 403


def test_dashboard_lists_real_containers_with_host_card(client, users, make_container):
    stopped = make_container("dash")
    client.force_login(users.bob)
    response = client.get(DASHBOARD)
    assert response.status_code == 200
    page = response.content.decode()
    assert stopped in page
    assert 'class="badge badge-off">stopped' in page
    for label in ("Kernel", "LXC", "cgroup", "CPUs", "Load", "Memory", "Disk"):
        assert f"<dt>{label}" in page
    assert "htmx.min.js" in page and 'hx-trigger="every 5s" data-poll="visible"' in page


def test_viewer_sees_no_action_buttons_and_no_bulk_form(client, users, fake_container):
    fake_container("view")
    client.force_login(users.bob)
    page = client.get(DASHBOARD).content.decode()
    assert 'name="action"' not in page
    assert 'id="bulk-form"' not in page
    assert "New container" not in page


def test_operator_sees_start_button_for_stopped_container(client, users, fake_container):
    name = fake_container("op")
    client.force_login(users.dave)
    page = client.get(DASHBOARD).content.decode()
    assert f'title="Start {name}"' in page
    assert f'title="Stop {name}"' not in page


def test_search_and_state_filter_use_the_filterset(client, users, fake_container):
    first, second = fake_container("alpha"), fake_container("beta")
    client.force_login(users.bob)
    page = client.get(DASHBOARD, {"search": first}).content.decode()
    assert first in page and second not in page
    page = client.get(TABLE, {"state": "running"}).content.decode()
    assert first not in page and "No container matches these filters." in page


def test_fragment_carries_table_counts_and_messages_out_of_band(client, users, fake_container):
    fake_container("frag")
    client.force_login(users.bob)
    page = client.get(TABLE).content.decode()
    assert page.lstrip().startswith("<div id=\"container-table\"")
    assert 'id="summary" class="summary" hx-swap-oob="true"' in page
    assert "<html" not in page


def test_filter_request_from_htmx_replaces_the_address_bar_url(client, users):
    client.force_login(users.bob)
    response = client.get(TABLE, {"search": "web"}, headers={"HX-Request": "true", "HX-Trigger": "filters"})
    assert response["HX-Replace-Url"] == "/?search=web"


def test_start_then_stop_from_the_table_changes_the_state(client, users, make_container, backend):
    name = make_container("power")
    client.force_login(users.dave)
    response = client.post(action_url(name), {"action": "start", "next": "/?search=power"}, follow=True)
    assert response.redirect_chain[-1][0] == "/?search=power"
    assert f"{name}: start done, now RUNNING" in messages_of(response)
    assert backend.state(name) == "RUNNING"
    response = client.post(action_url(name), {"action": "stop", "next": "/"})
    assert response.status_code == 302
    assert backend.state(name) == "STOPPED"


def test_htmx_action_answers_with_the_fresh_table(client, users, fake_container):
    name = fake_container("hx")
    client.force_login(users.dave)
    response = client.post(action_url(name), {"action": "freeze", "next": "/?state=stopped"},
                           headers={"HX-Request": "true"})
    assert response["Location"] == "/dashboard/table/?state=stopped"


def test_wrong_state_is_a_message_not_an_error_page(client, users, fake_container):
    name = fake_container("state")
    client.force_login(users.dave)
    response = client.post(action_url(name), {"action": "stop", "next": "/"}, follow=True)
    assert response.status_code == 200
    assert any(msg.startswith(f"{name}: ") for msg in messages_of(response))


def test_unknown_container_action_is_a_message(client, users):
    client.force_login(users.dave)
    response = client.post(action_url("no-such-ct"), {"action": "start", "next": "/"}, follow=True)
    assert response.status_code == 200
    assert any("does not exist" in msg for msg in messages_of(response))


def test_viewer_posting_an_action_gets_403(client, users, fake_container, fake_engine):
    name = fake_container("deny")
    client.force_login(users.bob)
    assert client.post(action_url(name), {"action": "start"}).status_code == 403
    assert client.post(BULK, {"action": "start", "names": [name]}).status_code == 403
    assert fake_engine.state(name) == "STOPPED"


def test_get_never_performs_an_action(client, users, fake_container, fake_engine):
    name = fake_container("get")
    client.force_login(users.dave)
    assert client.get(action_url(name), {"action": "start"}).status_code == 405
    assert client.get(BULK, {"action": "start", "names": name}).status_code == 405
    assert fake_engine.state(name) == "STOPPED"


def test_redirect_goes_only_to_a_same_site_next(client, users, fake_container):
    name = fake_container("next")
    client.force_login(users.dave)
    response = client.post(action_url(name), {"action": "freeze", "next": "https://evil.example/"})
    assert response["Location"] == reverse("containers:detail", args=[name])


def test_bulk_action_reports_each_container(client, users, fake_container, fake_engine):
    running = fake_container("bulk", start=True)
    stopped = fake_container("bulk")
    client.force_login(users.dave)
    response = client.post(BULK, {"action": "stop", "names": [running, stopped], "next": "/"}, follow=True)
    texts = messages_of(response)
    assert f"{running}: stop done, now STOPPED" in texts
    assert any(t.startswith(f"{stopped}: ") and "STOPPED" in t for t in texts if "done" not in t)
    assert fake_engine.state(running) == "STOPPED"


def test_bulk_action_without_selection_says_so(client, users):
    client.force_login(users.dave)
    response = client.post(BULK, {"action": "stop", "next": "/"}, follow=True)
    assert "select at least one container" in messages_of(response)


def test_containers_named_table_or_bulk_keep_their_own_pages():
    from django.urls import resolve

    assert resolve("/containers/table/").url_name == "detail"
    assert resolve("/containers/bulk/").url_name == "detail"
