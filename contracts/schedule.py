"""The reporting schedule of DESIGN.md §5 as pure functions over dates.

A contract's first period runs from its start date to the end of that calendar month (monthly) or
quarter (quarterly), then whole calendar months or quarters follow, and the last ends on the
contract's end date. Each period's report is due ``grace_days`` after the period ends.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from contracts.choices import PeriodState, ReportingFrequency
from internships.choices import COUNTED_STATUSES

#: A period is *due soon* when its due date falls within this many days from ``as_of``.
DUE_SOON_DAYS = 7


@dataclass(frozen=True)
class Period:
    """One reporting period and the date its report is due."""

    start: date
    end: date
    due_date: date


@dataclass(frozen=True)
class ReportRef:
    """The report that stands for a period: its id and its status now."""

    id: int
    status: str


@dataclass(frozen=True)
class ScheduleEntry:
    """One line of ``contracts/{id}/schedule/``."""

    period_start: date
    period_end: date
    due_date: date
    state: str
    report: int | None


def _period_end(day: date, frequency: str) -> date:
    """Last day of the calendar month or quarter that contains ``day``."""
    if frequency == ReportingFrequency.MONTHLY:
        month = day.month
    elif frequency == ReportingFrequency.QUARTERLY:
        month = ((day.month - 1) // 3 + 1) * 3
    else:
        raise ValueError(f"unknown reporting frequency: {frequency!r}")
    return date(day.year, month, calendar.monthrange(day.year, month)[1])


def reporting_periods(
    *, start_date: date, end_date: date, frequency: str, grace_days: int
) -> list[Period]:
    """Every reporting period of a contract running from ``start_date`` to ``end_date``."""
    if end_date < start_date:
        raise ValueError("end_date is before start_date")
    periods = []
    start = start_date
    while start <= end_date:
        end = min(_period_end(start, frequency), end_date)
        periods.append(Period(start=start, end=end, due_date=end + timedelta(days=grace_days)))
        start = end + timedelta(days=1)
    return periods


def is_period(periods: list[Period], period_start: date, period_end: date) -> bool:
    """True when ``period_start``–``period_end`` is exactly one period of the schedule."""
    return any(p.start == period_start and p.end == period_end for p in periods)


def period_state(period: Period, *, received: bool, as_of: date) -> str:
    """The state of one period on ``as_of`` (DESIGN.md §5), first match wins."""
    if received:
        return PeriodState.RECEIVED
    if period.due_date < as_of:
        return PeriodState.OVERDUE
    if period.due_date <= as_of + timedelta(days=DUE_SOON_DAYS):
        return PeriodState.DUE_SOON
    return PeriodState.UPCOMING


def build_schedule(
    periods: list[Period], *, reports: Mapping[date, ReportRef], as_of: date
) -> list[ScheduleEntry]:
    """The schedule as of ``as_of``; ``reports`` maps a period's start to the report that stands
    for it (the non-rejected one if any, else the latest rejected one)."""
    entries = []
    for period in periods:
        report = reports.get(period.start)
        received = report is not None and report.status in COUNTED_STATUSES
        entries.append(
            ScheduleEntry(
                period_start=period.start,
                period_end=period.end,
                due_date=period.due_date,
                state=period_state(period, received=received, as_of=as_of),
                report=report.id if report else None,
            )
        )
    return entries
