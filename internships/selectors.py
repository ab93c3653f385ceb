"""Reads of the internships app, scoped to what a user may see (DESIGN.md §8)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.db.models import Prefetch, QuerySet

from contracts.compliance import Evaluation
from contracts.models import Contract
from contracts.selectors import contract_list

from .choices import ReportStatus
from .counting import statuses_on_approval
from .models import PlacementReport, PlacementRow


def report_list(*, user) -> QuerySet[PlacementReport]:
    """Reports of the contracts ``user`` may see, with their rows."""
    return (
        PlacementReport.objects.filter(contract__in=contract_list(user=user).values("id"))
        .select_related("contract")
        .prefetch_related(
            Prefetch(
                "rows",
                queryset=PlacementRow.objects.select_related("target_group").order_by(
                    "participant_ref", "start_date", "id"
                ),
            )
        )
        .order_by("contract__reference", "period_start", "id")
    )


@dataclass(frozen=True)
class ClauseEffect:
    """What one report changes for one clause: the clause without the report and with it
    approved."""

    clause_id: int
    metric: str
    without: Evaluation
    approved: Evaluation


def report_effect(report: PlacementReport, *, as_of: date) -> list[ClauseEffect]:
    """The effect of ``report`` on each clause of its contract, for an officer's review.

    The compliance rules live in one place (:func:`contracts.selectors.evaluate_clauses`, in SQL
    and :mod:`contracts.compliance`); rather than re-implement them for a what-if, each case is
    evaluated inside a savepoint where the report's status is set as the case needs, and rolled
    back. Nothing is written.
    """
    from contracts.selectors import evaluate_clauses

    contracts = Contract.objects.filter(pk=report.contract_id)

    def evaluate_as(statuses: dict[int, str]) -> dict[int, Evaluation]:
        with transaction.atomic():
            for report_id, status in statuses.items():
                PlacementReport.objects.filter(pk=report_id).update(status=status)
            evaluations = {
                item.clause.id: item.evaluation
                for item in evaluate_clauses(as_of=as_of, contracts=contracts)
            }
            transaction.set_rollback(True)
        return evaluations

    # Without: as a draft, which never counts (a correction's original keeps counting).
    without = evaluate_as({report.pk: ReportStatus.DRAFT})
    approved = evaluate_as(statuses_on_approval(report.pk, report.corrects_id))
    return [
        ClauseEffect(clause_id, approved[clause_id].metric, without[clause_id], approved[clause_id])
        for clause_id in sorted(approved)
    ]


def report_versions(report: PlacementReport) -> list[PlacementReport]:
    """Every version of ``report``'s period that belongs to its chain of corrections, oldest
    first: the first report and each correction."""
    chain = PlacementReport.objects.filter(
        contract_id=report.contract_id, period_start=report.period_start
    ).select_related("submitted_by", "reviewed_by")
    return list(chain.order_by("created_at", "id"))
