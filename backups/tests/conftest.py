import pytest


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
