"""Tests of the reporting schedule (docs/RULES.md §3): pure functions over dates, no database."""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contracts.choices import PeriodState, ReportingFrequency
from contracts.schedule import (
    DUE_SOON_DAYS,
    Period,
    ReportRef,
    ScheduleEntry,
    build_schedule,
    is_period,
    period_state,
    reporting_periods,
)
from internships.choices import ReportStatus

MONTHLY = ReportingFrequency.MONTHLY.value
QUARTERLY = ReportingFrequency.QUARTERLY.value


def spans(
    start: date, end: date, frequency: str = MONTHLY, grace_days: int = 10
) -> list[tuple[date, date]]:
    """The periods of a contract as (start, end) pairs."""
    periods = reporting_periods(
        start_date=start, end_date=end, frequency=frequency, grace_days=grace_days
    )
    return [(p.start, p.end) for p in periods]


def period(end: date, *, grace_days: int = 10) -> Period:
    """A one-month period ending on ``end`` whose report is due ``grace_days`` later."""
    return Period(start=end.replace(day=1), end=end, due_date=end + timedelta(days=grace_days))


# --- Monthly contracts -------------------------------------------------------------------------


def test_monthly_contract_from_first_of_month_has_one_period_per_calendar_month() -> None:
    assert spans(date(2024, 1, 1), date(2024, 4, 30)) == [
        (date(2024, 1, 1), date(2024, 1, 31)),
        (date(2024, 2, 1), date(2024, 2, 29)),
        (date(2024, 3, 1), date(2024, 3, 31)),
        (date(2024, 4, 1), date(2024, 4, 30)),
    ]


def test_monthly_contract_starting_mid_month_has_a_short_first_period() -> None:
    assert spans(date(2024, 3, 15), date(2024, 5, 31))[0] == (date(2024, 3, 15), date(2024, 3, 31))


def test_monthly_contract_starting_on_last_day_of_month_has_a_one_day_first_period() -> None:
    assert spans(date(2024, 1, 31), date(2024, 3, 31)) == [
        (date(2024, 1, 31), date(2024, 1, 31)),
        (date(2024, 2, 1), date(2024, 2, 29)),
        (date(2024, 3, 1), date(2024, 3, 31)),
    ]


def test_contract_ending_mid_month_has_a_short_last_period_ending_on_the_end_date() -> None:
    assert spans(date(2024, 1, 1), date(2024, 3, 14))[-1] == (date(2024, 3, 1), date(2024, 3, 14))


def test_monthly_contract_crossing_a_year_end_starts_a_new_year_in_january() -> None:
    assert spans(date(2024, 11, 20), date(2025, 1, 31)) == [
        (date(2024, 11, 20), date(2024, 11, 30)),
        (date(2024, 12, 1), date(2024, 12, 31)),
        (date(2025, 1, 1), date(2025, 1, 31)),
    ]


# --- Quarterly contracts -----------------------------------------------------------------------


def test_quarterly_contract_from_first_of_quarter_has_one_period_per_calendar_quarter() -> None:
    assert spans(date(2024, 1, 1), date(2024, 12, 31), QUARTERLY) == [
        (date(2024, 1, 1), date(2024, 3, 31)),
        (date(2024, 4, 1), date(2024, 6, 30)),
        (date(2024, 7, 1), date(2024, 9, 30)),
        (date(2024, 10, 1), date(2024, 12, 31)),
    ]


@pytest.mark.parametrize(
    ("start", "first_end"),
    [
        (date(2024, 1, 1), date(2024, 3, 31)),
        (date(2024, 2, 15), date(2024, 3, 31)),
        (date(2024, 3, 1), date(2024, 3, 31)),
        (date(2024, 5, 31), date(2024, 6, 30)),
        (date(2024, 8, 1), date(2024, 9, 30)),
        (date(2024, 11, 30), date(2024, 12, 31)),
    ],
)
def test_quarterly_first_period_ends_at_the_end_of_the_starting_calendar_quarter(
    start: date, first_end: date
) -> None:
    assert spans(start, date(2026, 12, 31), QUARTERLY)[0] == (start, first_end)


def test_quarterly_contract_starting_on_last_day_of_quarter_has_a_one_day_first_period() -> None:
    assert spans(date(2024, 3, 31), date(2024, 9, 30), QUARTERLY) == [
        (date(2024, 3, 31), date(2024, 3, 31)),
        (date(2024, 4, 1), date(2024, 6, 30)),
        (date(2024, 7, 1), date(2024, 9, 30)),
    ]


