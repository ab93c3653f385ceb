"""Tests of the compliance engine (docs/RULES.md §1–§2): pure functions, no database needed."""

from dataclasses import replace
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Context, Decimal
from fractions import Fraction

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from contracts.choices import ClauseStatus, Metric
from contracts.compliance import (
    ClauseTerms,
    Evaluation,
    RowFact,
    RowReason,
    _round_to_ore,
    clause_status,
    evaluate_clause,
    evaluate_totals,
    evaluation_window,
    expected_to_date,
    metric_total,
    overlap_days,
    penalty_sek,
    projected_total,
    row_verdicts,
    target_forecast,
)
from internships.choices import EmploymentType, ReportStatus, Verification
from internships.counting import REPORTED, VERIFIED

SUBMITTED = ReportStatus.SUBMITTED.value
APPROVED = ReportStatus.APPROVED.value
DRAFT = ReportStatus.DRAFT.value
REJECTED = ReportStatus.REJECTED.value
SUPERSEDED = ReportStatus.SUPERSEDED.value

START = date(2024, 1, 1)
DUE = date(2024, 12, 31)  # 365 days after START (2024 is a leap year)


def make_terms(**overrides: object) -> ClauseTerms:
    """A clause over 2024 measuring placement weeks, with the model defaults otherwise."""
    values: dict[str, object] = {
        "metric": Metric.PLACEMENT_WEEKS.value,
        "target": Decimal(10),
        "start_date": START,
        "due_date": DUE,
    }
    values.update(overrides)
    return ClauseTerms(**values)  # type: ignore[arg-type]


def make_row(
    start: date,
    end: date | None = None,
    *,
    ref: str = "P1",
    group: str = "youth",
    hours: str = "0",
    status: str = APPROVED,
    correction: bool = False,
) -> RowFact:
    return RowFact(
        participant_ref=ref,
        target_group=group,
        start_date=start,
        end_date=start if end is None else end,
        hours=Decimal(hours),
        report_status=status,
        is_correction=correction,
    )


def reported_total(terms: ClauseTerms, rows: list[RowFact], as_of: date) -> Fraction:
    return metric_total(terms, rows, as_of, REPORTED)


# --- The worked example of docs/RULES.md §2.6 -----------------------------------------------


def test_worked_example_from_the_design_is_at_risk_with_shortfall_0_99() -> None:
    terms = ClauseTerms(
        metric=Metric.PLACEMENTS.value,
        target=Decimal(10),
        start_date=date(2019, 1, 1),
        due_date=date(2020, 12, 31),
        min_placement_weeks=Decimal(4),
        tolerance_pct=Decimal(20),
    )
    four_weeks = (date(2019, 3, 1), date(2019, 3, 28))
    rows = [
        make_row(*four_weeks, ref="A", status=SUBMITTED),
        make_row(*four_weeks, ref="B", status=APPROVED),
        # C reaches 4 weeks only with rows from two reports together.
        make_row(date(2019, 2, 1), date(2019, 2, 14), ref="C", status=SUBMITTED),
        make_row(date(2019, 5, 1), date(2019, 5, 14), ref="C", status=APPROVED),
        make_row(date(2019, 6, 1), date(2019, 8, 31), ref="D", status=APPROVED),
        make_row(date(2019, 9, 1), date(2019, 9, 21), ref="E", status=APPROVED),  # 3 weeks
        make_row(date(2019, 10, 1), date(2019, 10, 31), ref="E", status=DRAFT),
    ]

    evaluation = evaluate_clause(terms, rows, date(2019, 12, 31))

    assert expected_to_date(terms, date(2019, 12, 31)) == Fraction(10 * 364, 730)
    assert evaluation == Evaluation(
        as_of=date(2019, 12, 31),
        metric="placements",
        target=Decimal("10.00"),
        expected=Decimal("4.99"),
        reported=Decimal("4.00"),
        verified=Decimal("2.00"),  # B and D; C's approved row alone is only 2 weeks
        shortfall=Decimal("0.99"),
        status=ClauseStatus.AT_RISK.value,
        projected_total=Decimal("8.02"),  # 4 x 730 / 364
        penalty_sek=Decimal("0.00"),
        forecast="late",  # 10 at 4 per 364 days: day 910 of 730
        forecast_date=None,
    )


# --- Window --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("as_of", "window"),
    [
        (START - timedelta(days=1), None),
        (START, (START, START)),
        (date(2024, 6, 30), (START, date(2024, 6, 30))),
        (DUE, (START, DUE)),
        (DUE + timedelta(days=1), (START, DUE)),
        (date(2030, 1, 1), (START, DUE)),
    ],
    ids=["before-start", "on-start", "inside", "on-due", "day-after-due", "long-after-due"],
)
def test_window_runs_from_start_to_the_earlier_of_due_date_and_as_of(
    as_of: date, window: tuple[date, date] | None
) -> None:
    assert evaluation_window(make_terms(), as_of) == window


@pytest.mark.parametrize(
    ("row", "expected_days"),
    [
        ((date(2024, 2, 1), date(2024, 2, 10)), 10),  # inside
        ((date(2023, 12, 25), date(2024, 1, 7)), 7),  # straddles the window start
        ((date(2024, 3, 25), date(2024, 4, 7)), 7),  # straddles the window end
        ((date(2023, 12, 1), date(2024, 5, 1)), 91),  # covers the whole window
        ((date(2024, 2, 1), date(2024, 2, 1)), 1),  # one-day row inside
        ((date(2024, 1, 1), date(2024, 1, 1)), 1),  # one-day row on the first day
        ((date(2024, 3, 31), date(2024, 3, 31)), 1),  # one-day row on the last day
        ((date(2023, 12, 1), date(2023, 12, 31)), 0),  # ends the day before the window
        ((date(2024, 4, 1), date(2024, 4, 30)), 0),  # starts the day after the window
        ((date(2020, 1, 1), date(2020, 1, 2)), 0),  # far before
    ],
)
def test_overlap_days_counts_inclusive_days_inside_the_window(
    row: tuple[date, date], expected_days: int
) -> None:
    assert overlap_days(*row, date(2024, 1, 1), date(2024, 3, 31)) == expected_days


def test_terms_with_due_date_not_after_start_are_rejected() -> None:
    with pytest.raises(ValueError, match="due_date"):
        make_terms(due_date=START)


def test_row_ending_before_it_starts_is_rejected() -> None:
    with pytest.raises(ValueError, match="end_date"):
        make_row(date(2024, 2, 2), date(2024, 2, 1))


