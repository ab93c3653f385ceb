"""The reporting schedule of docs/RULES.md §3 as pure functions over dates.

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
from internships.counting import counts_as_reported

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
    """The report that stands for a period (:func:`internships.counting.period_report`): its
    id, its status now, whether it is a correction, and the day (local time) the period's first
    report that was not sent back was submitted (:func:`internships.counting.came_in`)."""

    id: int
    status: str
    is_correction: bool = False
    received_on: date | None = None


@dataclass(frozen=True)
class ScheduleEntry:
    """One line of ``contracts/{id}/schedule/``."""

    period_start: date
    period_end: date
    due_date: date
    state: str
    report: int | None
    #: The day the period's report first came (``None`` until it is received).
    received_on: date | None = None
    #: Received after its due date.
    late: bool = False


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
        period = period_starting(
            start, end_date=end_date, frequency=frequency, grace_days=grace_days
        )
        periods.append(period)
        start = period.end + timedelta(days=1)
    return periods


def period_starting(start: date, *, end_date: date, frequency: str, grace_days: int) -> Period:
    """The reporting period that starts on ``start`` (a period start of the schedule), without
    building the whole schedule: it ends with its calendar month or quarter, or on the
    contract's ``end_date``, and is due ``grace_days`` later."""
    end = min(_period_end(start, frequency), end_date)
    return Period(start=start, end=end, due_date=end + timedelta(days=grace_days))


def is_period(periods: list[Period], period_start: date, period_end: date) -> bool:
    """True when ``period_start``–``period_end`` is exactly one period of the schedule."""
    return any(p.start == period_start and p.end == period_end for p in periods)


def period_state(period: Period, *, received: bool, as_of: date) -> str:
    """The state of one period on ``as_of`` (docs/RULES.md §3), first match wins."""
    if received:
        return PeriodState.RECEIVED
    if period.due_date < as_of:
        return PeriodState.OVERDUE
    if period.due_date <= as_of + timedelta(days=DUE_SOON_DAYS):
        return PeriodState.DUE_SOON
    return PeriodState.UPCOMING


def build_schedule(
    periods: list[Period],
    *,
    reports: Mapping[date, ReportRef],
    as_of: date,
    as_it_stood: bool = False,
) -> list[ScheduleEntry]:
    """The schedule as of ``as_of``; ``reports`` maps a period's start to the report that stands
    for it (:func:`internships.counting.period_report`).

    A period is received when that report counts as reported (with its status now, as the
    engine counts rows); it is late when its report came after the due date. With
    ``as_it_stood``, a report that came after ``as_of`` was still missing then (the annual
    report's view of a past year). A report with no submission day (made by hand, not through
    the services) is received, on time.
    """
    entries = []
    for period in periods:
        report = reports.get(period.start)
        came = report.received_on if report is not None else None
        received = (
            report is not None
            and counts_as_reported(report.status, report.is_correction)
            and not (as_it_stood and came is not None and came > as_of)
        )
        entries.append(
            ScheduleEntry(
                period_start=period.start,
                period_end=period.end,
                due_date=period.due_date,
                state=period_state(period, received=received, as_of=as_of),
                report=report.id if report else None,
                received_on=came if received else None,
                late=received and came is not None and came > period.due_date,
            )
        )
    return entries