def test_quarterly_contract_ending_mid_month_has_a_short_last_period() -> None:
    assert spans(date(2024, 1, 1), date(2024, 8, 14), QUARTERLY)[-1] == (
        date(2024, 7, 1),
        date(2024, 8, 14),
    )


# --- Leap years --------------------------------------------------------------------------------


def test_february_period_of_a_leap_year_ends_on_the_29th() -> None:
    assert spans(date(2024, 1, 15), date(2024, 3, 31))[1] == (date(2024, 2, 1), date(2024, 2, 29))


def test_february_period_of_a_common_year_ends_on_the_28th() -> None:
    assert spans(date(2025, 1, 15), date(2025, 3, 31))[1] == (date(2025, 2, 1), date(2025, 2, 28))


def test_leap_day_period_end_is_due_grace_days_later_in_march() -> None:
    periods = reporting_periods(
        start_date=date(2024, 2, 1), end_date=date(2024, 5, 31), frequency=MONTHLY, grace_days=10
    )
    assert periods[0].end == date(2024, 2, 29)
    assert periods[0].due_date == date(2024, 3, 10)


def test_contract_ending_on_a_leap_day_has_a_last_period_ending_feb_29() -> None:
    assert spans(date(2023, 11, 1), date(2024, 2, 29), QUARTERLY) == [
        (date(2023, 11, 1), date(2023, 12, 31)),
        (date(2024, 1, 1), date(2024, 2, 29)),
    ]


def test_contract_starting_on_a_leap_day_runs_to_the_end_of_that_february() -> None:
    assert spans(date(2024, 2, 29), date(2024, 4, 30))[0] == (date(2024, 2, 29), date(2024, 2, 29))


# --- One-period and very short contracts -------------------------------------------------------


def test_contract_within_one_month_has_a_single_monthly_period_from_start_to_end() -> None:
    assert spans(date(2024, 5, 3), date(2024, 5, 20)) == [(date(2024, 5, 3), date(2024, 5, 20))]


def test_contract_within_one_quarter_has_a_single_quarterly_period_from_start_to_end() -> None:
    assert spans(date(2024, 4, 2), date(2024, 6, 29), QUARTERLY) == [
        (date(2024, 4, 2), date(2024, 6, 29))
    ]


@pytest.mark.parametrize("frequency", [MONTHLY, QUARTERLY])
def test_two_day_contract_within_a_month_has_one_period(frequency: str) -> None:
    assert spans(date(2024, 12, 30), date(2024, 12, 31), frequency) == [
        (date(2024, 12, 30), date(2024, 12, 31))
    ]


def test_two_day_monthly_contract_across_a_month_end_has_two_one_day_periods() -> None:
    assert spans(date(2024, 1, 31), date(2024, 2, 1)) == [
        (date(2024, 1, 31), date(2024, 1, 31)),
        (date(2024, 2, 1), date(2024, 2, 1)),
    ]


def test_two_day_quarterly_contract_within_one_quarter_across_a_month_end_has_one_period() -> None:
    assert spans(date(2024, 1, 31), date(2024, 2, 1), QUARTERLY) == [
        (date(2024, 1, 31), date(2024, 2, 1))
    ]


def test_two_day_quarterly_contract_across_a_quarter_end_has_two_one_day_periods() -> None:
    assert spans(date(2024, 3, 31), date(2024, 4, 1), QUARTERLY) == [
        (date(2024, 3, 31), date(2024, 3, 31)),
        (date(2024, 4, 1), date(2024, 4, 1)),
    ]


def test_schedule_of_an_end_date_before_the_start_date_is_refused() -> None:
    with pytest.raises(ValueError, match="before"):
        spans(date(2024, 5, 2), date(2024, 5, 1))


def test_schedule_of_an_unknown_frequency_is_refused() -> None:
    with pytest.raises(ValueError, match="frequency"):
        spans(date(2024, 1, 1), date(2024, 12, 31), "weekly")


# --- Due dates ---------------------------------------------------------------------------------


def test_each_report_is_due_grace_days_after_its_period_ends() -> None:
    periods = reporting_periods(
        start_date=date(2024, 1, 1), end_date=date(2024, 3, 31), frequency=MONTHLY, grace_days=15
    )
    assert [p.due_date for p in periods] == [
        date(2024, 2, 15),
        date(2024, 3, 15),
        date(2024, 4, 15),
    ]


