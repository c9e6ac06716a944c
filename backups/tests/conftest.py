import pytest
from django.urls import reverse


@pytest.fixture
def fake_engine(fake_engine, settings, tmp_path):
    """The suite's fake engine, with a backup dir of this test's own."""
    backup_dir = tmp_path / "backups"
    backup_dir.mkdir(mode=0o700)
    settings.LWP_BACKUP_DIR = backup_dir
    return fake_engine


@pytest.fixture
def backup_dir(fake_engine, settings):
    return settings.LWP_BACKUP_DIR


def files_in(directory):
    return sorted(path.name for path in directory.iterdir())


# The panel's tests (API tests have their own `container` and `ready`, made through the API).


@pytest.fixture
def container(fake_container):
    return fake_container("pb")


@pytest.fixture
def ready(client, users, container):
    """A ready backup of `container`, made in the panel (by dave, commented "by hand")."""
    from backups.models import Backup  # noqa: PLC0415 - models load once Django is set up

    client.force_login(users.dave)
    assert client.post(reverse("backups:backup", args=[container]), {"comment": "by hand"}).status_code == 302
    client.logout()
    return Backup.objects.get(container=container)