# --- Metric totals -------------------------------------------------------------------------------


def test_nothing_counts_before_the_clause_starts() -> None:
    terms = make_terms()
    rows = [make_row(date(2023, 12, 1), date(2023, 12, 31))]
    assert reported_total(terms, rows, START - timedelta(days=1)) == 0


def test_on_the_start_date_only_that_day_counts() -> None:
    terms = make_terms()
    rows = [make_row(date(2023, 12, 1), date(2024, 1, 31))]
    assert reported_total(terms, rows, START) == Fraction(1, 7)


def test_row_straddling_the_window_start_counts_only_its_days_from_the_start() -> None:
    terms = make_terms()
    rows = [make_row(date(2023, 12, 18), date(2024, 1, 14))]  # 14 of its 28 days inside
    assert reported_total(terms, rows, date(2024, 6, 1)) == 2


def test_row_straddling_as_of_counts_only_its_days_up_to_as_of() -> None:
    terms = make_terms()
    rows = [make_row(date(2024, 3, 1), date(2024, 3, 31))]
    assert reported_total(terms, rows, date(2024, 3, 14)) == 2


def test_row_straddling_the_due_date_counts_only_its_days_up_to_the_due_date() -> None:
    terms = make_terms()
    rows = [make_row(date(2024, 12, 25), date(2025, 1, 31))]
    assert reported_total(terms, rows, date(2025, 6, 1)) == 1


def test_rows_entirely_outside_the_window_count_nothing() -> None:
    terms = make_terms()
    rows = [
        make_row(date(2023, 1, 1), date(2023, 12, 31)),
        make_row(date(2024, 7, 2), date(2024, 7, 31)),  # after as_of
        make_row(date(2025, 1, 1), date(2025, 2, 1)),  # after the due date
    ]
    assert reported_total(terms, rows, date(2024, 7, 1)) == 0


def test_one_day_row_counts_one_seventh_of_a_week() -> None:
    terms = make_terms()
    assert reported_total(terms, [make_row(date(2024, 5, 5))], DUE) == Fraction(1, 7)


def test_seven_one_day_rows_make_exactly_one_week() -> None:
    terms = make_terms(target=Decimal(1))
    rows = [make_row(date(2024, 5, day), ref=f"P{day}") for day in range(1, 8)]
    evaluation = evaluate_clause(terms, rows, date(2024, 5, 7))
    assert reported_total(terms, rows, DUE) == 1
    assert evaluation.status == ClauseStatus.MET.value


def test_placement_weeks_add_up_across_participants_and_rows() -> None:
    terms = make_terms()
    rows = [
        make_row(date(2024, 2, 1), date(2024, 2, 14), ref="P1"),
        make_row(date(2024, 3, 1), date(2024, 3, 7), ref="P1"),
        make_row(date(2024, 2, 1), date(2024, 2, 21), ref="P2", status=SUBMITTED),
    ]
    assert reported_total(terms, rows, DUE) == 6


def test_hours_of_a_row_inside_the_window_count_in_full() -> None:
    terms = make_terms(metric=Metric.HOURS.value)
    rows = [make_row(date(2024, 2, 1), date(2024, 2, 7), hours="37.5")]
    assert reported_total(terms, rows, DUE) == Fraction(75, 2)


def test_hours_are_pro_rated_by_the_share_of_row_days_inside_the_window() -> None:
    terms = make_terms(metric=Metric.HOURS.value)
    rows = [
        make_row(date(2023, 12, 30), date(2024, 1, 2), hours="40"),  # 2 of 4 days inside
        make_row(date(2024, 3, 1), date(2024, 3, 3), hours="10"),  # 1 of 3 days up to as_of
    ]
    assert reported_total(terms, rows, date(2024, 3, 1)) == 20 + Fraction(10, 3)


def test_hours_of_a_one_day_row_count_in_full() -> None:
    terms = make_terms(metric=Metric.HOURS.value)
    assert reported_total(terms, [make_row(date(2024, 2, 1), hours="7.25")], DUE) == Fraction(
        "7.25"
    )


@pytest.mark.parametrize(
    ("target_groups", "expected_weeks"),
    [
        (frozenset(), 3),
        (frozenset({"youth"}), 1),
        (frozenset({"youth", "newly_arrived"}), 2),
        (frozenset({"disability"}), 0),
    ],
    ids=["empty-means-all", "one-group", "two-groups", "no-matching-group"],
)
def test_only_rows_of_the_clauses_target_groups_count(
    target_groups: frozenset[str], expected_weeks: int
) -> None:
    terms = make_terms(target_groups=target_groups)
    rows = [
        make_row(date(2024, 2, 1), date(2024, 2, 7), group="youth"),
        make_row(date(2024, 2, 1), date(2024, 2, 7), group="newly_arrived"),
        make_row(date(2024, 2, 1), date(2024, 2, 7), group="foreign_born_women"),
    ]
    assert reported_total(terms, rows, DUE) == expected_weeks


@pytest.mark.parametrize("metric", [m.value for m in Metric])
def test_rejected_and_draft_rows_are_ignored(metric: str) -> None:
    terms = make_terms(metric=metric)
    rows = [
        make_row(date(2024, 2, 1), date(2024, 2, 28), hours="100", status=DRAFT),
        make_row(date(2024, 2, 1), date(2024, 2, 28), hours="100", status=REJECTED),
    ]
    evaluation = evaluate_clause(terms, rows, DUE)
    assert evaluation.reported == 0
    assert evaluation.verified == 0


def test_submitted_rows_count_as_reported_and_only_approved_rows_as_verified() -> None:
    terms = make_terms()
    rows = [
        make_row(date(2024, 2, 1), date(2024, 2, 14), status=SUBMITTED),
        make_row(date(2024, 3, 1), date(2024, 3, 7), status=APPROVED),
    ]
    assert metric_total(terms, rows, DUE, REPORTED) == 3
    assert metric_total(terms, rows, DUE, VERIFIED) == 1
    evaluation = evaluate_clause(terms, rows, DUE)
    assert (evaluation.reported, evaluation.verified) == (Decimal("3.00"), Decimal("1.00"))


