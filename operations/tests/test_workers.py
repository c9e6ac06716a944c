"""Worker bookkeeping in-process: the heartbeat and the liveness it gives."""

import pytest

from operations import workers
from operations.models import Operation, Worker

pytestmark = pytest.mark.django_db


def test_a_living_worker_whose_row_went_registers_again_and_keeps_its_jobs():
    workers.register("w1")
    running = Operation.objects.create(kind="create", container="c1", source="panel", status="running", worker="w1")
    Worker.objects.all().delete()  # as a test's flush, or a clean-up by hand, would
    workers.beat("w1")  # what the worker's heartbeat thread does before it recovers anything
    assert Worker.objects.filter(id="w1").exists()
    assert workers.recover_interrupted() == []
    running.refresh_from_db()
    assert running.status == "running"
