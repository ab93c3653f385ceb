"""The officers' work queue: what waits for them today.

Reports waiting for review (:func:`~internships.selectors.reports_waiting_for_review`), and
what the compliance runs found and have not seen cleared: the open ``report_overdue`` alerts
and the open ``clause_behind`` / ``clause_breached`` alerts of the active contracts, the
clauses shown with their latest snapshot. The runs keep those alerts current (every night, and
for a contract as soon as one of its reports is submitted, approved, rejected or corrected),
so the page reads what they wrote instead of evaluating every active contract per request: a
fixed number of small queries, however many contracts there are (docs/PERFORMANCE.md).
Nothing here computes a rule of its own: due dates come from :mod:`contracts.schedule`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Case, Count, IntegerField, QuerySet, Value, When

from internships.models import PlacementReport
from internships.selectors import reports_waiting_for_review

from .choices import AlertKind, AlertState, ClauseStatus, ContractStatus, PeriodState
from .models import Alert, Contract, SocialClause
from .schedule import ScheduleEntry, period_starting
from .selectors import with_latest_snapshot

#: The alerts that put a clause in the queue, the most urgent first: the officer acts on these.
NEEDS_ACTION = (AlertKind.CLAUSE_BREACHED, AlertKind.CLAUSE_BEHIND)

#: The status each of those alerts stands for.
_STATUS_OF = {
    AlertKind.CLAUSE_BREACHED: ClauseStatus.BREACHED,
    AlertKind.CLAUSE_BEHIND: ClauseStatus.BEHIND,
}

#: At most this many lines per list: the headings give the full counts.
LIST_LIMIT = 50


@dataclass(frozen=True)
class OverduePeriod:
    """A reporting period whose report is overdue, and its contract."""

    contract: Contract
    entry: ScheduleEntry
    days_late: int


@dataclass(frozen=True)
class ClauseNeedingAction:
    """A clause behind or breached at the latest compliance run, with that run's figures (its
    latest snapshot; ``None`` before the clause has one)."""

    contract: Contract
    clause: SocialClause
    status: str
    reported: Decimal | None
    expected: Decimal | None
    as_of: date | None


@dataclass
class WorkQueue:
    """The three lists of the work queue, each with its full count (the lists are capped)."""

    as_of: date
    to_review: list[PlacementReport] = field(default_factory=list)
    to_review_count: int = 0
    overdue: list[OverduePeriod] = field(default_factory=list)
    overdue_count: int = 0
    clauses: list[ClauseNeedingAction] = field(default_factory=list)
    clauses_count: int = 0
    limit: int = LIST_LIMIT


def _open_alerts() -> QuerySet[Alert]:
    """Alerts not yet resolved (open or acknowledged) of the active contracts."""
    return Alert.objects.filter(contract__status=ContractStatus.ACTIVE).exclude(
        state=AlertState.RESOLVED
    )


def _overdue_entry(alert: Alert, *, as_of: date) -> OverduePeriod:
    contract = alert.contract
    period = period_starting(
        alert.period_start,
        end_date=contract.end_date,
        frequency=contract.reporting_frequency,
        grace_days=contract.report_grace_days,
    )
    entry = ScheduleEntry(
        period_start=period.start,
        period_end=period.end,
        due_date=period.due_date,
        state=PeriodState.OVERDUE,
        report=None,
    )
    return OverduePeriod(contract, entry, (as_of - period.due_date).days)


def _longest_overdue(alerts: QuerySet[Alert], *, as_of: date, limit: int) -> list[OverduePeriod]:
    """The ``limit`` overdue periods with the earliest due dates, exactly, without reading
    every overdue period.

    A period is due on or after the day it starts, so when the first ``limit`` periods by start
    are due by day D at the latest, every period due before D starts before D: only those are
    read and sorted by their due dates (a few hundred rows, not tens of thousands).
    """
    alerts = alerts.select_related("contract__contractor").order_by(
        "period_start", "contract__reference", "contract_id"
    )
    first = [_overdue_entry(alert, as_of=as_of) for alert in alerts[:limit]]
    if len(first) < limit:
        candidates = first
    else:
        latest_due = max(item.entry.due_date for item in first)
        candidates = [
            _overdue_entry(alert, as_of=as_of)
            for alert in alerts.filter(period_start__lte=latest_due)
        ]
    candidates.sort(key=lambda item: (item.entry.due_date, item.contract.reference))
    return candidates[:limit]


def work_queue(*, as_of: date) -> WorkQueue:
    """The officers' work queue on ``as_of``, in six queries (seven with more than
    :data:`LIST_LIMIT` overdue reports).

    - reports waiting for review: every submitted report or correction, oldest submission first;
    - overdue periods of the active contracts (their open ``report_overdue`` alerts), the
      longest overdue first;
    - clauses of the active contracts that are behind or breached (their open alerts), breached
      first, then by contract, with their latest snapshot.
    """
    queue = WorkQueue(as_of=as_of)
    waiting = reports_waiting_for_review()
    queue.to_review_count = waiting.count()
    queue.to_review = list(
        waiting.select_related("contract__contractor", "submitted_by")[:LIST_LIMIT]
    )

    alerts = _open_alerts()
    counts = dict(
        alerts.filter(kind__in=[AlertKind.REPORT_OVERDUE, *NEEDS_ACTION])
        .values_list("kind")
        .annotate(count=Count("id"))
        .order_by()
    )
    queue.overdue_count = counts.get(AlertKind.REPORT_OVERDUE, 0)
    queue.clauses_count = sum(counts.get(kind, 0) for kind in NEEDS_ACTION)

    if queue.overdue_count:
        queue.overdue = _longest_overdue(
            alerts.filter(kind=AlertKind.REPORT_OVERDUE), as_of=as_of, limit=LIST_LIMIT
        )

    if queue.clauses_count:
        urgency = Case(
            *(When(kind=kind, then=Value(rank)) for rank, kind in enumerate(NEEDS_ACTION)),
            output_field=IntegerField(),
        )
        flagged = list(
            alerts.filter(kind__in=NEEDS_ACTION)
            .annotate(urgency=urgency)
            .order_by("urgency", "contract__reference", "contract_id", "clause_id")
            .select_related("contract__contractor")[:LIST_LIMIT]
        )
        clauses = with_latest_snapshot(
            SocialClause.objects.filter(pk__in=[alert.clause_id for alert in flagged])
        ).in_bulk()
        for alert in flagged:
            clause = clauses[alert.clause_id]
            queue.clauses.append(
                ClauseNeedingAction(
                    contract=alert.contract,
                    clause=clause,
                    status=clause.latest_status or _STATUS_OF[alert.kind],
                    reported=clause.latest_reported,
                    expected=clause.latest_expected,
                    as_of=clause.latest_date,
                )
            )
    return queue
