"""Celery tasks of the core app: thin wrappers around services."""

from celery import shared_task

from .services import heartbeat_record

WORKER_HEARTBEAT = "worker"


@shared_task(name="core.heartbeat", ignore_result=False)
def heartbeat() -> str:
    """Scheduled every minute: proves beat, broker and worker run. Idempotent."""
    return heartbeat_record(name=WORKER_HEARTBEAT).last_seen.isoformat()
