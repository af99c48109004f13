"""The Celery application shared by the producers (app workers) and the queue workers.

Delivery is at least once: a task is acknowledged only after it ran (``acks_late``), a
worker process that dies mid-task puts its task back (``reject_on_worker_lost``), and a
whole worker that vanishes has its jobs queued again by another worker's lease sweeper
once their leases in the job store ran out (``engine/leases.py``; the broker's visibility
timeout stays as the last resort). A worker takes one task at a time per process
(``prefetch_multiplier=1``), so a long image job never holds back jobs queued behind it.
The job store, not the broker, says what is done: running a job twice is harmless.
A cancelled job's task is revoked with ``terminate``: its worker process is killed and
replaced (remote control is on for that broadcast).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dashboard.local_filestack.config.deployment import DeploymentSettings

if TYPE_CHECKING:
    from celery import Celery

JOBS_QUEUE = "workflow-jobs"
WEBHOOKS_QUEUE = "workflow-webhooks"
RUN_JOB_TASK = "workflows.run_job"
DELIVER_WEBHOOK_TASK = "workflows.deliver_webhook"


class CeleryUnavailable(RuntimeError):
    """Celery is not installed (``pip install -e .[scale]``) or no broker is configured."""


def make_celery(deployment: DeploymentSettings) -> Celery:
    """A Celery app on the deployment's Redis broker."""
    try:
        from celery import Celery
    except ImportError as exc:
        raise CeleryUnavailable(
            "WORKFLOW_WORKERS=celery needs Celery: install the scale extra (pip install -e '.[scale]')"
        ) from exc
    if deployment.redis_url is None:
        raise CeleryUnavailable("WORKFLOW_WORKERS=celery needs REDIS_URL (the broker)")
    app = Celery("workflows", broker=deployment.redis_url, set_as_current=False)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        task_acks_on_failure_or_timeout=True,
        worker_prefetch_multiplier=1,
        task_default_queue=JOBS_QUEUE,
        task_routes={RUN_JOB_TASK: {"queue": JOBS_QUEUE}, DELIVER_WEBHOOK_TASK: {"queue": WEBHOOKS_QUEUE}},
        task_ignore_result=True,
        task_serializer="json",
        accept_content=["json"],
        broker_connection_retry_on_startup=True,
        broker_transport_options={
            "visibility_timeout": deployment.visibility_timeout_s,
            # look for tasks of vanished workers often enough for short visibility timeouts
            "unacked_restore_interval": max(1, min(10, int(deployment.visibility_timeout_s // 4))),
            "unacked_restore_throttle": 1,
        },
        worker_hijack_root_logger=False,
        worker_send_task_events=False,
        task_send_sent_event=False,
        # Remote control carries one broadcast: the revoke that stops a cancelled job's process.
        worker_enable_remote_control=True,
        worker_max_tasks_per_child=1000,
    )
    return app