def test_a_correction_counts_only_once_approved_and_a_superseded_report_never() -> None:
    terms = make_terms()
    original = make_row(date(2024, 2, 1), date(2024, 2, 14), status=APPROVED)  # 2 weeks
    pending = make_row(date(2024, 2, 1), date(2024, 2, 28), status=SUBMITTED, correction=True)
    # While the correction waits, the approved original still counts and the correction not.
    assert metric_total(terms, [original, pending], DUE, REPORTED) == 2
    assert metric_total(terms, [original, pending], DUE, VERIFIED) == 2
    # Approved, the correction replaces the original, which is superseded.
    superseded = make_row(date(2024, 2, 1), date(2024, 2, 14), status=SUPERSEDED)
    approved = make_row(date(2024, 2, 1), date(2024, 2, 28), status=APPROVED, correction=True)
    assert metric_total(terms, [superseded, approved], DUE, REPORTED) == 4
    assert metric_total(terms, [superseded, approved], DUE, VERIFIED) == 4
    # A rejected correction never counts.
    rejected = make_row(date(2024, 2, 1), date(2024, 2, 28), status=REJECTED, correction=True)
    assert metric_total(terms, [original, rejected], DUE, REPORTED) == 2


def test_placements_count_distinct_participants_not_rows() -> None:
    terms = make_terms(metric=Metric.PLACEMENTS.value)
    rows = [
        make_row(date(2024, 2, 1), date(2024, 2, 7), ref="P1"),
        make_row(date(2024, 3, 1), date(2024, 3, 7), ref="P1"),
        make_row(date(2024, 4, 1), date(2024, 4, 7), ref="P1", status=SUBMITTED),
        make_row(date(2024, 2, 1), date(2024, 2, 7), ref="P2"),
    ]
    assert reported_total(terms, rows, DUE) == 2


def test_min_placement_weeks_is_met_by_weeks_summed_across_rows_and_reports() -> None:
    terms = make_terms(metric=Metric.PLACEMENTS.value, min_placement_weeks=Decimal(4))
    rows = [
        # P1: 2 + 1 + 1 weeks in three reports, two of them still only submitted.
        make_row(date(2024, 2, 1), date(2024, 2, 14), ref="P1", status=APPROVED),
        make_row(date(2024, 3, 1), date(2024, 3, 7), ref="P1", status=SUBMITTED),
        make_row(date(2024, 4, 1), date(2024, 4, 7), ref="P1", status=SUBMITTED),
        # P2: 3 weeks plus a rejected week that must not help.
        make_row(date(2024, 2, 1), date(2024, 2, 21), ref="P2"),
        make_row(date(2024, 3, 1), date(2024, 3, 7), ref="P2", status=REJECTED),
    ]
    assert metric_total(terms, rows, DUE, REPORTED) == 1
    # Verified looks at approved weeks only, where P1 has just 2.
    assert metric_total(terms, rows, DUE, VERIFIED) == 0


@pytest.mark.parametrize(
    ("days", "counts"),
    [(27, False), (28, True), (29, True)],
    ids=["a-day-short", "exactly-four-weeks", "a-day-more"],
)
def test_placement_counts_from_exactly_the_minimum_weeks(days: int, counts: bool) -> None:
    terms = make_terms(metric=Metric.PLACEMENTS.value, min_placement_weeks=Decimal(4))
    row = make_row(date(2024, 2, 1), date(2024, 2, 1) + timedelta(days=days - 1))
    assert reported_total(terms, [row], DUE) == (1 if counts else 0)


def test_min_placement_weeks_counts_only_weeks_inside_the_window() -> None:
    terms = make_terms(metric=Metric.PLACEMENTS.value, min_placement_weeks=Decimal(2))
    row = make_row(date(2023, 12, 4), date(2024, 1, 7))  # 5 weeks, but only 1 inside
    assert reported_total(terms, [row], DUE) == 0


def test_participant_without_days_in_the_window_is_no_placement_even_without_minimum() -> None:
    terms = make_terms(metric=Metric.PLACEMENTS.value, min_placement_weeks=Decimal(0))
    rows = [make_row(date(2023, 6, 1), date(2023, 6, 30), ref="P1"), make_row(START, ref="P2")]
    assert reported_total(terms, rows, DUE) == 1


def test_placements_count_only_weeks_of_the_clauses_target_groups() -> None:
    terms = make_terms(
        metric=Metric.PLACEMENTS.value,
        min_placement_weeks=Decimal(2),
        target_groups=frozenset({"youth"}),
    )
    rows = [
        make_row(date(2024, 2, 1), date(2024, 2, 7), ref="P1", group="youth"),
        make_row(date(2024, 3, 1), date(2024, 3, 7), ref="P1", group="other"),
    ]
    assert reported_total(terms, rows, DUE) == 0


@pytest.mark.parametrize("as_of", [START - timedelta(days=1), DUE])
def test_unknown_metric_is_an_error(as_of: date) -> None:
    with pytest.raises(ValueError, match="Unknown metric"):
        reported_total(make_terms(metric="smiles"), [make_row(START)], as_of)


def test_evaluate_clause_accepts_a_one_shot_iterator_of_rows() -> None:
    rows = [make_row(date(2024, 2, 1), date(2024, 2, 7))]
    evaluation = evaluate_clause(make_terms(), iter(rows), DUE)
    assert (evaluation.reported, evaluation.verified) == (Decimal("1.00"), Decimal("1.00"))


# --- Expected to date ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [
        (date(2023, 12, 31), Fraction(0)),
        (START, Fraction(0)),
        (date(2024, 1, 2), Fraction(10, 365)),
        (date(2024, 7, 1), Fraction(10 * 182, 365)),
        (DUE, Fraction(10)),
        (date(2025, 3, 1), Fraction(10)),
    ],
    ids=["before-start", "on-start", "day-after-start", "mid-year", "on-due", "after-due"],
)
def test_expected_without_milestones_grows_linearly_by_day(as_of: date, expected: Fraction) -> None:
    assert expected_to_date(make_terms(), as_of) == expected


MILESTONES = (
    (date(2024, 3, 31), Decimal(2)),
    (date(2024, 6, 30), Decimal("4.5")),
    (date(2024, 9, 30), Decimal(7)),
)


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [
        (date(2023, 12, 1), Fraction(0)),
        (START, Fraction(0)),
        (date(2024, 3, 30), Fraction(0)),
        (date(2024, 3, 31), Fraction(2)),
        (date(2024, 5, 15), Fraction(2)),
        (date(2024, 6, 30), Fraction(9, 2)),
        (date(2024, 9, 30), Fraction(7)),
        (date(2024, 12, 30), Fraction(7)),
        (DUE, Fraction(10)),
        (date(2025, 6, 1), Fraction(10)),
    ],
    ids=[
        "before-start",
        "on-start",
        "day-before-first",
        "on-first",
        "between-first-and-second",
        "on-second",
        "on-last",
        "after-last-before-due",
        "on-due",
        "after-due",
    ],
)
def test_expected_with_milestones_steps_to_the_last_milestone_reached(
    as_of: date, expected: Fraction
) -> None:
    assert expected_to_date(make_terms(milestones=MILESTONES), as_of) == expected


