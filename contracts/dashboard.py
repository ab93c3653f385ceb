"""The managers' dashboard (/dashboard/): key figures and chart data for a year.

Every figure comes from the compliance engine (:func:`contracts.selectors.evaluate_clauses`), the
reporting schedule and set-based aggregates over the report rows: a fixed number of queries
whatever the number of contracts.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal
from typing import NamedTuple

from django.db.models import Count, Q, QuerySet

from internships.choices import AgeBand, EmploymentType, Gender
from internships.counting import REPORTED
from internships.models import PlacementRow
from internships.selectors import foreign_born_women_q

from . import caching
from .choices import AlertState, ClauseStatus, Metric
from .compliance import forecast_short
from .models import Alert, ClauseSnapshot, Contract, SocialClause, TargetGroup
from .schedule import ScheduleEntry
from .selectors import ClauseEvaluation, alert_list, evaluate_clauses, overdue_periods

logger = logging.getLogger(__name__)

#: The row facts the dashboard breaks participants down by, and their choices (in order).
FACTS = {"employment_type": EmploymentType, "gender": Gender, "age_band": AgeBand}
ON_COURSE = (ClauseStatus.MET, ClauseStatus.ON_TRACK)
ATTENTION = (ClauseStatus.BREACHED, ClauseStatus.BEHIND, ClauseStatus.AT_RISK)
#: The clause list's "every status" choice (as :data:`contracts.forms.ALL`).
ALL = "all"


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
    #: Participants per employment type, gender and age band: ``fact → [(code, count)]``, every
    #: choice in order ("not told" included), as the target groups are counted.
    by_fact: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    #: The ids behind the names of :attr:`by_district` and :attr:`by_target_group` (for links).
    district_ids: dict[str, int] = field(default_factory=dict)
    target_group_ids: dict[str, int] = field(default_factory=dict)
    rankings: list[Ranking] = field(default_factory=list)
    evaluations: list[ClauseEvaluation] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)

    @property
    def fbw_share(self) -> Decimal | None:
        """Share of this year's participants who are foreign-born women, in %
        (:func:`internships.selectors.foreign_born_women_q`)."""
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
        if item.evaluation.expected is not None:  # a dialogue clause expects nothing
            board.placements_expected += item.evaluation.expected - (
                earlier.expected if earlier and earlier.expected is not None else 0
            )
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
            filter=foreign_born_women_q(),
        ),
    )
    board.participants, board.participants_fbw = totals["people"], totals["fbw"]
    board.by_fact = _by_fact(rows)
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
    if user is not None:
        board.alerts = list(open_alerts(user=user, contracts=contracts)[:50])
    return board


def _by_fact(rows: QuerySet[PlacementRow]) -> dict[str, list[tuple[str, int]]]:
    """Distinct participants of ``rows`` per value of each fact of :data:`FACTS`, every choice
    listed (0 when none): one aggregate query per fact. A participant whose rows differ counts
    under each value, as under each target group."""
    result = {}
    for fact, choices in FACTS.items():
        counts = dict(
            rows.order_by()
            .values_list(fact)
            .annotate(count=Count("participant_ref", distinct=True))
            .values_list(fact, "count")
        )
        result[fact] = [(code, counts.get(code, 0)) for code in choices.values]
    return result


def open_alerts(*, user, contracts: QuerySet[Contract]) -> QuerySet[Alert]:
    """The open alerts of ``contracts`` that ``user`` may see, newest first (live, never
    cached: acknowledging one takes it off the list at once)."""
    return (
        alert_list(user=user)
        .filter(state=AlertState.OPEN, contract__in=contracts.values("id"))
        .select_related("contract", "clause")
        # Newest first by id, not by ``created_at``: the primary key's index lets PostgreSQL
        # stop after the first rows instead of sorting tens of thousands of open alerts.
        .order_by("-id")
    )


def _rankings(contracts: QuerySet[Contract], evaluations: list[ClauseEvaluation]) -> list[Ranking]:
    names = {
        pk: (name, contractor)
        for pk, name, contractor in contracts.values_list("id", "contractor__name", "contractor_id")
    }
    tally: dict[tuple[str, int], list] = defaultdict(lambda: [0, 0, Decimal(0), Decimal(0)])
    for item in evaluations:
        # A dialogue clause has no target, so it is neither on course nor behind.
        if item.evaluation.status in (ClauseStatus.NOT_STARTED, ClauseStatus.DIALOGUE):
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


def clause_history(clause: SocialClause, *, start: date, end: date) -> ClauseHistory:
    """The clause's snapshots between ``start`` and ``end``, oldest first (one query)."""
    points = list(
        ClauseSnapshot.objects.filter(clause=clause, date__range=(start, end))
        .order_by("date")
        .values_list("date", "expected", "reported", "verified")
    )
    return ClauseHistory(clause, points)


class ClauseLine(NamedTuple):
    """One clause of the dashboard's list: plain values, cheap to keep in the cache. It has the
    attributes the ``forecast`` template filter reads."""

    clause_id: int
    contract_id: int
    reference: str
    metric: str
    status: str
    reported: Decimal
    expected: Decimal | None  # None for a dialogue clause (shown "–")
    verified: Decimal
    target: Decimal | None
    forecast: str
    forecast_date: date | None
    #: Needs attention: behind in some way, or on course but short of the target at this pace.
    attention: bool

    def get_metric_display(self) -> str:
        return str(Metric(self.metric).label)