def test_grace_days_cross_the_year_end_into_january_of_the_next_year() -> None:
    periods = reporting_periods(
        start_date=date(2024, 10, 1),
        end_date=date(2024, 12, 31),
        frequency=QUARTERLY,
        grace_days=10,
    )
    assert periods == [Period(date(2024, 10, 1), date(2024, 12, 31), date(2025, 1, 10))]


def test_zero_grace_days_make_the_report_due_on_the_last_day_of_the_period() -> None:
    periods = reporting_periods(
        start_date=date(2024, 1, 1), end_date=date(2024, 1, 31), frequency=MONTHLY, grace_days=0
    )
    assert periods[0].due_date == date(2024, 1, 31)


def test_last_period_ending_mid_month_is_due_grace_days_after_the_contract_end() -> None:
    periods = reporting_periods(
        start_date=date(2024, 1, 1), end_date=date(2024, 8, 14), frequency=QUARTERLY, grace_days=10
    )
    assert periods[-1].due_date == date(2024, 8, 24)


# --- is_period ---------------------------------------------------------------------------------

SCHEDULE = reporting_periods(
    start_date=date(2024, 1, 15), end_date=date(2024, 12, 31), frequency=QUARTERLY, grace_days=10
)


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (date(2024, 1, 15), date(2024, 3, 31)),
        (date(2024, 4, 1), date(2024, 6, 30)),
        (date(2024, 10, 1), date(2024, 12, 31)),
    ],
)
def test_exact_schedule_period_is_a_period(start: date, end: date) -> None:
    assert is_period(SCHEDULE, start, end)


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (date(2024, 1, 1), date(2024, 3, 31)),  # whole quarter, but the contract starts on the 15th
        (date(2024, 1, 16), date(2024, 3, 31)),  # start a day late
        (date(2024, 1, 15), date(2024, 3, 30)),  # end a day early
        (date(2024, 4, 1), date(2024, 7, 1)),  # end a day late
        (date(2024, 1, 15), date(2024, 6, 30)),  # two periods together
        (date(2024, 4, 1), date(2024, 4, 30)),  # one month of a quarterly schedule
        (date(2024, 3, 31), date(2024, 1, 15)),  # reversed
    ],
)
def test_span_that_is_not_exactly_one_schedule_period_is_not_a_period(
    start: date, end: date
) -> None:
    assert not is_period(SCHEDULE, start, end)


def test_nothing_is_a_period_of_an_empty_schedule() -> None:
    assert not is_period([], date(2024, 1, 1), date(2024, 1, 31))


# --- period_state ------------------------------------------------------------------------------

DUE = date(2024, 2, 10)
JANUARY = period(date(2024, 1, 31))  # due 2024-02-10


def test_due_soon_window_is_seven_days() -> None:
    assert DUE_SOON_DAYS == 7


def test_period_is_overdue_the_day_after_its_due_date() -> None:
    assert period_state(JANUARY, received=False, as_of=DUE + timedelta(days=1)) == "overdue"


def test_period_is_overdue_long_after_its_due_date() -> None:
    assert period_state(JANUARY, received=False, as_of=date(2025, 6, 1)) == PeriodState.OVERDUE


def test_period_due_today_is_due_soon_not_overdue() -> None:
    assert period_state(JANUARY, received=False, as_of=DUE) == "due_soon"


def test_period_due_in_exactly_seven_days_is_due_soon() -> None:
    as_of = DUE - timedelta(days=DUE_SOON_DAYS)
    assert period_state(JANUARY, received=False, as_of=as_of) == PeriodState.DUE_SOON


def test_period_due_in_eight_days_is_upcoming() -> None:
    as_of = DUE - timedelta(days=DUE_SOON_DAYS + 1)
    assert period_state(JANUARY, received=False, as_of=as_of) == "upcoming"


def test_period_that_has_not_started_yet_is_upcoming() -> None:
    assert period_state(JANUARY, received=False, as_of=date(2023, 12, 1)) == PeriodState.UPCOMING


@pytest.mark.parametrize(
    "as_of",
    [
        date(2023, 12, 1),  # would be upcoming
        DUE - timedelta(days=3),  # would be due soon
        DUE,  # would be due soon
        DUE + timedelta(days=1),  # would be overdue
        date(2030, 1, 1),  # would be overdue
    ],
)
def test_received_period_is_received_whatever_the_date(as_of: date) -> None:
    assert period_state(JANUARY, received=True, as_of=as_of) == "received"


def test_due_soon_boundary_crosses_a_year_end() -> None:
    december = period(date(2024, 12, 31))  # due 2025-01-10
    assert period_state(december, received=False, as_of=date(2025, 1, 3)) == "due_soon"
    assert period_state(december, received=False, as_of=date(2025, 1, 2)) == "upcoming"
    assert period_state(december, received=False, as_of=date(2025, 1, 11)) == "overdue"


