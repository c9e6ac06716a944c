"""The container page: figures, settings, clone, delete, config; each for the three kinds of user."""

import pytest
from django.urls import reverse

from containers.models import Container
from operations.models import Operation

pytestmark = pytest.mark.django_db


def url(view, name):
    return reverse(f"containers:{view}", args=[name])


def messages_of(response):
    return [str(m) for m in response.context["messages"]]


def test_anonymous_visitor_is_sent_to_sign_in(client, fake_container):
    name = fake_container("anon")
    assert client.get(url("detail", name))["Location"].startswith("/login/")
    for view in ("settings", "clone", "delete", "action"):
        assert client.post(url(view, name))["Location"].startswith("/login/")


def test_user_without_permission_gets_403(client, users, fake_container):
    name = fake_container("noperm")
    client.force_login(users.charlie)
    assert client.get(url("detail", name)).status_code == 403


def test_viewer_gets_403_for_every_change(client, users, fake_container, fake_engine):
    name = fake_container("viewer")
    client.force_login(users.bob)
    assert client.post(url("settings", name), {"start_delay": 0, "start_order": 0, "cpuset": "0"}).status_code == 403
    assert client.post(url("clone", name), {"new_name": name + "-c"}).status_code == 403
    assert client.post(url("delete", name), {"confirm": name}).status_code == 403
    assert fake_engine.exists(name) and not fake_engine.exists(name + "-c")


def test_page_shows_figures_ips_and_config_of_a_running_container(client, users, make_container, backend):
    name = make_container("info", start=True)
    info = backend.info(name)
    client.force_login(users.bob)
    response = client.get(url("detail", name))
    page = response.content.decode()
    assert response.status_code == 200
    for label in ("PID", "CPU use", "Memory use", "Block I/O", "Received", "Sent", "Total", "IPv4", "IPv6"):
        assert f"<dt>{label}</dt>" in page
    assert str(info.pid) in page
    assert f"lxc.rootfs.path = dir:{backend.lxcpath}/{name}/rootfs" in page
    assert 'class="config"' in page


def test_viewer_sees_the_settings_disabled_and_no_buttons(client, users, fake_container):
    name = fake_container("ro")
    client.force_login(users.bob)
    page = client.get(url("detail", name)).content.decode()
    assert "<fieldset disabled>" in page
    assert "Save settings" not in page and 'name="action"' not in page
    assert 'id="clone"' not in page and 'id="delete"' not in page


def test_unknown_container_is_a_404_page(client, users):
    client.force_login(users.bob)
    response = client.get(url("detail", "no-such-ct"))
    assert response.status_code == 404
    assert b"404" in response.content


def base_settings(**changes):
    data = {"memory_limit": "", "swap_limit": "", "cpuset": "", "cpu_shares": "", "start_delay": 0,
            "start_order": 0, "description": ""}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


SETTINGS = [  # every setting of the form, in rounds; the container is stopped and started after each
    {"memory_limit": "256M", "swap_limit": "64M"},
    {"cpuset": "0"},
    {"cpu_shares": 512},
    {"autostart": "on", "start_delay": 5, "start_order": 3, "description": "saved from the panel"},
]


def test_each_setting_saved_from_the_page_leaves_the_container_able_to_start(client, users, make_container, backend):
    name = make_container("set", start=True)
    client.force_login(users.dave)
    form = base_settings()
    for changes in SETTINGS:
        form.update(changes)  # as the page does: the form holds every current value
        response = client.post(url("settings", name), form, follow=True)
        assert response.status_code == 200, (changes, response.content[:2000])
        texts = messages_of(response)
        assert any(t.startswith("Saved") for t in texts), (changes, texts)
        if "memory_limit" in changes or "cpuset" in changes or "cpu_shares" in changes:
            assert any("restart it to apply" in t for t in texts), texts
        for verb, state in (("stop", "STOPPED"), ("start", "RUNNING")):
            done = client.post(url("action", name), {"action": verb, "next": url("detail", name)}, follow=True)
            assert f"{name}: {verb} done, now {state}" in messages_of(done), (changes, messages_of(done))
    current = backend.get_settings(name)
    assert current.memory_limit == 256 << 20 and current.cpuset == "0" and current.cpu_shares
    assert current.autostart and current.start_delay == 5 and current.start_order == 3
    assert Container.objects.get(name=name).description == "saved from the panel"


