import pytest


@pytest.fixture
def metrics_dir(settings, tmp_path):
    """A private history dir per test, sampled every second (the RRD step follows)."""
    settings.LWP_METRICS_DIR = tmp_path / "metrics"
    settings.LWP_METRICS_INTERVAL = 1
    return settings.LWP_METRICS_DIR
