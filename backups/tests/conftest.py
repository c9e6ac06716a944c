import pytest
from django.conf import settings

from backups.tests.support import BackupFakeEngine


@pytest.fixture
def fake_engine(monkeypatch, tmp_path):
    """The FakeEngine with backup methods, behind the services, and a backup dir of this test's own."""
    from containers import services  # noqa: PLC0415 - models load once Django is set up

    engine = BackupFakeEngine()
    monkeypatch.setattr(services, "get_engine", lambda: engine)
    backup_dir = tmp_path / "backups"
    backup_dir.mkdir(mode=0o700)
    monkeypatch.setattr(settings, "LWP_BACKUP_DIR", backup_dir)
    return engine


@pytest.fixture
def backup_dir(fake_engine):
    return settings.LWP_BACKUP_DIR


def files_in(directory):
    return sorted(path.name for path in directory.iterdir())
