"""Reads of contracts and clauses, and the database side of compliance evaluation.

The rules themselves live in :mod:`contracts.compliance`; this module only gathers the facts for
it, set-based: a fixed number of queries however many contracts, clauses and rows there are.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import NamedTuple

from django.db.models import (
    Case,
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    QuerySet,
    Subquery,
    Value,
    When,
    Window,
)
from django.db.models.functions import RowNumber, TruncDate

from core.roles import contractor_id_of, matcher_unit_id_of, sees_everything
from internships.counting import came_in, period_report
from internships.models import PlacementReport

from .choices import AlertKind, ClauseKind, ContractStatus, Metric, PeriodState
from .compliance import ClauseTerms, Evaluation, evaluate_figures, first_start_status
from .models import (
    Alert,
    AlertNotification,
    ClauseMilestone,
    ClauseSnapshot,
    Contract,
    SocialClause,
)
from .schedule import ReportRef, ScheduleEntry, build_schedule
from .totals import ClauseTotals, clause_totals


class ContractRef(NamedTuple):
    """The contract of an :class:`EvaluatedClause`: its id and reference."""

    id: int
    reference: str

    @property
    def pk(self) -> int:
        return self.id

    def __str__(self) -> str:
        return self.reference


class EvaluatedClause(NamedTuple):
    """The fields of a :class:`~contracts.models.SocialClause` that an evaluation is about.

    :func:`evaluate_clauses` returns these instead of model instances: creating tens of thousands
    of clause and contract objects cost more than evaluating them (docs/PERFORMANCE.md). It has
    what the callers use (``id``/``pk``, ``contract_id``, ``contract.reference``, the clause's
    terms, ``get_metric_display()``); load the ``SocialClause`` for anything else.
    """

    id: int
    contract_id: int
    contract_reference: str
    metric: str
    target: Decimal | None
    start_date: date
    due_date: date
    min_placement_weeks: Decimal
    tolerance_pct: Decimal
    penalty_per_unit_sek: Decimal
    kind: str
    first_start_within_days: int | None

    @property
    def pk(self) -> int:
        return self.id

    @property
    def is_dialogue(self) -> bool:
        return self.kind == ClauseKind.DIALOGUE

    def get_kind_display(self) -> str:
        return str(ClauseKind(self.kind).label)

    @property
    def contract(self) -> ContractRef:
        return ContractRef(self.contract_id, self.contract_reference)

    def get_metric_display(self) -> str:
        return str(Metric(self.metric).label)

    def __str__(self) -> str:  # as SocialClause.__str__
        if self.target is None:
            kind, metric = self.get_kind_display(), self.get_metric_display()
            return f"{self.contract_reference}: {kind} ({metric})"
        return f"{self.contract_reference}: {self.target:g} {self.get_metric_display()}"


# The columns of EvaluatedClause, in order, as ``values_list`` names them.
_CLAUSE_COLUMNS = (
    "id",
    "contract_id",
    "contract__reference",
    "metric",
    "target",
    "start_date",
    "due_date",
    "min_placement_weeks",
    "tolerance_pct",
    "penalty_per_unit_sek",
    "kind",
    "first_start_within_days",
)


@dataclass(frozen=True)
class ClauseEvaluation:
    """A clause together with its evaluation."""

    clause: EvaluatedClause
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
        kind=clause.kind,
        employment_types=frozenset(clause.employment_types or ()),
        full_time_hours_per_week=clause.full_time_hours_per_week,
        first_start_within_days=clause.first_start_within_days,
        requires_matcher_confirmation=clause.requires_matcher_confirmation,
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
    *,
    as_of: date,
    contracts: QuerySet[Contract] | None = None,
    totals: dict[int, ClauseTotals] | None = None,
) -> list[ClauseEvaluation]:
    """Evaluate every clause of ``contracts`` (default: all) as of ``as_of``.

    Five queries however many contracts, clauses and rows: three aggregates over the rows
    (:mod:`contracts.totals`, which also apply the target groups, employment types, the
    matcher's word, the minimum placement weeks with the 75 % rule, and find the first start),
    the clauses and their milestones, read as plain values: building tens of thousands of model
    objects (or even ``ClauseTerms``) would cost more than the whole SQL side (see
    docs/PERFORMANCE.md). Each clause comes as an :class:`EvaluatedClause`.

    ``totals`` are the clauses' :func:`~contracts.totals.clause_totals` on ``as_of`` when the
    caller has them already (the annual report sums them from its per-group totals).
    """
    contracts = Contract.objects.all() if contracts is None else contracts
    if totals is None:
        totals = clause_totals(contracts, as_of=as_of)
    milestones: dict[int, list[tuple[date, Decimal]]] = defaultdict(list)
    for clause_id, when, cumulative in (
        ClauseMilestone.objects.filter(clause__contract__in=contracts.values("id"))
        .order_by("clause_id", "date")
        .values_list("clause_id", "date", "cumulative_target")
    ):
        milestones[clause_id].append((when, cumulative))
    steps = {clause_id: tuple(dates) for clause_id, dates in milestones.items()}
    clauses = (
        SocialClause.objects.filter(contract__in=contracts.values("id"))
        .order_by("contract__reference", "id")
        .values_list(*_CLAUSE_COLUMNS)
    )
    empty = ClauseTotals()
    evaluations = []
    append = evaluations.append
    for row in clauses:
        clause = EvaluatedClause._make(row)
        total = totals.get(clause.id, empty)
        evaluation = evaluate_figures(
            clause.metric,
            clause.target,
            clause.start_date,
            clause.due_date,
            clause.tolerance_pct,
            clause.penalty_per_unit_sek,
            steps.get(clause.id, ()),
            total.reported,
            total.verified,
            as_of,
            first_start_status(
                clause.first_start_within_days, clause.start_date, as_of, total.first_day
            ),
        )
        append(ClauseEvaluation(clause, evaluation))
    return evaluations


class _Version(NamedTuple):
    id: int
    status: str
    corrects_id: int | None
    submitted_on: date | None


def report_refs(
    contracts: QuerySet[Contract], *, period_starts: tuple[date, date] | None = None
) -> dict[int, dict[date, ReportRef]]:
    """For each contract, the report that stands for each period, in one query.

    Which version stands is :func:`internships.counting.period_report` (never a pending
    correction); the day the period's report was received is the first submission of an
    original that came and was not sent back (:func:`internships.counting.came_in`),
    in the local time zone. ``period_starts`` limits the periods read to those starting
    between its two dates (inclusive).
    """
    reports = PlacementReport.objects.filter(contract__in=contracts.values("id"))
    if period_starts is not None:
        reports = reports.filter(period_start__range=period_starts)
    versions: dict[tuple[int, date], list[_Version]] = defaultdict(list)
    # The submission day in the local time zone is computed by the database (TruncDate), not
    # by localtime() per report in Python (docs/PERFORMANCE.md, annual report).
    for report_id, contract_id, period_start, status, corrects, submitted_on in reports.order_by(
        "contract_id", "period_start", "created_at", "id"
    ).values_list(
        "id", "contract_id", "period_start", "status", "corrects_id", TruncDate("submitted_at")
    ):
        versions[(contract_id, period_start)].append(
            _Version(report_id, status, corrects, submitted_on)
        )
    refs: dict[int, dict[date, ReportRef]] = defaultdict(dict)
    for (contract_id, period_start), chain in versions.items():
        report = period_report(chain)
        if report is None:
            continue
        came = [
            v.submitted_on
            for v in chain
            if v.submitted_on and came_in(v.status, v.corrects_id is not None)
        ]
        refs[contract_id][period_start] = ReportRef(
            report.id,
            report.status,
            is_correction=report.corrects_id is not None,
            received_on=min(came) if came else None,
        )
    return refs


def contract_schedule(contract: Contract, *, as_of: date) -> list[ScheduleEntry]:
    """The reporting schedule of ``contract`` on ``as_of`` (docs/RULES.md §3), one query."""
    refs = report_refs(Contract.objects.filter(pk=contract.pk))
    return build_schedule(contract.reporting_periods(), reports=refs[contract.pk], as_of=as_of)


def contract_schedules(
    contracts: QuerySet[Contract], *, as_of: date
) -> list[tuple[Contract, list[ScheduleEntry]]]:
    """The schedules of many contracts in two queries."""
    refs = report_refs(contracts)
    return [
        (
            contract,
            build_schedule(contract.reporting_periods(), reports=refs[contract.pk], as_of=as_of),
        )
        for contract in contracts
    ]


def overdue_periods(
    contracts: QuerySet[Contract], *, as_of: date
) -> list[tuple[Contract, ScheduleEntry]]:
    """The periods of ``contracts`` whose report is overdue on ``as_of`` (the schedule's
    ``overdue`` state, as the alerts read it), in the contracts' order; two queries. The
    dashboard and the officers' work queue both list these."""
    return [
        (contract, entry)
        for contract, schedule in contract_schedules(contracts, as_of=as_of)
        for entry in schedule
        if entry.state == PeriodState.OVERDUE
    ]


def active_contracts() -> QuerySet[Contract]:
    """Contracts the scheduled jobs look after."""
    return Contract.objects.filter(status=ContractStatus.ACTIVE).order_by("id")


def with_latest_snapshot(clauses: QuerySet[SocialClause]) -> QuerySet[SocialClause]:
    """Clauses annotated with their latest daily snapshot (status, expected, reported, date), in
    the same query: list pages show where a clause stood at the last compliance run without a
    query per row and without evaluating it again."""
    latest = ClauseSnapshot.objects.filter(clause=OuterRef("pk")).order_by("-date")
    return clauses.annotate(
        latest_status=Subquery(latest.values("status")[:1]),
        latest_expected=Subquery(latest.values("expected")[:1]),
        latest_reported=Subquery(latest.values("reported")[:1]),
        latest_date=Subquery(latest.values("date")[:1]),
    )


def contract_list(*, user) -> QuerySet[Contract]:
    """Every contract for staff; a contractor user sees its own; a matcher the contracts its
    labour-market unit serves (docs/RULES.md §6)."""
    contracts = (
        Contract.objects.select_related("procurement", "contractor", "district")
        .prefetch_related("managers")
        .order_by("reference", "id")
    )
    if sees_everything(user):
        return contracts
    contractor_id = contractor_id_of(user)
    if contractor_id:
        return contracts.filter(contractor_id=contractor_id)
    unit_id = matcher_unit_id_of(user)
    return contracts.filter(matcher_id=unit_id) if unit_id else contracts.none()


def of_visible_contracts(queryset: QuerySet, *, user) -> QuerySet:
    """``queryset`` (of a model with a ``contract``) limited to the contracts ``user`` may see.

    Staff see every contract, so they get no filter at all: "contract in (every contract)" is
    the same rows, but PostgreSQL still joins it, and a list's COUNT(*) took tens of ms more.
    """
    if sees_everything(user):
        return queryset
    return queryset.filter(contract__in=contract_list(user=user).values("id"))


def clause_list(*, user) -> QuerySet[SocialClause]:
    """Clauses of the contracts ``user`` may see, with their groups and milestones."""
    return (
        of_visible_contracts(SocialClause.objects.all(), user=user)
        .select_related("contract")
        .prefetch_related(
            "target_groups",
            Prefetch("milestones", queryset=ClauseMilestone.objects.order_by("date")),
        )
        .order_by("contract__reference", "id")
    )


def alert_list(*, user) -> QuerySet[Alert]:
    """Staff see every alert; a contractor user the report alerts of its own contracts; a
    matcher the ``rows_unconfirmed`` alerts of the contracts its unit serves."""
    alerts = Alert.objects.select_related("contract", "clause", "acknowledged_by").order_by(
        "-created_at", "-id"
    )
    if sees_everything(user):
        return alerts
    contractor_id = contractor_id_of(user)
    if contractor_id is not None:
        return alerts.filter(
            contract__contractor_id=contractor_id,
            kind__in=[AlertKind.REPORT_DUE_SOON, AlertKind.REPORT_OVERDUE],
        )
    unit_id = matcher_unit_id_of(user)
    if unit_id is not None:
        # A matcher is told of the rows waiting for its word, on the contracts it serves.
        return alerts.filter(contract__matcher_id=unit_id, kind=AlertKind.ROWS_UNCONFIRMED)
    return alerts.none()


#: The kinds of alert from worst to mildest: a digest counts and lists them in this order
#: (docs/RULES.md §4.3). A breached clause is lost money; an overdue report blocks every
#: measure of its contract; a clause behind can still be caught up; a missed first start is a
#: promise broken early (the clause may still be met); a short forecast and a report due soon
#: are warnings.
ALERT_SEVERITY: tuple[str, ...] = (
    AlertKind.CLAUSE_BREACHED,
    AlertKind.REPORT_OVERDUE,
    AlertKind.CLAUSE_BEHIND,
    AlertKind.CLAUSE_FIRST_START_MISSED,
    AlertKind.CLAUSE_FORECAST_SHORT,
    AlertKind.ROWS_UNCONFIRMED,
    AlertKind.REPORT_DUE_SOON,
)


def digest_kind_counts(notifications: QuerySet[AlertNotification]) -> dict[int, dict[str, int]]:
    """How many of ``notifications`` each recipient has of each kind of alert, in one query."""
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    rows = (
        notifications.order_by()
        .values_list("recipient_id", "alert__kind")
        .annotate(number=Count("id"))
    )
    for recipient_id, kind, number in rows:
        counts[recipient_id][kind] = number
    return dict(counts)


def digest_worst_items(
    notifications: QuerySet[AlertNotification], *, per_recipient: int
) -> dict[int, list[Alert]]:
    """The ``per_recipient`` worst alerts of each recipient's ``notifications``, worst first, in
    one query (a window function ranks them per recipient in the database).

    Worst is: the kind's severity (``ALERT_SEVERITY``); then how far behind — for a report the
    oldest period first, for a clause the largest share of its target that was expected by the
    latest evaluation and not reported; then the contract's value, largest first; then the
    contract's reference.
    """
    latest_snapshot = ClauseSnapshot.objects.filter(
        clause_id=OuterRef("alert__clause_id")
    ).order_by("-date")
    severity = Case(
        *(When(alert__kind=kind, then=Value(rank)) for rank, kind in enumerate(ALERT_SEVERITY)),
        default=Value(len(ALERT_SEVERITY)),
        output_field=IntegerField(),
    )
    missing_share = ExpressionWrapper(
        Subquery(
            latest_snapshot.annotate(missing=F("expected") - F("reported")).values("missing")[:1]
        )
        / F("alert__clause__target"),
        output_field=DecimalField(),
    )
    worst_first = [
        severity.asc(),
        F("alert__period_start").asc(nulls_last=True),
        missing_share.desc(nulls_last=True),
        F("alert__contract__value_sek").desc(),
        F("alert__contract__reference").asc(),
        F("alert_id").asc(),
    ]
    ranked = (
        notifications.annotate(
            rank=Window(RowNumber(), partition_by=[F("recipient_id")], order_by=worst_first)
        )
        .filter(rank__lte=per_recipient)
        .select_related("alert__contract", "alert__clause")
        .order_by("recipient_id", "rank")
    )
    items: dict[int, list[Alert]] = defaultdict(list)
    for notification in ranked:
        items[notification.recipient_id].append(notification.alert)
    return dict(items)