def test_bad_settings_show_beside_their_fields(client, users, fake_container, fake_engine):
    name = fake_container("bad")
    client.force_login(users.dave)
    response = client.post(url("settings", name), base_settings(memory_limit="lots", cpuset="999"))
    assert response.status_code == 400
    form = response.context["settings_form"]
    assert "memory_limit" in form.errors and "cpuset" in form.errors
    assert fake_engine.get_settings(name).memory_limit is None


def test_refused_settings_read_the_container_once_each(client, users, fake_container, fake_engine, monkeypatch):
    # Each read forks a liblxc child on the real engine: the refused POST reads the settings,
    # tries the update, and reads the figures for the page it shows again, once each.
    name = fake_container("once")
    client.force_login(users.dave)
    calls = []
    for method in ("info", "get_settings", "update_settings"):
        real = getattr(fake_engine, method)
        monkeypatch.setattr(fake_engine, method,
                            lambda *a, _real=real, _m=method, **k: calls.append(_m) or _real(*a, **k))
    response = client.post(url("settings", name), base_settings(memory_limit="1K"))
    assert response.status_code == 400 and "memory_limit" in response.context["settings_form"].errors
    assert sorted(calls) == ["get_settings", "info", "update_settings"]


def test_out_of_range_number_is_refused_by_the_form(client, users, fake_container):
    name = fake_container("range")
    client.force_login(users.dave)
    response = client.post(url("settings", name), base_settings(cpu_shares=1, start_delay=-1))
    assert response.status_code == 400
    assert set(response.context["settings_form"].errors) == {"cpu_shares", "start_delay"}


def test_saving_unchanged_settings_says_nothing_changed(client, users, fake_container):
    name = fake_container("same")
    client.force_login(users.dave)
    response = client.post(url("settings", name), base_settings(), follow=True)
    assert messages_of(response) == ["Nothing changed."]


def test_clone_then_delete_by_typing_the_name(client, users, make_container, backend):
    name = make_container("src")
    copy = name + "-copy"
    client.force_login(users.erin)
    response = client.post(url("clone", name), {"new_name": copy, "store": ""})
    cloning = Operation.objects.get(kind="clone", container=copy)
    assert response["Location"] == reverse("operations:detail", args=[cloning.pk])  # its live log
    assert client.get(response["Location"]).context["operation"].status == "succeeded"
    assert backend.exists(copy)
    assert Container.objects.get(name=copy).clone_of == name
    refused = client.post(url("delete", copy), {"confirm": "wrong"})
    assert refused.status_code == 400 and backend.exists(copy)
    response = client.post(url("delete", copy), {"confirm": copy})
    deleting = Operation.objects.get(kind="destroy", container=copy)
    assert response["Location"] == reverse("operations:detail", args=[deleting.pk])
    assert deleting.status == "succeeded" and deleting.username == "erin" and deleting.source == "panel"
    assert not backend.exists(copy)


def test_clone_of_a_running_container_is_an_error_on_the_page(client, users, fake_container, fake_engine):
    name = fake_container("busy", start=True)
    client.force_login(users.erin)
    response = client.post(url("clone", name), {"new_name": name + "-c"})
    assert response.status_code == 400
    assert "stop it before cloning" in str(response.context["clone_form"].non_field_errors())
    assert not fake_engine.exists(name + "-c")


def test_clone_with_a_bad_name_shows_beside_the_field(client, users, fake_container):
    name = fake_container("bn")
    client.force_login(users.erin)
    response = client.post(url("clone", name), {"new_name": "bad name!"})
    assert "new_name" in response.context["clone_form"].errors


def test_deleting_a_running_container_needs_force(client, users, fake_container, fake_engine):
    name = fake_container("run", start=True)
    client.force_login(users.erin)
    response = client.post(url("delete", name), {"confirm": name})
    assert response.status_code == 400
    assert "stop it first" in str(response.context["delete_form"].non_field_errors())
    client.post(url("delete", name), {"confirm": name, "force": "on"})
    assert not fake_engine.exists(name)


def test_operator_cannot_delete(client, users, fake_container, fake_engine):
    name = fake_container("opdel")
    client.force_login(users.dave)
    assert client.post(url("delete", name), {"confirm": name}).status_code == 403
    assert fake_engine.exists(name)