class OverdueLine(NamedTuple):
    """One overdue report period of the dashboard's list."""

    contract_id: int
    reference: str
    period_start: date
    period_end: date
    due_date: date


@dataclass(frozen=True)
class Lines:
    """One page of a long list, and how many there are in all."""

    count: int
    rows: list
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.count // self.per_page))


@dataclass(frozen=True)
class DashboardKey:
    """What the dashboard's cached figures depend on, besides the generation and language."""

    year: int
    district_id: int | None
    contractor_id: int | None
    today: date

    @property
    def parts(self) -> tuple:
        return (self.year, self.district_id or "", self.contractor_id or "", self.today)


def _lines(board: Dashboard) -> tuple[list[ClauseLine], list[OverdueLine]]:
    clauses = [
        ClauseLine(
            item.clause.id,
            item.clause.contract_id,
            item.clause.contract.reference,
            e.metric,
            e.status,
            e.reported,
            e.expected,
            e.verified,
            e.target,
            e.forecast,
            e.forecast_date,
            e.status in ATTENTION or forecast_short(e),
        )
        for item in board.evaluations
        for e in (item.evaluation,)
    ]
    overdue = [
        OverdueLine(c.pk, c.reference, entry.period_start, entry.period_end, entry.due_date)
        for c, entry in board.overdue
    ]
    return clauses, overdue


def _build(key: DashboardKey, contracts: QuerySet[Contract]) -> tuple[Dashboard, tuple]:
    """The whole dashboard, computed, split into its summary and its long lists; both are
    stored (one computation fills both)."""
    board = dashboard_build(user=None, contracts=contracts, year=key.year, today=key.today)
    lines = _lines(board)
    summary = replace(board, evaluations=[], overdue=[], alerts=[])
    # Filled here so that whichever is asked first, the other is there for the next request.
    caching.store(("lines", *key.parts), lines)
    return summary, lines


def dashboard_summary(key: DashboardKey, contracts: QuerySet[Contract]) -> Dashboard:
    """The key figures and chart data (no long lists, no alerts), cached."""
    return caching.cached(("summary", *key.parts), lambda: _build(key, contracts)[0])


def dashboard_lines(
    key: DashboardKey, contracts: QuerySet[Contract]
) -> tuple[list[ClauseLine], list[OverdueLine]]:
    """Every clause and every overdue period of the dashboard, cached."""

    def compute() -> tuple:
        summary, lines = _build(key, contracts)
        caching.store(("summary", *key.parts), summary)
        return lines

    return caching.cached(("lines", *key.parts), compute)


def clause_lines(
    key: DashboardKey,
    contracts: QuerySet[Contract],
    *,
    status: str,
    metric: str,
    page: int = 1,
    per_page: int,
) -> Lines:
    """A page of the dashboard's clauses of ``status`` (:data:`ALL`: any; empty: those that
    need attention) and ``metric`` (empty: any), in the engine's order (contract reference)."""

    def compute() -> Lines:
        chosen = [
            line
            for line in dashboard_lines(key, contracts)[0]
            if (line.attention if not status else status in (ALL, line.status))
            and metric in ("", line.metric)
        ]
        start = (page - 1) * per_page
        return Lines(len(chosen), chosen[start : start + per_page], page, per_page)

    return caching.cached(("clauses", *key.parts, status, metric, page, per_page), compute)


def overdue_lines(
    key: DashboardKey, contracts: QuerySet[Contract], *, page: int = 1, per_page: int
) -> Lines:
    """A page of the overdue report periods, by contract reference."""

    def compute() -> Lines:
        every = dashboard_lines(key, contracts)[1]
        start = (page - 1) * per_page
        return Lines(len(every), every[start : start + per_page], page, per_page)

    return caching.cached(("overdue", *key.parts, page, per_page), compute)


def clause_search(contracts: QuerySet[Contract], text: str, *, limit: int) -> list[ClauseLine]:
    """Clauses of ``contracts`` whose contract reference or title contains ``text``, or whose
    metric's name does, by reference; at most ``limit`` (one query)."""
    text = text.strip()
    if not text:
        return []
    metrics = [value for value, label in Metric.choices if text.lower() in str(label).lower()]
    return list(
        SocialClause.objects.filter(contract__in=contracts.values("id"))
        .filter(
            Q(contract__reference__icontains=text)
            | Q(contract__title__icontains=text)
            | Q(metric__in=metrics)
        )
        .select_related("contract")
        .order_by("contract__reference", "id")[:limit]
    )


def dashboard_warm(*, today: date) -> None:
    """Compute and cache the dashboard's default view (this year, no filter, in the default
    language), so that the first manager after the nightly run does not wait for it. Never
    fails its caller: a failure only leaves the cache cold."""
    from django.conf import settings
    from django.utils import translation

    key = DashboardKey(year=today.year, district_id=None, contractor_id=None, today=today)
    contracts = dashboard_contracts(
        Contract.objects.all(), year=today.year, district_id=None, contractor_id=None
    )
    try:
        with translation.override(settings.LANGUAGE_CODE):
            dashboard_summary(key, contracts)
    except Exception:  # a warm-up is a courtesy: the page computes what it lacks
        logger.warning("The dashboard could not be warmed.", exc_info=True)
