"""The managers' dashboard (/dashboard/): key figures and chart data for a year.

Every figure comes from the compliance engine (:func:`contracts.selectors.evaluate_clauses`), the
reporting schedule and set-based aggregates over the report rows: a fixed number of queries
whatever the number of contracts.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Count, Q, QuerySet

from internships.counting import REPORTED
from internships.models import PlacementRow

from .choices import AlertState, ClauseStatus, Metric
from .models import Alert, ClauseSnapshot, Contract, SocialClause, TargetGroup
from .schedule import ScheduleEntry
from .selectors import ClauseEvaluation, alert_list, evaluate_clauses, overdue_periods

FOREIGN_BORN_WOMEN = "foreign_born_women"
ON_COURSE = (ClauseStatus.MET, ClauseStatus.ON_TRACK)


@dataclass(frozen=True)
class Ranking:
    """A contractor's standing: clauses on course (met or on track) of those started."""

    contractor: str
    on_course: int
    started: int
    reported: Decimal
    expected: Decimal
    contractor_id: int | None = None  # for the link to the dashboard filtered by contractor

    @property
    def share(self) -> Decimal:
        return (
            Decimal(100 * self.on_course / self.started).quantize(Decimal("1"))
            if self.started
            else Decimal(0)
        )


@dataclass
class Dashboard:
    """What the dashboard shows for one year and filter."""

    year: int
    as_of: date
    active_contracts: int = 0
    clause_counts: Counter = field(default_factory=Counter)
    overdue_reports: int = 0
    overdue: list[tuple[Contract, ScheduleEntry]] = field(default_factory=list)
    placements_delivered: Decimal = Decimal(0)
    placements_expected: Decimal = Decimal(0)
    participants: int = 0
    participants_fbw: int = 0
    by_district: list[tuple[str, int]] = field(default_factory=list)
    by_target_group: list[tuple[str, int]] = field(default_factory=list)
    #: The ids behind the names of :attr:`by_district` and :attr:`by_target_group` (for links).
    district_ids: dict[str, int] = field(default_factory=dict)
    target_group_ids: dict[str, int] = field(default_factory=dict)
    rankings: list[Ranking] = field(default_factory=list)
    evaluations: list[ClauseEvaluation] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)

    @property
    def fbw_share(self) -> Decimal | None:
        """Share of this year's participants in the target group foreign-born women, in %."""
        if not self.participants:
            return None
        return (Decimal(100) * self.participants_fbw / self.participants).quantize(Decimal("0.1"))


def dashboard_contracts(
    contracts: QuerySet[Contract], *, year: int, district_id: int | None, contractor_id: int | None
) -> QuerySet[Contract]:
    """The contracts the dashboard counts: those running some time in ``year``, filtered."""
    contracts = contracts.filter(start_date__lte=date(year, 12, 31), end_date__gte=date(year, 1, 1))
    if district_id:
        contracts = contracts.filter(district_id=district_id)
    if contractor_id:
        contracts = contracts.filter(contractor_id=contractor_id)
    return contracts


def _year_rows(contracts: QuerySet[Contract], start: date, end: date) -> QuerySet[PlacementRow]:
    """Rows counted as reported (:data:`internships.counting.REPORTED`) with days between
    ``start`` and ``end``."""
    return PlacementRow.objects.filter(
        REPORTED.q("report__"),
        report__contract__in=contracts.values("id"),
        start_date__lte=end,
        end_date__gte=start,
    )