# --- build_schedule ----------------------------------------------------------------------------

PERIODS = reporting_periods(
    start_date=date(2024, 1, 1), end_date=date(2024, 4, 30), frequency=MONTHLY, grace_days=10
)
# As of 2024-03-05: January (due Feb 10) and February (due Mar 10) are past or near their due date.
AS_OF = date(2024, 3, 5)


def test_schedule_lists_every_period_with_its_dates_in_order() -> None:
    entries = build_schedule(PERIODS, reports={}, as_of=AS_OF)
    assert [(e.period_start, e.period_end, e.due_date) for e in entries] == [
        (date(2024, 1, 1), date(2024, 1, 31), date(2024, 2, 10)),
        (date(2024, 2, 1), date(2024, 2, 29), date(2024, 3, 10)),
        (date(2024, 3, 1), date(2024, 3, 31), date(2024, 4, 10)),
        (date(2024, 4, 1), date(2024, 4, 30), date(2024, 5, 10)),
    ]


def test_schedule_without_reports_is_overdue_due_soon_and_upcoming_with_no_report() -> None:
    entries = build_schedule(PERIODS, reports={}, as_of=AS_OF)
    assert [e.state for e in entries] == ["overdue", "due_soon", "upcoming", "upcoming"]
    assert [e.report for e in entries] == [None, None, None, None]


@pytest.mark.parametrize("status", [ReportStatus.SUBMITTED.value, ReportStatus.APPROVED.value])
def test_submitted_or_approved_report_makes_an_overdue_period_received(status: str) -> None:
    entries = build_schedule(
        PERIODS, reports={date(2024, 1, 1): ReportRef(id=41, status=status)}, as_of=AS_OF
    )
    assert entries[0] == ScheduleEntry(
        period_start=date(2024, 1, 1),
        period_end=date(2024, 1, 31),
        due_date=date(2024, 2, 10),
        state="received",
        report=41,
        received_on=None,
        late=False,
    )


@pytest.mark.parametrize("status", [ReportStatus.SUBMITTED.value, ReportStatus.APPROVED.value])
def test_report_received_before_the_period_ends_makes_it_received_not_upcoming(
    status: str,
) -> None:
    entries = build_schedule(
        PERIODS, reports={date(2024, 4, 1): ReportRef(id=7, status=status)}, as_of=AS_OF
    )
    assert (entries[3].state, entries[3].report) == ("received", 7)


@pytest.mark.parametrize("status", [ReportStatus.DRAFT.value, ReportStatus.REJECTED.value])
def test_draft_or_rejected_report_leaves_the_period_overdue_but_is_linked(status: str) -> None:
    entries = build_schedule(
        PERIODS, reports={date(2024, 1, 1): ReportRef(id=12, status=status)}, as_of=AS_OF
    )
    assert (entries[0].state, entries[0].report) == ("overdue", 12)


@pytest.mark.parametrize("status", [ReportStatus.DRAFT.value, ReportStatus.REJECTED.value])
def test_draft_or_rejected_report_leaves_the_period_due_soon(status: str) -> None:
    entries = build_schedule(
        PERIODS, reports={date(2024, 2, 1): ReportRef(id=13, status=status)}, as_of=AS_OF
    )
    assert (entries[1].state, entries[1].report) == ("due_soon", 13)


def test_each_report_is_matched_to_the_period_starting_on_its_key() -> None:
    reports = {
        date(2024, 1, 1): ReportRef(id=1, status=ReportStatus.APPROVED.value),
        date(2024, 2, 1): ReportRef(id=2, status=ReportStatus.DRAFT.value),
        date(2024, 3, 1): ReportRef(id=3, status=ReportStatus.SUBMITTED.value),
        date(2023, 12, 1): ReportRef(id=99, status=ReportStatus.APPROVED.value),  # no such period
    }
    entries = build_schedule(PERIODS, reports=reports, as_of=AS_OF)
    assert [(e.state, e.report) for e in entries] == [
        ("received", 1),
        ("due_soon", 2),
        ("received", 3),
        ("upcoming", None),
    ]


