"""Celery tasks: thin interfaces to the services (explicit names, ids and JSON primitives).

Every task here is idempotent, so it is acknowledged late and re-queued if its worker dies
(``acks_late`` + ``reject_on_worker_lost``). Retries are bounded, with backoff far below the
broker's visibility timeout, and nothing is scheduled ahead with ETAs.
"""

from __future__ import annotations

import smtplib
from datetime import date

from celery import Task, shared_task
from django.db import InterfaceError, OperationalError, connections
from django.utils import timezone

from .dashboard import dashboard_warm
from .models import ComplianceRun
from .services import (
    alert_digests_send,
    compliance_day_run,
    compliance_runs_resume,
    requested_evaluations_run,
)

_IDEMPOTENT = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "retry_backoff": 5,
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": 5,
}
_DATABASE_ERRORS = (OperationalError, InterfaceError)


class DatabaseTask(Task):
    """A task that starts (and every retry starts) on a usable database connection: one the
    server dropped (restart, failover, idle timeout) is closed and replaced, not reused, so a
    retry after a lost connection can succeed."""

    def __call__(self, *args, **kwargs):
        for connection in connections.all(initialized_only=True):
            # Inside a transaction the caller owns the connection (an eager call in a test or
            # a service): leave it alone.
            if not connection.in_atomic_block:
                connection.close_if_unusable_or_obsolete()
        return super().__call__(*args, **kwargs)


def _as_of(value: str | None) -> date:
    return date.fromisoformat(value) if value else timezone.localdate()


def _run_summary(run: ComplianceRun | None) -> dict[str, object]:
    if run is None:
        return {"finished": False}
    return {
        "finished": True,
        "as_of": run.as_of.isoformat(),
        "clauses": run.clauses,
        "alerts_opened": run.alerts_opened,
        "alerts_resolved": run.alerts_resolved,
    }


def _summary(result) -> dict[str, object]:
    return {
        "as_of": result.as_of.isoformat(),
        "clauses": len(result.evaluations),
        "alerts_opened": result.alerts_opened,
        "alerts_resolved": result.alerts_resolved,
    }


@shared_task(
    name="contracts.evaluate_all", autoretry_for=_DATABASE_ERRORS, base=DatabaseTask, **_IDEMPOTENT
)
def evaluate_all(as_of: str | None = None) -> dict[str, object]:
    """Nightly: evaluate every active contract, snapshot, raise and resolve alerts, once a day.

    A second delivery of the day's run (Redis hands an unacknowledged message out again after
    its visibility timeout) finds the day done, or under way on a live worker, and does nothing.
    """
    run = compliance_day_run(as_of=_as_of(as_of))
    if run is not None:
        send_alert_digests.delay()
        dashboard_warm(today=timezone.localdate())  # the morning's first manager does not wait
    return _run_summary(run)


@shared_task(
    name="contracts.resume_compliance_runs",
    autoretry_for=_DATABASE_ERRORS,
    base=DatabaseTask,
    **_IDEMPOTENT,
)
def resume_compliance_runs() -> list[str]:
    """Every minute: go on with a day's run whose worker was lost (docs/DEPLOYMENT.md)."""
    days = compliance_runs_resume()
    if days:
        send_alert_digests.delay()
        dashboard_warm(today=timezone.localdate())
    return [day.isoformat() for day in days]


@shared_task(
    name="contracts.evaluate_contract",
    autoretry_for=_DATABASE_ERRORS,
    base=DatabaseTask,
    **_IDEMPOTENT,
)
def evaluate_contract(contract_id: int, as_of: str | None = None) -> dict[str, object]:
    """Re-evaluate one contract after a report was submitted, approved or rejected."""
    result = requested_evaluations_run(as_of=_as_of(as_of), contract_ids=[contract_id])
    send_alert_digests.delay()
    return _summary(result)


@shared_task(
    name="contracts.evaluate_requested",
    autoretry_for=_DATABASE_ERRORS,
    base=DatabaseTask,
    **_IDEMPOTENT,
)
def evaluate_requested() -> dict[str, object]:
    """Every few minutes: evaluate contracts whose re-evaluation could not be queued."""
    result = requested_evaluations_run(as_of=timezone.localdate())
    if result.evaluations:
        send_alert_digests.delay()
    return _summary(result)


@shared_task(
    name="contracts.send_alert_digests",
    base=DatabaseTask,
    autoretry_for=(*_DATABASE_ERRORS, smtplib.SMTPException, ConnectionError, TimeoutError),
    **_IDEMPOTENT,
)
def send_alert_digests() -> int:
    """Send every recipient one digest of their new alerts; safe to run anywhere, any time."""
    return alert_digests_send()