def dashboard_build(
    *,
    user,
    contracts: QuerySet[Contract],
    year: int,
    today: date,
) -> Dashboard:
    """Key figures, chart data and open alerts of ``contracts`` (already filtered) for ``year``.

    Figures are as of the year's last day, or today for the current year. "Delivered this
    year" is the engine's reported total at that day minus the one at the end of the year before,
    for placements clauses; "expected" likewise.
    """
    year_end = date(year, 12, 31)
    as_of = min(today, year_end)
    year_start = date(year, 1, 1)
    board = Dashboard(year=year, as_of=as_of)
    board.active_contracts = contracts.filter(status="active").count()
    board.evaluations = evaluate_clauses(as_of=as_of, contracts=contracts)
    before = {
        item.clause.id: item.evaluation
        for item in evaluate_clauses(as_of=year_start - timedelta(days=1), contracts=contracts)
    }
    board.clause_counts = Counter(item.evaluation.status for item in board.evaluations)
    for item in board.evaluations:
        if item.evaluation.metric != Metric.PLACEMENTS:
            continue
        earlier = before.get(item.clause.id)
        board.placements_delivered += item.evaluation.reported - (
            earlier.reported if earlier else 0
        )
        board.placements_expected += item.evaluation.expected - (earlier.expected if earlier else 0)
    board.overdue = overdue_periods(
        contracts.select_related("contractor").order_by("reference"), as_of=as_of
    )
    board.overdue_reports = len(board.overdue)

    rows = _year_rows(contracts, year_start, as_of)
    totals = rows.aggregate(
        people=Count("participant_ref", distinct=True),
        fbw=Count(
            "participant_ref",
            distinct=True,
            filter=Q(target_group__code=FOREIGN_BORN_WOMEN),
        ),
    )
    board.participants, board.participants_fbw = totals["people"], totals["fbw"]
    districts = list(
        rows.values_list("report__contract__district__name", "report__contract__district_id")
        .annotate(count=Count("participant_ref", distinct=True))
        .order_by("-count", "report__contract__district__name")
    )
    board.by_district = [(name, count) for name, _id, count in districts]
    board.district_ids = {name: pk for name, pk, _count in districts}
    language_field = f"target_group__{TargetGroup.name_field()}"
    groups = list(
        rows.values_list(language_field, "target_group_id")
        .annotate(count=Count("participant_ref", distinct=True))
        .order_by("-count", language_field)
    )
    board.by_target_group = [(name, count) for name, _id, count in groups]
    board.target_group_ids = {name: pk for name, pk, _count in groups}
    board.rankings = _rankings(contracts, board.evaluations)
    board.alerts = list(
        alert_list(user=user)
        .filter(state=AlertState.OPEN, contract__in=contracts.values("id"))
        .select_related("contract", "clause")[:50]
    )
    return board


def _rankings(contracts: QuerySet[Contract], evaluations: list[ClauseEvaluation]) -> list[Ranking]:
    names = {
        pk: (name, contractor)
        for pk, name, contractor in contracts.values_list("id", "contractor__name", "contractor_id")
    }
    tally: dict[tuple[str, int], list] = defaultdict(lambda: [0, 0, Decimal(0), Decimal(0)])
    for item in evaluations:
        if item.evaluation.status == ClauseStatus.NOT_STARTED:
            continue
        entry = tally[names[item.clause.contract_id]]
        entry[0] += item.evaluation.status in ON_COURSE
        entry[1] += 1
        entry[2] += item.evaluation.reported
        entry[3] += item.evaluation.expected
    rankings = [Ranking(name, *values, contractor_id=pk) for (name, pk), values in tally.items()]
    rankings.sort(key=lambda r: (-r.share, r.contractor))
    return rankings


@dataclass(frozen=True)
class ClauseHistory:
    """Daily snapshots of one clause: expected, reported and approved over time."""

    clause: SocialClause
    points: list[tuple[date, Decimal, Decimal, Decimal]]


def clause_choices(contracts: QuerySet[Contract]) -> list[tuple[int, str]]:
    """The clauses of ``contracts`` for the history chart's picker."""
    clauses = (
        SocialClause.objects.filter(contract__in=contracts.values("id"))
        .select_related("contract")
        .order_by("contract__reference", "id")
    )
    return [(c.pk, f"{c.contract.reference} · {c.get_metric_display()}") for c in clauses]


def clause_history(clause: SocialClause, *, start: date, end: date) -> ClauseHistory:
    """The clause's snapshots between ``start`` and ``end``, oldest first (one query)."""
    points = list(
        ClauseSnapshot.objects.filter(clause=clause, date__range=(start, end))
        .order_by("date")
        .values_list("date", "expected", "reported", "verified")
    )
    return ClauseHistory(clause, points)
