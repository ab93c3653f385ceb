"""Reads for the web pages: contracts with their clauses evaluated and their reporting schedule.

Everything is read set-based (a fixed number of queries for any number of contracts) through
:func:`contracts.selectors.evaluate_clauses` and :func:`contracts.selectors.contract_schedules`,
so the pages show exactly what the API, the exports and the scheduled jobs compute.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from django.db.models import Prefetch, QuerySet

from .compliance import Evaluation
from .models import ClauseMilestone, Contract, SocialClause
from .schedule import ScheduleEntry
from .selectors import contract_schedules, evaluate_clauses


@dataclass(frozen=True)
class ClauseView:
    """A clause as a page shows it: the clause itself and where it stands."""

    clause: SocialClause
    evaluation: Evaluation


@dataclass
class ContractOverview:
    """A contract, its clauses evaluated on one day, and its reporting schedule."""

    contract: Contract
    clauses: list[ClauseView] = field(default_factory=list)
    schedule: list[ScheduleEntry] = field(default_factory=list)

    @property
    def open_periods(self) -> list[ScheduleEntry]:
        """Periods still waiting for a report that are due soon or overdue."""
        return [entry for entry in self.schedule if entry.state in ("overdue", "due_soon")]


def contract_overviews(contracts: QuerySet[Contract], *, as_of: date) -> list[ContractOverview]:
    """Every contract of ``contracts`` with its evaluated clauses and its schedule on ``as_of``."""
    contracts = contracts.select_related("contractor", "district", "procurement")
    overviews = {
        contract.pk: ContractOverview(contract, schedule=schedule)
        for contract, schedule in contract_schedules(contracts, as_of=as_of)
    }
    clauses = {
        clause.pk: clause
        for clause in SocialClause.objects.filter(contract__in=contracts.values("id"))
        .select_related("contract")
        .prefetch_related(
            "target_groups",
            Prefetch("milestones", queryset=ClauseMilestone.objects.order_by("date")),
        )
        .order_by("id")
    }
    by_contract: dict[int, list[ClauseView]] = defaultdict(list)
    for item in evaluate_clauses(as_of=as_of, contracts=contracts):
        clause = clauses[item.clause.id]
        by_contract[clause.contract_id].append(ClauseView(clause, item.evaluation))
    for contract_id, views in by_contract.items():
        overviews[contract_id].clauses = views
    return list(overviews.values())
