"""Container metadata in the admin: history nobody rewrites, rows whose container is gone, and
console sessions (read only)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from containers.models import ConsoleRecord, Container
from testing import playground

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/containers/container/"


def test_creator_template_and_name_cannot_be_rewritten(client, users, fake_container):
    name = fake_container("hist")
    meta = Container.objects.create(name=name, template="busybox", created_by=users.erin)
    client.force_login(users.alice)
    page = client.get(f"{CHANGELIST}{meta.pk}/change/").content.decode()
    for field in ("created_by", "template", "clone_of", "name"):
        assert f'name="{field}"' not in page, field
    response = client.post(f"{CHANGELIST}{meta.pk}/change/", {
        "name": "other-name", "created_by": users.alice.pk, "template": "local", "description": "new words"})
    assert response.status_code == 302
    meta.refresh_from_db()
    assert (meta.name, meta.created_by, meta.template, meta.description) == (
        name, users.erin, "busybox", "new words")


def test_rows_of_containers_destroyed_behind_the_panels_back_show_as_orphans(client, users, make_container,
                                                                              backend):
    present = make_container("here")
    gone = make_container("gone")
    Container.objects.create(name=present, created_by=users.erin)
    Container.objects.create(name=gone, created_by=users.erin)
    playground.run(["lxc-destroy", "-P", backend.lxcpath, "-n", gone])  # as a sysadmin would, outside LWP
    client.force_login(users.alice)
    listed = {row.name: row.on_host for row in client.get(CHANGELIST).context["cl"].result_list}
    assert listed[present] is True and listed[gone] is False
    orphans = client.get(CHANGELIST, {"on_host": "no"}).context["cl"].result_list
    assert [row.name for row in orphans] == [gone]


def test_forget_orphans_deletes_only_rows_whose_container_is_gone(client, users, fake_container, fake_engine):
    present = fake_container("here")
    kept = Container.objects.create(name=present)
    orphan = Container.objects.create(name="never-existed-here")
    client.force_login(users.alice)
    client.post(CHANGELIST, {"action": "forget_orphans", "_selected_action": [kept.pk, orphan.pk]})
    assert list(Container.objects.values_list("name", flat=True)) == [present]


def test_forget_orphans_needs_delete_permission(client, users):
    orphan = Container.objects.create(name="never-existed-here")
    users.dave.is_staff = True
    users.dave.save()
    client.force_login(users.dave)
    client.post(CHANGELIST, {"action": "forget_orphans", "_selected_action": [orphan.pk]})
    assert Container.objects.filter(pk=orphan.pk).exists()


def test_console_sessions_are_listed_read_only(client, users):
    now = timezone.now()
    record = ConsoleRecord.objects.create(user=users.erin, container="web1", mode="shell", client_address="192.0.2.7",
                                          server="host:1", started=now - timedelta(minutes=3), seen=now)
    client.force_login(users.alice)
    listing = client.get("/admin/containers/consolerecord/", {"ended__isnull": "True"})
    assert [row.pk for row in listing.context["cl"].result_list] == [record.pk]
    assert "192.0.2.7" in listing.content.decode()
    assert client.get("/admin/containers/consolerecord/add/").status_code == 403
    client.post(f"/admin/containers/consolerecord/{record.pk}/delete/", {"post": "yes"})
    assert ConsoleRecord.objects.filter(pk=record.pk).exists()