def test_milestone_on_the_due_date_is_superseded_by_the_target() -> None:
    terms = make_terms(milestones=((date(2024, 6, 30), Decimal(3)), (DUE, Decimal(8))))
    assert expected_to_date(terms, DUE) == 10


# --- Status ladder -------------------------------------------------------------------------------

MID_YEAR = date(2024, 7, 1)


@pytest.mark.parametrize(
    ("reported", "expected", "as_of", "status"),
    [
        # met wins over everything, including a passed due date
        (Fraction(10), Fraction(10), MID_YEAR, ClauseStatus.MET),
        (Fraction(11), Fraction(10), DUE + timedelta(days=1), ClauseStatus.MET),
        (Fraction(10), Fraction(10), DUE, ClauseStatus.MET),
        # breached only once the due date has passed
        (Fraction(9), Fraction(10), DUE + timedelta(days=1), ClauseStatus.BREACHED),
        (Fraction(0), Fraction(10), date(2030, 1, 1), ClauseStatus.BREACHED),
        (Fraction(9), Fraction(10), DUE, ClauseStatus.AT_RISK),
        (Fraction(0), Fraction(10), DUE, ClauseStatus.BEHIND),
        # not started before the start date, however far behind
        (Fraction(0), Fraction(0), START - timedelta(days=1), ClauseStatus.NOT_STARTED),
        (Fraction(0), Fraction(5), START - timedelta(days=1), ClauseStatus.NOT_STARTED),
        (Fraction(0), Fraction(0), START, ClauseStatus.ON_TRACK),
        # on track at or above expected
        (Fraction(5), Fraction(5), MID_YEAR, ClauseStatus.ON_TRACK),
        (Fraction(6), Fraction(5), MID_YEAR, ClauseStatus.ON_TRACK),
        # at risk down to expected x (1 - 10 %), behind below that
        (Fraction(5) - Fraction(1, 10**9), Fraction(5), MID_YEAR, ClauseStatus.AT_RISK),
        (Fraction(9, 2), Fraction(5), MID_YEAR, ClauseStatus.AT_RISK),
        (Fraction(9, 2) - Fraction(1, 10**9), Fraction(5), MID_YEAR, ClauseStatus.BEHIND),
        (Fraction(0), Fraction(5), MID_YEAR, ClauseStatus.BEHIND),
    ],
)
def test_status_ladder_first_matching_rule_wins(
    reported: Fraction, expected: Fraction, as_of: date, status: ClauseStatus
) -> None:
    terms = make_terms()
    assert clause_status(terms, reported=reported, expected=expected, as_of=as_of) == status.value


@pytest.mark.parametrize(
    ("reported", "status"),
    [(Fraction(5), ClauseStatus.ON_TRACK), (Fraction(49999, 10000), ClauseStatus.BEHIND)],
)
def test_zero_tolerance_makes_any_shortfall_behind(reported: Fraction, status: str) -> None:
    terms = make_terms(tolerance_pct=Decimal(0))
    result = clause_status(terms, reported=reported, expected=Fraction(5), as_of=MID_YEAR)
    assert result == status


def test_full_tolerance_never_reports_behind() -> None:
    terms = make_terms(tolerance_pct=Decimal(100))
    result = clause_status(terms, reported=Fraction(0), expected=Fraction(5), as_of=MID_YEAR)
    assert result == ClauseStatus.AT_RISK


def test_fractional_tolerance_is_applied_exactly() -> None:
    terms = make_terms(tolerance_pct=Decimal("12.5"))
    at_bound = clause_status(terms, reported=Fraction(7), expected=Fraction(8), as_of=MID_YEAR)
    below = clause_status(
        terms, reported=Fraction(7) - Fraction(1, 10**6), expected=Fraction(8), as_of=MID_YEAR
    )
    assert (at_bound, below) == (ClauseStatus.AT_RISK, ClauseStatus.BEHIND)


def test_status_values_are_plain_strings() -> None:
    status = clause_status(make_terms(), reported=Fraction(0), expected=Fraction(0), as_of=START)
    assert type(status) is str


def test_clause_met_by_submitted_work_is_met_after_due_date_and_owes_no_penalty() -> None:
    terms = make_terms(target=Decimal(2), penalty_per_unit_sek=Decimal(1000))
    rows = [make_row(date(2024, 2, 1), date(2024, 2, 14), status=SUBMITTED)]
    evaluation = evaluate_clause(terms, rows, date(2025, 6, 1))
    assert evaluation.status == ClauseStatus.MET
    assert evaluation.verified == 0
    assert evaluation.penalty_sek == 0


def test_clause_is_not_started_before_its_start_date() -> None:
    evaluation = evaluate_clause(make_terms(), [make_row(date(2023, 12, 1))], date(2023, 12, 31))
    assert evaluation == Evaluation(
        as_of=date(2023, 12, 31),
        metric="placement_weeks",
        target=Decimal("10.00"),
        expected=Decimal("0.00"),
        reported=Decimal("0.00"),
        verified=Decimal("0.00"),
        shortfall=Decimal("0.00"),
        status=ClauseStatus.NOT_STARTED.value,
        projected_total=Decimal("0.00"),
        penalty_sek=Decimal("0.00"),
        forecast="unknown",
        forecast_date=None,
    )


# --- Shortfall, projection, penalty --------------------------------------------------------------


def test_shortfall_is_never_negative_when_ahead_of_expected() -> None:
    rows = [make_row(date(2024, 1, 1), date(2024, 2, 25))]  # 15 days by as_of: 2.14 weeks
    evaluation = evaluate_clause(make_terms(), rows, date(2024, 1, 15))  # expected 0.38
    assert evaluation.status == ClauseStatus.ON_TRACK
    assert evaluation.shortfall == Decimal("0.00")


def test_shortfall_is_rounded_from_the_exact_difference_not_from_rounded_figures() -> None:
    terms = make_terms(start_date=date(2019, 1, 1), due_date=date(2020, 12, 31))
    rows = [make_row(date(2019, 5, day), ref=f"P{day}") for day in range(1, 5)]  # 4/7 week
    evaluation = evaluate_clause(terms, rows, date(2019, 12, 31))
    assert (evaluation.expected, evaluation.reported) == (Decimal("4.99"), Decimal("0.57"))
    # 4.9863... - 0.5714... = 4.4149..., whereas 4.99 - 0.57 would give 4.42
    assert evaluation.shortfall == Decimal("4.41")


