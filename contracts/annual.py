"""The annual integration report (issue 7, first part): what the year's procurement delivered.

Built with pandas from one set-based extraction: the compliance engine evaluates every clause at
the end of the year and at the end of the year before (:func:`contracts.selectors.evaluate_clauses`,
a fixed number of queries each), one query reads the contracts' district, contractor and value,
one the reports due in the year. "Delivered in the year" is the engine's reported total at the
year's end (or today, for the current year) minus the one at the end of the year before; the same
for expected and approved — so every figure here equals what the engine gives for those dates.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pandas as pd
from django.db.models import QuerySet
from django.utils import timezone

from internships.models import PlacementReport

from .models import Contract, SocialClause
from .selectors import contract_schedules, evaluate_clauses

FIGURES = ["target", "expected", "delivered", "approved"]


@dataclass
class AnnualReport:
    """The tables of one year's report (pandas DataFrames) and its headline numbers."""

    year: int
    as_of: date
    clauses: pd.DataFrame  # one line per clause
    by_metric: pd.DataFrame
    by_district: pd.DataFrame
    by_contractor: pd.DataFrame
    by_status: pd.DataFrame
    reports: pd.DataFrame  # due in the year: on time, late, missing
    contracts: int
    value_msek: Decimal


def _clause_frame(contracts: QuerySet[Contract], year: int, as_of: date) -> pd.DataFrame:
    end = evaluate_clauses(as_of=as_of, contracts=contracts)
    before = {
        item.clause.id: item.evaluation
        for item in evaluate_clauses(as_of=date(year - 1, 12, 31), contracts=contracts)
    }
    info = {
        pk: (reference, district, contractor, value)
        for pk, reference, district, contractor, value in contracts.values_list(
            "id", "reference", "district__name", "contractor__name", "value_sek"
        )
    }
    lines = []
    for item in end:
        now, then = item.evaluation, before.get(item.clause.id)
        reference, district, contractor, value = info[item.clause.contract_id]
        lines.append(
            {
                "clause": item.clause.id,
                "contract": reference,
                "district": district,
                "contractor": contractor,
                "value_msek": Decimal(value or 0) / Decimal(1_000_000),
                "metric": now.metric,
                "status": now.status,
                "target": now.target,
                "expected": now.expected - (then.expected if then else 0),
                "delivered": now.reported - (then.reported if then else 0),
                "approved": now.verified - (then.verified if then else 0),
            }
        )
    columns = ["clause", "contract", "district", "contractor", "value_msek", "metric", "status"]
    return pd.DataFrame(lines, columns=[*columns, *FIGURES])


def _grouped(frame: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    if frame.empty:
        return pd.DataFrame(columns=[*by, "clauses", *FIGURES])
    grouped = frame.groupby(by, sort=True).agg(
        clauses=("clause", "count"), **{name: (name, "sum") for name in FIGURES}
    )
    return grouped.reset_index()


def _reports(contracts: QuerySet[Contract], year: int, as_of: date) -> pd.DataFrame:
    """Reports due in the year: received on time, late, or missing (as of ``as_of``)."""
    submitted = dict(
        PlacementReport.objects.filter(contract__in=contracts.values("id"))
        .exclude(submitted_at=None)
        .values_list("id", "submitted_at")
    )
    lines = []
    for contract, schedule in contract_schedules(contracts, as_of=as_of):
        for entry in (entry for entry in schedule if entry.due_date.year == year):
            sent = submitted.get(entry.report) if entry.report else None
            if sent is None:
                state = "missing" if entry.due_date <= as_of else "not_due"
            else:
                on_time = timezone.localtime(sent).date() <= entry.due_date
                state = "on_time" if on_time else "late"
            lines.append(
                {"contract": contract.reference, "due_date": entry.due_date, "state": state}
            )
    return pd.DataFrame(lines, columns=["contract", "due_date", "state"])


def annual_report(
    *, year: int, today: date | None = None, contracts: QuerySet[Contract] | None = None
) -> AnnualReport:
    """The report for ``year`` over ``contracts`` (default: every contract running in it)."""
    today = today or timezone.localdate()
    as_of = min(today, date(year, 12, 31))
    contracts = (contracts if contracts is not None else Contract.objects.all()).filter(
        start_date__lte=date(year, 12, 31),
        end_date__gte=date(year, 1, 1),
        pk__in=SocialClause.objects.values("contract_id"),
    )
    frame = _clause_frame(contracts, year, as_of)
    values = frame.drop_duplicates("contract")["value_msek"] if not frame.empty else []
    return AnnualReport(
        year=year,
        as_of=as_of,
        clauses=frame,
        by_metric=_grouped(frame, ["metric"]),
        by_district=_grouped(frame, ["district", "metric"]),
        by_contractor=_grouped(frame, ["contractor", "metric"]),
        by_status=_grouped(frame, ["status"]),
        reports=_reports(contracts, year, as_of),
        contracts=int(frame["contract"].nunique()) if not frame.empty else 0,
        value_msek=sum(values, Decimal(0)),
    )
