"""The panel's Backups section on a container's page, and the page that restores from a file."""

import hashlib

import pytest
from django.urls import reverse

from backups.models import Backup, BackupSchedule
from backups.tests.conftest import files_in
from backups.tests.support import archive_bytes, upload_of
from operations.models import Operation

pytestmark = pytest.mark.django_db


def detail(name):
    return reverse("containers:detail", args=[name])


def back_up(client, name, comment="by hand"):
    return client.post(reverse("backups:backup", args=[name]), {"comment": comment})


def test_back_up_now_goes_to_its_operation(client, users, container):
    client.force_login(users.dave)
    response = back_up(client, container)
    backup = Backup.objects.get(container=container)
    assert response["Location"] == reverse("operations:detail", args=[backup.operation_id])
    assert (backup.comment, backup.status, backup.created_by) == ("by hand", "ready", users.dave)


def test_the_section_lists_backups_and_offers_what_each_user_may_do(client, users, container, ready):
    download = reverse("backups:download", args=[container, ready.pk])
    client.force_login(users.bob)
    page = client.get(detail(container)).content.decode()
    assert 'id="backups"' in page and ready.sha256[:12] in page and "by hand" in page
    assert download not in page and "Back up now" not in page and "Restore as a new container" not in page
    client.force_login(users.dave)
    page = client.get(detail(container)).content.decode()
    assert "Back up now" in page and 'id="backup-schedule"' in page and download not in page
    client.force_login(users.erin)
    page = client.get(detail(container)).content.decode()
    assert download in page and "Restore as a new container" in page and "Delete backup" in page


def test_the_panel_download_matches_the_checksum_and_needs_its_permission(client, users, container, ready):
    path = reverse("backups:download", args=[container, ready.pk])
    client.force_login(users.dave)
    assert client.get(path).status_code == 403
    client.force_login(users.erin)
    response = client.get(path)
    assert response.status_code == 200
    assert hashlib.sha256(b"".join(response.streaming_content)).hexdigest() == ready.sha256
    assert response["Content-Disposition"].startswith(f'attachment; filename="{container}-')


def test_restore_to_a_new_name_goes_to_its_operation(client, users, container, ready, fake_engine):
    client.force_login(users.erin)
    response = client.post(reverse("backups:restore", args=[container, ready.pk]), {"new_name": "pb-copy"})
    operation = Operation.objects.get(kind="backup_restore")
    assert response["Location"] == reverse("operations:detail", args=[operation.pk])
    assert fake_engine.exists("pb-copy")


def test_a_restore_refused_says_why_on_the_page(client, users, container, ready, fake_engine):
    client.force_login(users.erin)
    response = client.post(reverse("backups:restore", args=[container, ready.pk]), {"new_name": container},
                           follow=True)
    assert any("already exists" in str(m) for m in response.context["messages"])
    assert not Operation.objects.filter(kind="backup_restore").exists()
    client.force_login(users.dave)
    assert client.post(reverse("backups:restore", args=[container, ready.pk]), {"new_name": "x1"}).status_code == 403


def test_delete_needs_the_confirmation_and_the_delete_permission(client, users, container, ready, backup_dir):
    path = reverse("backups:delete", args=[container, ready.pk])
    client.force_login(users.dave)
    assert client.post(path, {"confirm": "on"}).status_code == 403
    client.force_login(users.erin)
    client.post(path, {})
    assert Backup.objects.filter(pk=ready.pk).exists()
    assert client.post(path, {"confirm": "on"})["Location"].endswith("#backups")
    assert not Backup.objects.exists() and files_in(backup_dir) == []


def test_the_schedule_form_saves_it(client, users, container):
    path = reverse("backups:schedule", args=[container])
    data = {"enabled": "on", "frequency": "weekly", "weekday": "2", "time": "01:15", "keep": "4"}
    client.force_login(users.bob)
    assert client.post(path, data).status_code == 403
    client.force_login(users.dave)
    assert client.post(path, data).status_code == 302
    saved = BackupSchedule.objects.get(container=container)
    assert (saved.enabled, saved.frequency, saved.weekday, saved.time.strftime("%H:%M"), saved.keep) == (
        True, "weekly", 2, "01:15", 4)
    response = client.post(path, {**data, "weekday": ""}, follow=True)  # weekly without a day
    assert any("weekday" in str(m) for m in response.context["messages"])
    assert BackupSchedule.objects.get(container=container).weekday == 2


# ----- restoring from a file -------------------------------------------------------------------


@pytest.fixture
def archive(fake_engine):
    """Factory: an upload of a whole archive, or of `content`."""
    good = archive_bytes(fake_engine)
    return lambda content=None: upload_of(good if content is None else content, "site.tar.zst")


def test_the_upload_page_needs_the_add_permission(client, users, fake_engine, backup_dir, archive):
    path = reverse("backups:import")
    client.force_login(users.dave)
    assert client.get(path).status_code == 403
    assert client.post(path, {"name": "up1", "file": archive()}).status_code == 403
    assert files_in(backup_dir) == []
    client.force_login(users.erin)
    assert client.get(path).status_code == 200
    assert path in client.get("/").content.decode()  # reachable from the dashboard


def test_an_uploaded_archive_is_restored_and_the_page_follows_its_operation(client, users, fake_engine, backup_dir,
                                                                          archive):
    client.force_login(users.erin)
    page = client.get(reverse("backups:import")).content.decode()
    assert 'type="file" name="file"' in page and 'enctype="multipart/form-data"' in page
    response = client.post(reverse("backups:import"), {"name": "up1", "file": archive()})
    operation = Operation.objects.get(kind="backup_restore")
    assert response["Location"] == reverse("operations:detail", args=[operation.pk])
    assert fake_engine.exists("up1")
    assert files_in(backup_dir) == [f"{Backup.objects.get(container='up1').pk}.tar.zst"]


def test_a_bad_upload_is_refused_on_the_form_and_leaves_nothing(client, users, fake_engine, backup_dir, settings,
                                                               archive):
    client.force_login(users.erin)
    response = client.post(reverse("backups:import"), {"name": "up1", "file": archive(b"rubbish")})
    page = response.content.decode()
    assert response.status_code == 400 and ('class="form-errors"' in page or 'class="error"' in page)
    response = client.post(reverse("backups:import"), {"name": "up1"})
    assert response.status_code == 400 and "choose an archive" in response.content.decode()
    settings.LWP_UPLOAD_MAX_BYTES = 1000
    response = client.post(reverse("backups:import"), {"name": "up1", "file": archive(b"x" * 9000)})
    assert response.status_code == 413
    assert files_in(backup_dir) == [] and not fake_engine.exists("up1") and not Backup.objects.exists()


def test_the_upload_form_checks_its_csrf_token(users, fake_engine, backup_dir, archive):
    from django.test import Client  # noqa: PLC0415

    client = Client(enforce_csrf_checks=True)
    client.force_login(users.erin)
    assert client.post(reverse("backups:import"), {"name": "up1", "file": archive()}).status_code == 403
    assert files_in(backup_dir) == [] and not fake_engine.exists("up1")