def test_output_is_rounded_half_up_to_two_places() -> None:
    # Linear expectation 0.25 x 1/2 = 0.125, exactly halfway between 0.12 and 0.13.
    terms = make_terms(target=Decimal("0.25"), due_date=date(2024, 1, 3))
    evaluation = evaluate_clause(terms, [], date(2024, 1, 2))
    assert evaluation.expected == Decimal("0.13")


def test_every_decimal_in_an_evaluation_has_two_places() -> None:
    terms = make_terms(metric=Metric.HOURS.value, target=Decimal(100))
    rows = [make_row(date(2024, 2, 1), date(2024, 2, 3), hours="10")]
    evaluation = evaluate_clause(terms, rows, date(2024, 2, 2))
    decimal_fields = ("target", "expected", "reported", "verified", "shortfall")
    for field in (*decimal_fields, "projected_total", "penalty_sek"):
        assert getattr(evaluation, field).as_tuple().exponent == -2, field
    assert evaluation.reported == Decimal("6.67")


@pytest.mark.parametrize(
    ("as_of", "projected"),
    [
        (START - timedelta(days=1), Fraction(3)),
        (START, Fraction(3)),
        (date(2024, 1, 2), Fraction(3 * 365)),
        (date(2024, 7, 1), Fraction(3 * 365, 182)),
        (date(2024, 12, 30), Fraction(3 * 365, 364)),
        (DUE, Fraction(3)),
        (date(2025, 1, 1), Fraction(3)),
    ],
    ids=[
        "before-start",
        "on-start",
        "day-after-start",
        "mid-year",
        "day-before-due",
        "on-due",
        "due+1",
    ],
)
def test_projection_extrapolates_the_pace_only_strictly_inside_the_clause_period(
    as_of: date, projected: Fraction
) -> None:
    assert projected_total(make_terms(), reported=Fraction(3), as_of=as_of) == projected


def test_projection_in_an_evaluation_uses_reported_work() -> None:
    rows = [make_row(date(2024, 1, 1), date(2024, 1, 14), status=SUBMITTED)]  # 2 weeks
    evaluation = evaluate_clause(make_terms(), rows, date(2024, 3, 1))  # 60 of 365 days
    assert evaluation.projected_total == Decimal("12.17")  # 2 x 365 / 60


# make_terms(): target 10, 2024-01-01 → 2024-12-31 (365 days).
@pytest.mark.parametrize(
    ("reported", "as_of", "forecast"),
    [
        # 5 in 73 days: 10 after 146 days, on 2024-05-26.
        (Fraction(5), date(2024, 3, 14), ("on_time", date(2024, 5, 26))),
        # 1 in 73 days: 10 after 730 days, past the due date.
        (Fraction(1), date(2024, 3, 14), ("late", None)),
        # 2 in 73 days: 10 after exactly 365 days, the due date itself.
        (Fraction(2), date(2024, 3, 14), ("on_time", DUE)),
        (Fraction(5), date(2024, 7, 2), ("late", None)),  # 5 in 183 days: 366 > 365 days
        (Fraction(3), date(2024, 1, 2), ("on_time", date(2024, 1, 5))),  # 1 day: ceil(3.33) = 4
        (Fraction(10, 7), date(2024, 1, 11), ("on_time", date(2024, 3, 11))),  # ceil(70) = 70
        (Fraction(0), date(2024, 6, 1), ("late", None)),  # no pace: never
        # A pace so slow that the day would lie beyond any date Python can hold.
        (Fraction(1, 10**9), date(2024, 3, 14), ("late", None)),
        (Fraction(10), date(2024, 6, 1), ("reached", None)),
        (Fraction(12), START, ("reached", None)),
        (Fraction(2), START, ("unknown", None)),  # no day has elapsed
        (Fraction(0), START - timedelta(days=3), ("unknown", None)),
        (Fraction(9), DUE, ("late", None)),  # nothing more counts after the due date
        (Fraction(9), DUE + timedelta(days=1), ("late", None)),
    ],
)
def test_forecast_is_the_day_the_pace_so_far_reaches_the_target(
    reported: Fraction, as_of: date, forecast: tuple[str, date | None]
) -> None:
    terms = make_terms()
    assert target_forecast(terms, reported=reported, as_of=as_of) == forecast
    evaluation = evaluate_totals(terms, reported=reported, verified=Fraction(0), as_of=as_of)
    assert (evaluation.forecast, evaluation.forecast_date) == forecast


@given(
    reported=st.fractions(min_value=0, max_value=30, max_denominator=70),
    elapsed=st.integers(min_value=1, max_value=364),
)
def test_forecast_is_on_time_exactly_when_the_projection_reaches_the_target(
    reported: Fraction, elapsed: int
) -> None:
    terms = make_terms()
    as_of = START + timedelta(days=elapsed)
    forecast, day = target_forecast(terms, reported=reported, as_of=as_of)
    projected = projected_total(terms, reported=reported, as_of=as_of)
    if reported >= 10:
        assert forecast == "reached"
    else:
        assert (forecast == "on_time") == (projected >= 10)
    if forecast == "on_time":
        # The first day on which the pace has added up to the target, not a day later.
        days = (day - START).days
        assert reported * days / elapsed >= 10 > reported * (days - 1) / elapsed


@pytest.mark.parametrize("status", [s.value for s in ClauseStatus if s != ClauseStatus.BREACHED])
def test_no_penalty_unless_breached(status: str) -> None:
    terms = make_terms(penalty_per_unit_sek=Decimal(5000))
    assert penalty_sek(terms, verified=Fraction(0), status=status) == Decimal("0.00")


@pytest.mark.parametrize(
    ("verified", "penalty"),
    [
        (Fraction(0), Decimal("10000.00")),
        (Fraction(10, 7), Decimal("8571.43")),  # 60000 / 7 = 8571.428...
        (Fraction(9), Decimal("1000.00")),
        (Fraction(10), Decimal("0.00")),
        (Fraction(12), Decimal("0.00")),
    ],
)
def test_penalty_when_breached_is_the_verified_shortfall_times_the_rate(
    verified: Fraction, penalty: Decimal
) -> None:
    terms = make_terms(penalty_per_unit_sek=Decimal(1000))
    result = penalty_sek(terms, verified=verified, status=ClauseStatus.BREACHED.value)
    assert result == penalty
    assert result.as_tuple().exponent == -2