def test_a_report_that_came_after_its_due_date_is_received_late_with_its_day() -> None:
    reports = {
        date(2024, 1, 1): ReportRef(id=1, status="approved", received_on=date(2024, 2, 10)),
        date(2024, 2, 1): ReportRef(id=2, status="submitted", received_on=date(2024, 3, 11)),
    }
    entries = build_schedule(PERIODS, reports=reports, as_of=date(2024, 3, 20))
    # January was due Feb 10 and came that day: on time. February was due Mar 10: late.
    assert [(e.state, e.received_on, e.late) for e in entries[:2]] == [
        ("received", date(2024, 2, 10), False),
        ("received", date(2024, 3, 11), True),
    ]


def test_a_period_not_received_has_no_day_and_is_not_late() -> None:
    reports = {date(2024, 1, 1): ReportRef(id=1, status="rejected", received_on=None)}
    entry = build_schedule(PERIODS, reports=reports, as_of=AS_OF)[0]
    assert (entry.state, entry.received_on, entry.late) == ("overdue", None, False)


def test_a_pending_correction_does_not_make_its_period_received_but_an_approved_one_does() -> None:
    pending = ReportRef(id=5, status="submitted", is_correction=True, received_on=date(2024, 2, 1))
    approved = ReportRef(id=5, status="approved", is_correction=True, received_on=date(2024, 2, 1))
    assert build_schedule(PERIODS, reports={date(2024, 1, 1): pending}, as_of=AS_OF)[0].state == (
        "overdue"
    )
    entry = build_schedule(PERIODS, reports={date(2024, 1, 1): approved}, as_of=AS_OF)[0]
    assert (entry.state, entry.late) == ("received", False)


def test_as_it_stood_a_report_that_came_after_as_of_was_still_missing() -> None:
    late = {date(2024, 1, 1): ReportRef(id=1, status="approved", received_on=date(2024, 3, 1))}
    now = build_schedule(PERIODS, reports=late, as_of=date(2024, 2, 20))[0]
    then = build_schedule(PERIODS, reports=late, as_of=date(2024, 2, 20), as_it_stood=True)[0]
    assert (now.state, now.late) == ("received", True)
    assert (then.state, then.received_on) == ("overdue", None)


def test_schedule_state_moves_with_as_of() -> None:
    february = [
        build_schedule(PERIODS, reports={}, as_of=d)[1].state
        for d in (
            date(2024, 3, 2),  # due in 8 days
            date(2024, 3, 3),  # due in 7 days
            date(2024, 3, 10),  # due today
            date(2024, 3, 11),  # due yesterday
        )
    ]
    assert february == ["upcoming", "due_soon", "due_soon", "overdue"]


def test_schedule_of_no_periods_is_empty() -> None:
    assert build_schedule([], reports={}, as_of=AS_OF) == []


# --- Properties --------------------------------------------------------------------------------


def _last_day_of_quarter(day: date) -> date:
    month = ((day.month - 1) // 3 + 1) * 3
    return date(day.year, month, calendar.monthrange(day.year, month)[1])


@settings(max_examples=300, deadline=None)
@given(
    first=st.dates(min_value=date(2000, 1, 1), max_value=date(2040, 12, 31)),
    second=st.dates(min_value=date(2000, 1, 1), max_value=date(2040, 12, 31)),
    frequency=st.sampled_from([MONTHLY, QUARTERLY]),
    grace_days=st.integers(min_value=0, max_value=365),
)
def test_periods_are_contiguous_non_overlapping_and_cover_exactly_the_contract(
    first: date, second: date, frequency: str, grace_days: int
) -> None:
    start, end = min(first, second), max(first, second)
    periods = reporting_periods(
        start_date=start, end_date=end, frequency=frequency, grace_days=grace_days
    )

    assert periods[0].start == start
    assert periods[-1].end == end
    for earlier, later in pairwise(periods):
        assert later.start == earlier.end + timedelta(days=1)
    assert sum((p.end - p.start).days + 1 for p in periods) == (end - start).days + 1
    for p in periods:
        assert p.start <= p.end
        assert p.due_date == p.end + timedelta(days=grace_days)
        assert is_period(periods, p.start, p.end)
        if frequency == MONTHLY:
            assert (p.start.year, p.start.month) == (p.end.year, p.end.month)
            calendar_end = p.start.replace(day=calendar.monthrange(p.end.year, p.end.month)[1])
        else:
            calendar_end = _last_day_of_quarter(p.start)
            assert _last_day_of_quarter(p.end) == calendar_end
        # Every period but the last runs to the end of its calendar month or quarter.
        assert p.end == (min(calendar_end, end))
    for p in periods[1:]:
        assert p.start.day == 1
        if frequency == QUARTERLY:
            assert p.start.month in (1, 4, 7, 10)
