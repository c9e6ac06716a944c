"""The Backups page (/backups/): every backup, also of destroyed containers, with what each user may
do to it; and the backup forms, which must work (and come back somewhere) once the container is gone."""

import hashlib
from urllib.parse import urlencode

import pytest
from django.urls import reverse

from backups.models import Backup
from backups.tests.conftest import files_in
from operations.models import Operation

pytestmark = pytest.mark.django_db

PAGE = "/backups/"


def page_of(client, query=""):
    response = client.get(PAGE + query)
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def destroyed(ready, fake_engine):
    """`ready`, its container destroyed since."""
    fake_engine.destroy(ready.container)
    return ready


def test_who_may_see_the_page_and_its_nav_entry(client, users, ready):
    assert client.get(PAGE)["Location"].startswith(reverse("login"))
    client.force_login(users.charlie)
    assert client.get(PAGE).status_code == 403
    assert f'href="{PAGE}"' not in client.get(reverse("containers:host")).content.decode()
    client.force_login(users.bob)
    page = page_of(client)
    assert f'href="{PAGE}" aria-current="page">Backups</a>' in page
    assert str(ready.pk) in page and "by hand" in page


def test_what_each_user_is_offered(client, users, ready):
    download = reverse("backups:download", args=[ready.container, ready.pk])
    restore = reverse("backups:restore", args=[ready.container, ready.pk])
    delete = reverse("backups:delete", args=[ready.container, ready.pk])
    importing = reverse("backups:import")
    client.force_login(users.bob)
    page = page_of(client)
    assert not any(url in page for url in (download, restore, delete, importing))
    client.force_login(users.dave)  # change: may back up, not restore, delete or take the archive away
    page = page_of(client)
    assert not any(url in page for url in (download, restore, delete, importing))
    client.force_login(users.erin)
    page = page_of(client)
    assert all(url in page for url in (download, restore, delete, importing))
    assert "Yes, delete this archive" in page
    assert f'name="next" value="{PAGE}"' in page  # its forms come back here


def test_the_container_is_a_link_only_while_it_exists(client, users, ready, fake_engine):
    link = f'<a href="{reverse("containers:detail", args=[ready.container])}">'
    client.force_login(users.bob)
    assert link in page_of(client)
    fake_engine.destroy(ready.container)
    page = page_of(client)
    assert link not in page and str(ready.pk) in page and "(destroyed)" in page


def test_filtered_by_container(client, users, ready, fake_container):
    other = Backup.objects.create(container=fake_container("other"), status=Backup.Status.FAILED)
    client.force_login(users.bob)
    page = page_of(client, "?" + urlencode({"container": ready.container}))
    assert str(ready.pk) in page and str(other.pk) not in page
    assert 'name="container"' in page
    assert "No backups match these filters." in page_of(client, "?container=nothing-here")


def test_a_destroyed_containers_backup_is_downloaded(client, users, destroyed):
    client.force_login(users.erin)
    response = client.get(reverse("backups:download", args=[destroyed.container, destroyed.pk]))
    assert response.status_code == 200
    assert hashlib.sha256(b"".join(response.streaming_content)).hexdigest() == destroyed.sha256


def test_a_destroyed_containers_backup_is_restored_to_a_new_name(client, users, destroyed, fake_engine):
    client.force_login(users.erin)
    path = reverse("backups:restore", args=[destroyed.container, destroyed.pk])
    response = client.post(path, {"new_name": "ab-again", "next": PAGE})
    operation = Operation.objects.get(kind="backup_restore")
    assert response["Location"] == reverse("operations:detail", args=[operation.pk])
    assert fake_engine.exists("ab-again")


def test_a_refused_restore_comes_back_to_the_backups_page_not_a_404(client, users, destroyed, fake_container):
    taken = fake_container("taken")
    client.force_login(users.erin)
    path = reverse("backups:restore", args=[destroyed.container, destroyed.pk])
    response = client.post(path, {"new_name": taken})  # no `next`: where the container's page was
    assert response["Location"] == PAGE + "?" + urlencode({"container": destroyed.container})
    response = client.get(response["Location"])
    assert response.status_code == 200
    assert any("already exists" in str(m) for m in response.context["messages"])


def test_a_destroyed_containers_backup_is_deleted_after_confirming(client, users, destroyed, backup_dir):
    client.force_login(users.erin)
    path = reverse("backups:delete", args=[destroyed.container, destroyed.pk])
    assert client.post(path, {"next": PAGE})["Location"] == PAGE  # unconfirmed: kept
    assert Backup.objects.filter(pk=destroyed.pk).exists()
    response = client.post(path, {"confirm": "on"}, follow=True)
    assert response.redirect_chain[-1][0] == PAGE + "?" + urlencode({"container": destroyed.container})
    assert any("backup deleted" in str(m) for m in response.context["messages"])
    assert not Backup.objects.exists() and files_in(backup_dir) == []


def test_the_forms_come_back_to_the_page_they_came_from_on_this_site_only(client, users, ready):
    client.force_login(users.erin)
    path = reverse("backups:delete", args=[ready.container, ready.pk])
    assert client.post(path, {"next": "https://elsewhere.example/"})["Location"] == (
        reverse("containers:detail", args=[ready.container]) + "#backups")
    assert client.post(path, {"confirm": "on", "next": PAGE + "?status=ready"})["Location"] == PAGE + "?status=ready"
    assert not Backup.objects.exists()