def test_penalty_is_rounded_half_up_to_ore() -> None:
    terms = make_terms(target=Decimal(10), penalty_per_unit_sek=Decimal("0.5"))
    result = penalty_sek(terms, verified=Fraction("9.75"), status=ClauseStatus.BREACHED.value)
    assert result == Decimal("0.13")  # exactly 0.125; banker's rounding would give 0.12


def test_breached_clause_penalty_counts_only_approved_work() -> None:
    terms = make_terms(target=Decimal(4), penalty_per_unit_sek=Decimal("1250.50"))
    rows = [
        make_row(date(2024, 2, 1), date(2024, 2, 7), status=APPROVED),
        make_row(date(2024, 3, 1), date(2024, 3, 14), status=SUBMITTED),
    ]
    evaluation = evaluate_clause(terms, rows, date(2025, 1, 1))
    assert evaluation.status == ClauseStatus.BREACHED
    assert (evaluation.reported, evaluation.verified) == (Decimal("3.00"), Decimal("1.00"))
    assert evaluation.penalty_sek == Decimal("3751.50")  # (4 - 1) x 1250.50


# --- Property: agrees with a day-by-day brute force ----------------------------------------------

GROUPS = ("youth", "newly_arrived", "foreign_born_women", "other")
_ORACLE_CONTEXT = Context(prec=80)


def _oracle_round(value: Fraction) -> Decimal:
    exact = _ORACLE_CONTEXT.divide(Decimal(value.numerator), Decimal(value.denominator))
    return exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP, context=_ORACLE_CONTEXT)


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def brute_force_evaluate(terms: ClauseTerms, rows: list[RowFact], as_of: date) -> Evaluation:
    """Re-derive an evaluation naively, one calendar day at a time."""

    def in_window(day: date) -> bool:
        return terms.start_date <= day <= as_of and day <= terms.due_date

    def report_counts(row: RowFact, originals: frozenset[str], corrections: frozenset[str]):
        return row.report_status in (corrections if row.is_correction else originals)

    def clause_takes(row: RowFact, verified: bool) -> bool:
        if terms.target_groups and row.target_group not in terms.target_groups:
            return False
        if terms.employment_types and row.employment_type not in terms.employment_types:
            return False
        if terms.requires_matcher_confirmation:
            if row.verification == "disputed":
                return False
            if verified and row.verification != "confirmed":
                return False
        return True

    def total(originals: frozenset[str], corrections: frozenset[str]) -> Fraction:
        verified = "submitted" not in originals
        per_person: dict[str, Fraction] = {}
        hours = Fraction(0)
        # The 75 % rule: each participant's rows of counted reports, latest end first; of rows
        # ending the same day, any one ended by the participant makes it so.
        last_end: dict[str, date] = {}
        for row in rows:
            if report_counts(row, originals, corrections):
                last_end[row.participant_ref] = max(
                    last_end.get(row.participant_ref, date.min), row.end_date
                )
        ended = {
            row.participant_ref
            for row in rows
            if report_counts(row, originals, corrections)
            and row.end_date == last_end[row.participant_ref]
            and row.ended_by_participant
        }
        for row in rows:
            if not report_counts(row, originals, corrections):
                continue
            if not clause_takes(row, verified):
                continue
            row_days = _days(row.start_date, row.end_date)
            for day in row_days:
                if in_window(day):
                    per_person[row.participant_ref] = per_person.get(
                        row.participant_ref, Fraction(0)
                    ) + Fraction(1, 7)
                    hours += Fraction(row.hours) / len(row_days)
        if terms.metric == Metric.HOURS:
            return hours
        if terms.metric == Metric.FTE_MONTHS:
            # A month of full time is a twelfth of 52 weeks of the full-time hours.
            month = 52 * Fraction(terms.full_time_hours_per_week) / 12
            return hours / month
        if terms.metric == Metric.PLACEMENT_WEEKS:
            return sum(per_person.values(), Fraction(0))
        # Only people with at least one day in the window have an entry at all.
        minimum = Fraction(terms.min_placement_weeks)
        return Fraction(
            len(
                [
                    ref
                    for ref, weeks in per_person.items()
                    if weeks >= minimum or (ref in ended and 4 * weeks >= 3 * minimum)
                ]
            )
        )

    # A correction counts only once approved; an original once submitted.
    reported = total(frozenset({"submitted", "approved"}), frozenset({"approved"}))
    verified = total(frozenset({"approved"}), frozenset({"approved"}))

    # The first start: walk day by day from the clause start (or the earliest offer) to the
    # limit, looking for a counted row (as reported) that has started or been offered that day
    # and is not over before the clause starts.
    first_start = None
    if terms.first_start_within_days is not None:
        limit = min(terms.start_date + timedelta(days=terms.first_start_within_days), as_of)
        candidates = [
            row
            for row in rows
            if report_counts(row, frozenset({"submitted", "approved"}), frozenset({"approved"}))
            and clause_takes(row, verified=False)
            and row.end_date >= terms.start_date
        ]
        earliest = min(
            [r.start_date for r in candidates] + [r.offered_on for r in candidates if r.offered_on],
            default=None,
        )
        found = False
        if earliest is not None:
            for day in _days(earliest, limit) if earliest <= limit else []:
                if any(r.start_date == day or r.offered_on == day for r in candidates):
                    found = True
                    break
        if found:
            first_start = "met"
        elif as_of <= terms.start_date + timedelta(days=terms.first_start_within_days):
            first_start = "pending"
        else:
            first_start = "missed"

    if terms.target is None:  # a dialogue clause: followed, no ladder
        return Evaluation(
            as_of=as_of,
            metric=terms.metric,
            target=None,
            expected=None,
            reported=_oracle_round(reported),
            verified=_oracle_round(verified),
            shortfall=None,
            status="dialogue",
            projected_total=_oracle_round(reported),
            penalty_sek=Decimal("0.00"),
            forecast=None,
            forecast_date=None,
            first_start=first_start,
        )
    target = Fraction(terms.target)

    clause_days = _days(terms.start_date, terms.due_date - timedelta(days=1))
    elapsed = sum(1 for day in clause_days if day < as_of)
    if as_of >= terms.due_date:
        expected = target
    elif terms.milestones:
        expected = Fraction(0)
        for when, cumulative in terms.milestones:
            if when <= as_of:
                expected = Fraction(cumulative)
    else:
        expected = target * elapsed / len(clause_days)

    if reported >= target:
        status = "met"
    elif as_of > terms.due_date:
        status = "breached"
    elif as_of < terms.start_date:
        status = "not_started"
    elif reported >= expected:
        status = "on_track"
    elif reported >= expected * (100 - Fraction(terms.tolerance_pct)) / 100:
        status = "at_risk"
    else:
        status = "behind"

    projected = (
        reported * len(clause_days) / elapsed if 0 < elapsed < len(clause_days) else reported
    )
    penalty = Fraction(0)
    if status == "breached" and verified < target:
        penalty = (target - verified) * Fraction(terms.penalty_per_unit_sek)

    # The forecast by walking day by day: the first day on which the pace so far has added up
    # to the target, if one comes by the due date.
    forecast, forecast_day = "late", None
    if reported >= target:
        forecast = "reached"
    elif as_of >= terms.due_date:
        forecast = "late"
    elif elapsed == 0:
        forecast = "unknown"
    else:
        for day_number in range(1, len(clause_days) + 1):
            if reported * day_number / elapsed >= target:
                forecast = "on_time"
                forecast_day = terms.start_date + timedelta(days=day_number)
                break

    return Evaluation(
        as_of=as_of,
        metric=terms.metric,
        target=_oracle_round(target),
        expected=_oracle_round(expected),
        reported=_oracle_round(reported),
        verified=_oracle_round(verified),
        shortfall=_oracle_round(expected - reported if expected > reported else Fraction(0)),
        status=status,
        projected_total=_oracle_round(projected),
        penalty_sek=_oracle_round(penalty),
        forecast=forecast,
        forecast_date=forecast_day,
        first_start=first_start,
    )


