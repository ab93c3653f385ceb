"""Reads of contracts and clauses, and the database side of compliance evaluation.

The rules themselves live in :mod:`contracts.compliance`; this module only gathers the facts for
it, set-based: a fixed number of queries however many contracts, clauses and rows there are.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Prefetch, QuerySet

from core.roles import contractor_id_of, sees_everything
from internships.choices import ReportStatus
from internships.models import PlacementReport

from .choices import AlertKind, ContractStatus
from .compliance import ClauseTerms, Evaluation, evaluate_totals
from .models import Alert, ClauseMilestone, Contract, SocialClause
from .schedule import ReportRef, ScheduleEntry, build_schedule
from .totals import ClauseTotals, clause_totals


@dataclass(frozen=True)
class ClauseEvaluation:
    """A clause together with its evaluation."""

    clause: SocialClause
    evaluation: Evaluation


def clause_terms(clause: SocialClause) -> ClauseTerms:
    """The engine's view of a clause; expects ``target_groups`` and ``milestones`` prefetched."""
    return ClauseTerms(
        metric=clause.metric,
        target=clause.target,
        start_date=clause.start_date,
        due_date=clause.due_date,
        min_placement_weeks=clause.min_placement_weeks,
        tolerance_pct=clause.tolerance_pct,
        penalty_per_unit_sek=clause.penalty_per_unit_sek,
        target_groups=frozenset(group.code for group in clause.target_groups.all()),
        milestones=tuple((m.date, m.cumulative_target) for m in clause.milestones.all()),
    )


def clauses_for_evaluation(contracts: QuerySet[Contract]) -> QuerySet[SocialClause]:
    """Clauses of ``contracts`` with everything the engine needs, in three queries."""
    return (
        SocialClause.objects.filter(contract__in=contracts.values("id"))
        .select_related("contract", "contract__contractor", "contract__district")
        .prefetch_related(
            "target_groups",
            Prefetch("milestones", queryset=ClauseMilestone.objects.order_by("date")),
        )
        .order_by("contract__reference", "id")
    )


def evaluate_clauses(
    *, as_of: date, contracts: QuerySet[Contract] | None = None
) -> list[ClauseEvaluation]:
    """Evaluate every clause of ``contracts`` (default: all) as of ``as_of``.

    Five queries however many contracts, clauses and rows: two aggregates over the rows
    (:mod:`contracts.totals`), the clauses, their target groups and their milestones. The last
    two are read as plain values rather than prefetched: building tens of thousands of related
    model objects would cost more than the whole SQL side (see docs/PERFORMANCE.md).
    """
    contracts = Contract.objects.all() if contracts is None else contracts
    totals = clause_totals(contracts, as_of=as_of)
    in_scope = {"clause__contract__in": contracts.values("id")}
    groups: dict[int, set[str]] = defaultdict(set)
    for clause_id, code in SocialClause.target_groups.through.objects.filter(
        socialclause__contract__in=contracts.values("id")
    ).values_list("socialclause_id", "targetgroup__code"):
        groups[clause_id].add(code)
    milestones: dict[int, list[tuple[date, Decimal]]] = defaultdict(list)
    for clause_id, when, cumulative in (
        ClauseMilestone.objects.filter(**in_scope)
        .order_by("clause_id", "date")
        .values_list("clause_id", "date", "cumulative_target")
    ):
        milestones[clause_id].append((when, cumulative))
    clauses = (
        SocialClause.objects.filter(contract__in=contracts.values("id"))
        .select_related("contract")
        .order_by("contract__reference", "id")
    )
    empty = ClauseTotals()
    evaluations = []
    for clause in clauses:
        total = totals.get(clause.id, empty)
        terms = ClauseTerms(
            metric=clause.metric,
            target=clause.target,
            start_date=clause.start_date,
            due_date=clause.due_date,
            min_placement_weeks=clause.min_placement_weeks,
            tolerance_pct=clause.tolerance_pct,
            penalty_per_unit_sek=clause.penalty_per_unit_sek,
            target_groups=frozenset(groups.get(clause.id, ())),
            milestones=tuple(milestones.get(clause.id, ())),
        )
        evaluation = evaluate_totals(
            terms, reported=total.reported, verified=total.verified, as_of=as_of
        )
        evaluations.append(ClauseEvaluation(clause, evaluation))
    return evaluations


def _report_refs(contracts: QuerySet[Contract]) -> dict[int, dict[date, ReportRef]]:
    """For each contract, the report that stands for each period, in one query.

    A period's report is its non-rejected one if it has one, else its latest rejected one.
    """
    refs: dict[int, dict[date, ReportRef]] = defaultdict(dict)
    for report_id, contract_id, period_start, status in (
        PlacementReport.objects.filter(contract__in=contracts.values("id"))
        .order_by("period_start", "created_at", "id")
        .values_list("id", "contract_id", "period_start", "status")
    ):
        current = refs[contract_id].get(period_start)
        if current is None or current.status == ReportStatus.REJECTED:
            refs[contract_id][period_start] = ReportRef(report_id, status)
    return refs


def contract_schedule(contract: Contract, *, as_of: date) -> list[ScheduleEntry]:
    """The reporting schedule of ``contract`` on ``as_of`` (DESIGN.md §5), one query."""
    refs = _report_refs(Contract.objects.filter(pk=contract.pk))
    return build_schedule(contract.reporting_periods(), reports=refs[contract.pk], as_of=as_of)


def contract_schedules(
    contracts: QuerySet[Contract], *, as_of: date
) -> list[tuple[Contract, list[ScheduleEntry]]]:
    """The schedules of many contracts in two queries."""
    refs = _report_refs(contracts)
    return [
        (
            contract,
            build_schedule(contract.reporting_periods(), reports=refs[contract.pk], as_of=as_of),
        )
        for contract in contracts
    ]


def active_contracts() -> QuerySet[Contract]:
    """Contracts the scheduled jobs look after."""
    return Contract.objects.filter(status=ContractStatus.ACTIVE).order_by("id")


def contract_list(*, user) -> QuerySet[Contract]:
    """Every contract for staff; a contractor user sees its own (DESIGN.md §8)."""
    contracts = (
        Contract.objects.select_related("procurement", "contractor", "district")
        .prefetch_related("managers")
        .order_by("reference", "id")
    )
    if sees_everything(user):
        return contracts
    contractor_id = contractor_id_of(user)
    return contracts.filter(contractor_id=contractor_id) if contractor_id else contracts.none()


def clause_list(*, user) -> QuerySet[SocialClause]:
    """Clauses of the contracts ``user`` may see, with their groups and milestones."""
    return (
        SocialClause.objects.filter(contract__in=contract_list(user=user).values("id"))
        .select_related("contract")
        .prefetch_related(
            "target_groups",
            Prefetch("milestones", queryset=ClauseMilestone.objects.order_by("date")),
        )
        .order_by("contract__reference", "id")
    )


def alert_list(*, user) -> QuerySet[Alert]:
    """Staff see every alert; a contractor user the report alerts of its own contracts."""
    alerts = Alert.objects.select_related("contract", "clause", "acknowledged_by").order_by(
        "-created_at", "-id"
    )
    if sees_everything(user):
        return alerts
    contractor_id = contractor_id_of(user)
    if contractor_id is None:
        return alerts.none()
    return alerts.filter(
        contract__contractor_id=contractor_id,
        kind__in=[AlertKind.REPORT_DUE_SOON, AlertKind.REPORT_OVERDUE],
    )
