"""Celery tasks of the internships app."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from contracts.tasks import _DATABASE_ERRORS, _IDEMPOTENT, DatabaseTask

from .privacy import retention_apply


@shared_task(
    name="internships.apply_retention", autoretry_for=_DATABASE_ERRORS, base=DatabaseTask,
    **_IDEMPOTENT,
)  # fmt: skip
def apply_retention() -> dict[str, int]:
    """Daily: anonymise the rows of contracts past the retention period (idempotent)."""
    result = retention_apply(as_of=timezone.localdate())
    return {"contracts": result.contracts, "participants": result.participants}
