"""The officers' work queue: what waits for them today.

Reports waiting for review, reporting periods overdue and clauses behind or breached, read
set-based through the existing selectors (:func:`~internships.selectors.reports_waiting_for_review`,
:func:`~contracts.selectors.overdue_periods` for the schedule, as the dashboard lists them,
:func:`~contracts.selectors.evaluate_clauses` for the compliance rules): a fixed number
of queries however many contracts there are. Nothing here computes a rule of its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from internships.models import PlacementReport
from internships.selectors import reports_waiting_for_review

from .choices import ClauseStatus
from .compliance import Evaluation
from .models import Contract
from .schedule import ScheduleEntry
from .selectors import EvaluatedClause, active_contracts, evaluate_clauses, overdue_periods

#: The statuses that put a clause in the queue: the officer has to act on these.
NEEDS_ACTION = (ClauseStatus.BREACHED, ClauseStatus.BEHIND)

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
    """A clause behind or breached today, with its evaluation and its contract."""

    contract: Contract
    clause: EvaluatedClause
    evaluation: Evaluation


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


def work_queue(*, as_of: date) -> WorkQueue:
    """The officers' work queue on ``as_of``, in eight queries.

    - reports waiting for review: every submitted report or correction, oldest submission first;
    - overdue periods of the active contracts (the schedule's ``overdue`` state, as the
      reminders use), the longest overdue first;
    - clauses of the active contracts that are behind or breached as evaluated today, breached
      first, then by contract.
    """
    queue = WorkQueue(as_of=as_of)
    waiting = reports_waiting_for_review()
    queue.to_review_count = waiting.count()
    queue.to_review = list(
        waiting.select_related("contract__contractor", "submitted_by")[:LIST_LIMIT]
    )

    active = active_contracts().select_related("contractor").order_by("reference", "id")
    by_id = {contract.pk: contract for contract in active}  # read once: the schedules reuse it
    overdue = [
        OverduePeriod(contract, entry, (as_of - entry.due_date).days)
        for contract, entry in overdue_periods(active, as_of=as_of)
    ]
    overdue.sort(key=lambda item: (item.entry.due_date, item.contract.reference))
    queue.overdue_count = len(overdue)
    queue.overdue = overdue[:LIST_LIMIT]

    clauses = [
        ClauseNeedingAction(by_id[item.clause.contract_id], item.clause, item.evaluation)
        for item in evaluate_clauses(as_of=as_of, contracts=active)
        if item.evaluation.status in NEEDS_ACTION
    ]
    # Breached first; evaluate_clauses gives each status's clauses in contract order already.
    clauses.sort(key=lambda item: NEEDS_ACTION.index(item.evaluation.status))
    queue.clauses_count = len(clauses)
    queue.clauses = clauses[:LIST_LIMIT]
    return queue
