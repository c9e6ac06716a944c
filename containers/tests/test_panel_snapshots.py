"""The Snapshots section of the container page: list, take, restore, delete, clone from one."""

import os

import pytest
from django.urls import reverse

from containers.models import Container
from operations.models import Operation

pytestmark = pytest.mark.django_db

COMMENT = "before <the> upgrade"  # markup in a comment must show as text


def url(view, name, snapshot=None):
    return reverse(f"containers:{view}", args=[name] if snapshot is None else [name, snapshot])


def page_of(client, name):
    return client.get(url("detail", name)).content.decode()



def test_a_viewer_sees_the_list_and_no_forms(client, users, fake_container):
    name = fake_container("psnap", snapshot=COMMENT)
    client.force_login(users.bob)
    page = page_of(client, name)
    assert 'id="snapshots"' in page and 'data-snapshot="snap0"' in page
    assert "before &lt;the&gt; upgrade" in page  # the comment is text, never markup
    for button in ("Take snapshot", "Restore snap0", "Delete snap0", "Clone snap0"):
        assert button not in page
    client.force_login(users.erin)
    assert "its snapshots (1)" in page_of(client, name)  # on the delete form


def test_an_operator_takes_restores_and_deletes_but_does_not_clone(client, users, fake_container):
    name = fake_container("psnap", snapshot=COMMENT)
    client.force_login(users.dave)
    page = page_of(client, name)
    for button in ("Take snapshot", "Restore snap0", "Delete snap0"):
        assert button in page
    assert "Clone snap0" not in page
    assert 'id="id_snap0_force"' not in page  # stopped: nothing to stop first


def test_a_running_container_says_it_must_stop_first_and_offers_a_forced_restore(client, users, fake_container):
    name = fake_container("psnap", snapshot=COMMENT, start=True)
    client.force_login(users.erin)
    page = page_of(client, name)
    assert "a snapshot is taken of a stopped container only" in page
    assert 'id="id_snap0_force"' in page
    assert "Clone snap0" in page


@pytest.mark.parametrize(("view", "snapshot", "data"), [
    ("take_snapshot", None, {"comment": "x"}), ("restore_snapshot", "snap0", {"force": "on"}),
    ("delete_snapshot", "snap0", {}), ("clone_snapshot", "snap0", {"new_name": "psnap-copy"}),
])
@pytest.mark.parametrize("who", ["charlie", "bob"])
def test_changes_are_403_without_the_permission(client, users, fake_container, fake_engine, view, snapshot, data,
                                                who):
    name = fake_container("psnap", snapshot=COMMENT, start=True)
    client.force_login(getattr(users, who))
    assert client.post(url(view, name, snapshot), data).status_code == 403
    assert [s.name for s in fake_engine.snapshots(name)] == ["snap0"]
    assert fake_engine.state(name) == "RUNNING" and not fake_engine.exists("psnap-copy")


def test_anonymous_changes_are_sent_to_sign_in(client, fake_container):
    name = fake_container("psnap", snapshot=COMMENT)
    assert client.post(url("take_snapshot", name))["Location"].startswith("/login/")
    assert client.post(url("delete_snapshot", name, "snap0"))["Location"].startswith("/login/")


def test_take_goes_to_its_operation_and_the_snapshot_is_listed(client, users, fake_container, fake_engine):
    name = fake_container("psnap")
    client.force_login(users.dave)
    response = client.post(url("take_snapshot", name), {"comment": "from the panel"})
    operation = Operation.objects.get(kind="snapshot", container=name)
    assert response["Location"] == reverse("operations:detail", args=[operation.pk])
    assert operation.status == "succeeded"
    assert [(s.name, s.comment) for s in fake_engine.snapshots(name)] == [("snap0", "from the panel")]
    assert "from the panel" in page_of(client, name)


def test_take_of_a_running_container_is_an_error_on_the_page(client, users, fake_container, fake_engine):
    name = fake_container("psnap", start=True)
    client.force_login(users.dave)
    response = client.post(url("take_snapshot", name), {"comment": "x"})
    assert response.status_code == 400
    assert "stop it first" in str(response.context["snapshot_form"].non_field_errors())
    assert fake_engine.snapshots(name) == []


def test_a_too_long_comment_shows_beside_the_field(client, users, fake_container):
    name = fake_container("psnap")
    client.force_login(users.dave)
    response = client.post(url("take_snapshot", name), {"comment": "x" * 1001})
    assert response.status_code == 400
    assert "comment" in response.context["snapshot_form"].errors