def _decimals(low: str, high: str) -> st.SearchStrategy[Decimal]:
    return st.decimals(min_value=Decimal(low), max_value=Decimal(high), places=2)


@st.composite
def clause_rows_and_day(draw: st.DrawFn) -> tuple[ClauseTerms, list[RowFact], date]:
    start = draw(st.dates(min_value=date(2018, 1, 1), max_value=date(2021, 12, 31)))
    length = draw(st.integers(min_value=1, max_value=3 * 365))
    due = start + timedelta(days=length)
    target = draw(st.one_of(st.integers(1, 6).map(Decimal), _decimals("0.01", "300")))

    milestones: tuple[tuple[date, Decimal], ...] = ()
    if draw(st.booleans()):
        offsets = draw(st.lists(st.integers(0, length), min_size=1, max_size=4, unique=True))
        amounts = draw(
            st.lists(_decimals("0", str(target)), min_size=len(offsets), max_size=len(offsets))
        )
        milestones = tuple(
            zip(
                (start + timedelta(days=o) for o in sorted(offsets)),
                sorted(amounts),
                strict=True,
            )
        )

    # The options of the Swedish model (docs/RULES.md §7), each left at its default now and then.
    dialogue = draw(st.integers(0, 5)) == 0
    terms = ClauseTerms(
        metric=draw(st.sampled_from([m.value for m in Metric])),
        target=None if dialogue else target,
        kind="dialogue" if dialogue else "numeric",
        employment_types=draw(st.frozensets(st.sampled_from(EmploymentType.values))),
        full_time_hours_per_week=draw(st.one_of(st.just(Decimal(40)), _decimals("0.01", "60"))),
        first_start_within_days=draw(st.one_of(st.none(), st.integers(1, length + 30))),
        requires_matcher_confirmation=draw(st.booleans()),
        start_date=start,
        due_date=due,
        min_placement_weeks=draw(
            st.one_of(st.sampled_from([Decimal(0), Decimal(1), Decimal(4)]), _decimals("0", "10"))
        ),
        tolerance_pct=draw(
            st.one_of(st.sampled_from([Decimal(0), Decimal(100)]), _decimals("0", "100"))
        ),
        penalty_per_unit_sek=draw(_decimals("0", "10000")),
        target_groups=draw(st.frozensets(st.sampled_from(GROUPS[:3]))),
        milestones=() if dialogue else milestones,
    )

    rows = []
    for _ in range(draw(st.integers(0, 8))):
        row_start = start + timedelta(days=draw(st.integers(-60, length + 60)))
        offered = draw(st.one_of(st.none(), st.integers(0, 120)))
        rows.append(
            RowFact(
                participant_ref=draw(st.sampled_from(["P1", "P2", "P3", "P4", "P5"])),
                target_group=draw(st.sampled_from(GROUPS)),
                start_date=row_start,
                end_date=row_start + timedelta(days=draw(st.integers(0, 90))),
                hours=draw(_decimals("0", "500")),
                report_status=draw(st.sampled_from([s.value for s in ReportStatus])),
                is_correction=draw(st.booleans()),
                employment_type=draw(st.sampled_from(EmploymentType.values)),
                offered_on=None if offered is None else row_start - timedelta(days=offered),
                ended_by_participant=draw(st.booleans()),
                verification=draw(st.sampled_from(Verification.values)),
            )
        )
    as_of = start + timedelta(days=draw(st.integers(-40, length + 40)))
    return terms, rows, as_of


@settings(max_examples=200, deadline=None, database=None)
@given(clause_rows_and_day())
def test_evaluation_matches_a_day_by_day_brute_force(
    case: tuple[ClauseTerms, list[RowFact], date],
) -> None:
    terms, rows, as_of = case
    assert evaluate_clause(terms, rows, as_of) == brute_force_evaluate(terms, rows, as_of)


# --- Property: the integer fast path of evaluate_totals is the rules above ---------------------


def _reference_evaluation(
    terms: ClauseTerms, reported: Fraction, verified: Fraction, as_of: date
) -> Evaluation:
    """evaluate_totals spelled with the rule functions, in Fractions (as it was written first)."""
    expected = expected_to_date(terms, as_of)
    status = clause_status(terms, reported=reported, expected=expected, as_of=as_of)
    forecast, forecast_day = target_forecast(terms, reported=reported, as_of=as_of)
    return Evaluation(
        as_of=as_of,
        metric=terms.metric,
        target=_round_to_ore(Fraction(terms.target)),
        expected=_round_to_ore(expected),
        reported=_round_to_ore(reported),
        verified=_round_to_ore(verified),
        shortfall=_round_to_ore(max(Fraction(0), expected - reported)),
        status=status,
        projected_total=_round_to_ore(projected_total(terms, reported=reported, as_of=as_of)),
        penalty_sek=penalty_sek(terms, verified=verified, status=status),
        forecast=forecast,
        forecast_date=forecast_day,
    )


_totals = st.one_of(
    st.integers(0, 400).map(Fraction),
    st.fractions(min_value=0, max_value=400, max_denominator=10_000),
)


