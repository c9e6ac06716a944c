"""The one django-tasks task: run a queued operation (operations.jobs.execute) in the worker."""

from django.conf import settings
from django_tasks import task


@task(takes_context=True, queue_name=settings.LWP_JOB_QUEUE)
def run_operation(context, operation_id):
    from operations import jobs  # noqa: PLC0415

    worker_ids = context.task_result.worker_ids
    jobs.execute(operation_id, worker_ids[-1] if worker_ids else "in-process")