def test_restore_of_a_running_container_without_force_stays_open_with_the_reason(client, users, fake_container,
                                                                                  fake_engine):
    name = fake_container("psnap", snapshot=COMMENT, start=True)
    client.force_login(users.dave)
    response = client.post(url("restore_snapshot", name, "snap0"), {})
    assert response.status_code == 400
    [row] = response.context["snapshots"]
    assert row.failed == "restore" and "forced restore" in str(row.restore_form.non_field_errors())
    assert "<details open>" in response.content.decode()
    assert fake_engine.state(name) == "RUNNING"


def test_forced_restore_stops_it_and_goes_to_its_operation(client, users, fake_container, fake_engine):
    name = fake_container("psnap", snapshot=COMMENT, start=True)
    fake_engine.update_settings(name, {"start_delay": 9})
    client.force_login(users.dave)
    response = client.post(url("restore_snapshot", name, "snap0"), {"force": "on"})
    operation = Operation.objects.get(kind="snapshot_restore", container=name)
    assert response["Location"] == reverse("operations:detail", args=[operation.pk])
    assert fake_engine.state(name) == "STOPPED" and fake_engine.get_settings(name).start_delay == 0


def test_restoring_an_unknown_snapshot_is_an_error_and_an_unknown_container_404(client, users, fake_container):
    name = fake_container("psnap", snapshot=COMMENT)
    client.force_login(users.dave)
    response = client.post(url("restore_snapshot", name, "snap5"), {})
    assert response.status_code == 400
    assert "snap5: container" in response.content.decode()
    assert "has no snapshot 'snap5'" in " ".join(str(m) for m in response.context["messages"])
    assert client.post(url("restore_snapshot", "psnap-nobody", "snap0"), {}).status_code == 404


def test_delete_says_so_and_the_snapshot_is_gone(client, users, fake_container, fake_engine):
    name = fake_container("psnap", snapshot=COMMENT)
    client.force_login(users.dave)
    response = client.post(url("delete_snapshot", name, "snap0"), follow=True)
    assert response.redirect_chain[-1][0] == url("detail", name) + "#snapshots"
    assert f"{name}: snapshot snap0 deleted" in [str(m) for m in response.context["messages"]]
    assert fake_engine.snapshots(name) == []
    assert Operation.objects.get(kind="snapshot_delete", container=name).status == "succeeded"
    again = client.post(url("delete_snapshot", name, "snap0"), follow=True)
    assert "has no snapshot 'snap0'" in " ".join(str(m) for m in again.context["messages"])


def test_clone_from_a_snapshot_goes_to_its_operation_and_records_the_snapshot(client, users, fake_container,
                                                                              fake_engine):
    name = fake_container("psnap", snapshot=COMMENT, start=True)
    copy = name + "-copy"
    client.force_login(users.erin)
    response = client.post(url("clone_snapshot", name, "snap0"), {"new_name": copy})
    operation = Operation.objects.get(kind="clone", container=copy)
    assert response["Location"] == reverse("operations:detail", args=[operation.pk])
    assert fake_engine.exists(copy)
    assert Container.objects.get(name=copy).clone_of == f"{name}@snap0"
    about = page_of(client, copy)
    assert f'<a href="{url("detail", name)}">{name}</a>, snapshot snap0' in about


def test_clone_from_a_snapshot_with_a_taken_name_stays_open_beside_the_field(client, users, fake_container):
    name, taken = fake_container("psnap", snapshot=COMMENT), fake_container("psnap", snapshot=COMMENT)
    client.force_login(users.erin)
    response = client.post(url("clone_snapshot", name, "snap0"), {"new_name": taken})
    assert response.status_code == 400
    [row] = response.context["snapshots"]
    assert row.failed == "clone" and "already exists" in str(row.clone_form.non_field_errors())
    bad = client.post(url("clone_snapshot", name, "snap0"), {"new_name": "bad name!"})
    assert "new_name" in bad.context["snapshots"][0].clone_form.errors


def test_restore_through_the_panel_brings_the_files_back_on_real_lxc(client, users, make_container, lxcpath,
                                                                       backend):
    name = make_container("psnap")
    marker = os.path.join(lxcpath, name, "rootfs", "root", "marker")
    with open(marker, "w") as fh:
        fh.write("before")
    client.force_login(users.dave)
    assert client.post(url("take_snapshot", name), {"comment": "real"}).status_code == 302
    assert "real" in page_of(client, name)
    with open(marker, "w") as fh:
        fh.write("after")
    assert client.post(url("restore_snapshot", name, "snap0"), {}).status_code == 302
    with open(marker) as fh:
        assert fh.read() == "before"