@settings(max_examples=500, deadline=None, database=None)
@given(clause_rows_and_day(), _totals, _totals, st.booleans())
def test_evaluate_totals_is_exactly_the_rule_functions(
    case: tuple[ClauseTerms, list[RowFact], date],
    reported: Fraction,
    verified: Fraction,
    repeat_a_milestone_date: bool,
) -> None:
    terms, _rows, as_of = case
    assume(not terms.is_dialogue)  # the rule functions are those of a clause with a target
    if repeat_a_milestone_date and terms.milestones:
        # Two milestones on one date: the first of them is the one reached.
        when, cumulative = terms.milestones[-1]
        terms = replace(terms, milestones=(*terms.milestones, (when, cumulative / 2)))
    verified = min(verified, reported)

    actual = evaluate_totals(terms, reported=reported, verified=verified, as_of=as_of)
    expected = _reference_evaluation(terms, reported, verified, as_of)

    assert actual == expected
    # The same Decimals digit for digit (and sign), not only equal in value.
    for name in ("target", "expected", "reported", "verified", "shortfall", "projected_total"):
        assert getattr(actual, name).as_tuple() == getattr(expected, name).as_tuple(), name
    assert actual.penalty_sek.as_tuple() == expected.penalty_sek.as_tuple()


@pytest.mark.parametrize(
    ("value", "rounded"),
    [
        (Fraction(0), "0.00"),
        (Fraction(1, 200), "0.01"),
        (Fraction(-1, 200), "-0.01"),
        (Fraction(-1, 1000), "-0.00"),
        (Fraction(10**40 + 1, 3), "3333333333333333333333333333333333333333.67"),
    ],
)
def test_rounding_to_ore_is_exact_at_any_size(value: Fraction, rounded: str) -> None:
    assert str(_round_to_ore(value)) == rounded
    assert _round_to_ore(value).as_tuple() == Decimal(rounded).as_tuple()


def test_evaluate_totals_accepts_ints_and_decimals_as_totals() -> None:
    terms = make_terms(target=Decimal("10.50"))
    as_of = date(2024, 7, 1)
    assert evaluate_totals(
        terms, reported=Decimal("3.25"), verified=2, as_of=as_of
    ) == _reference_evaluation(terms, Fraction("3.25"), Fraction(2), as_of)


# --- Why a row does not count (issue 12) -------------------------------------------------------


def test_each_row_says_whether_it_counts_and_why_not() -> None:
    terms = make_terms(
        metric=Metric.PLACEMENTS.value,
        min_placement_weeks=Decimal(6),
        target_groups=frozenset({"youth"}),
    )
    rows = [
        make_row(date(2024, 2, 1), date(2024, 2, 26), ref="P1"),  # 26 days: 3.7 weeks
        make_row(date(2024, 2, 1), date(2024, 3, 31), ref="P2"),  # 60 days: over 6 weeks
        make_row(date(2024, 2, 1), date(2024, 3, 31), ref="P3", group="newly_arrived"),
        make_row(date(2023, 11, 1), date(2023, 11, 30), ref="P4"),  # before the clause
        make_row(date(2024, 2, 1), date(2024, 3, 31), ref="P5", status=DRAFT),
        make_row(date(2024, 2, 1), date(2024, 3, 31), ref="P6", status=SUPERSEDED),
        make_row(date(2024, 2, 1), date(2024, 3, 31), ref="P7", status=SUBMITTED, correction=True),
        make_row(date(2023, 12, 1), date(2024, 2, 29), ref="P8"),  # 60 of its 91 days inside
    ]
    verdicts = row_verdicts(terms, rows, date(2024, 6, 1))
    assert [v.reason for v in verdicts] == [
        RowReason.BELOW_MINIMUM,
        RowReason.COUNTS,
        RowReason.TARGET_GROUP,
        RowReason.OUTSIDE_WINDOW,
        RowReason.REPORT_NOT_COUNTED,
        RowReason.REPORT_NOT_COUNTED,
        RowReason.REPORT_NOT_COUNTED,
        RowReason.PARTLY,
    ]
    assert (verdicts[0].weeks, verdicts[0].min_weeks) == (Fraction(26, 7), Decimal(6))
    assert (verdicts[7].days, verdicts[7].row_days) == (60, 91)
    assert [v.counts for v in verdicts] == [False, True, False, False, False, False, False, True]
    # The verdicts explain the total: P2 and P8.
    assert metric_total(terms, rows, date(2024, 6, 1), REPORTED) == 2


def test_a_participant_under_the_minimum_so_far_counts_once_later_rows_add_up() -> None:
    terms = make_terms(metric=Metric.PLACEMENTS.value, min_placement_weeks=Decimal(6))
    first = make_row(date(2024, 2, 1), date(2024, 2, 26), ref="P1")
    later = make_row(date(2024, 4, 1), date(2024, 4, 30), ref="P1", status=SUBMITTED)
    assert row_verdicts(terms, [first], DUE)[0].reason == RowReason.BELOW_MINIMUM
    # Today (May) the window holds both rows: 56 days, 8 weeks.
    assert [v.reason for v in row_verdicts(terms, [first, later], date(2024, 5, 1))] == [
        RowReason.COUNTS,
        RowReason.COUNTS,
    ]
    # Before the clause starts nothing is inside the window.
    assert row_verdicts(terms, [first], START - timedelta(days=1))[0].reason == (
        RowReason.OUTSIDE_WINDOW
    )


@settings(max_examples=200, deadline=None, database=None)
@given(clause_rows_and_day())
def test_the_rows_that_count_add_up_to_the_metric_total(
    case: tuple[ClauseTerms, list[RowFact], date],
) -> None:
    terms, rows, as_of = case
    for measure in (REPORTED, VERIFIED):
        verdicts = row_verdicts(terms, rows, as_of, measure)
        counted = [row for row, verdict in zip(rows, verdicts, strict=True) if verdict.counts]
        if terms.metric == Metric.PLACEMENTS:
            total = Fraction(len({row.participant_ref for row in counted}))
        elif terms.metric in (Metric.HOURS, Metric.FTE_MONTHS):
            total = sum(
                (
                    Fraction(row.hours) * Fraction(verdict.days, verdict.row_days)
                    for row, verdict in zip(rows, verdicts, strict=True)
                    if verdict.counts
                ),
                Fraction(0),
            )
            if terms.metric == Metric.FTE_MONTHS:
                total = total * 12 / (52 * Fraction(terms.full_time_hours_per_week))
        else:
            total = sum(
                (Fraction(v.days, 7) for v in verdicts if v.counts),
                Fraction(0),
            )
        assert total == metric_total(terms, rows, as_of, measure)
