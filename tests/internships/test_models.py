"""Tests of placement reports and rows (docs/RULES.md §5, §3): one open report per period, periods
of the contract's schedule, and the rules on rows."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import translation

from contracts.models import TargetGroup
from core.luhn import luhn_check_digit
from internships.choices import ReportStatus
from internships.models import PlacementReport, PlacementRow, RowDates, max_hours, row_errors
from internships.pseudonyms import participant_ref_from
from tests.factories import ContractFactory, ReportFactory, RowFactory

pytestmark = pytest.mark.django_db

DRAFT = ReportStatus.DRAFT.value
SUBMITTED = ReportStatus.SUBMITTED.value
APPROVED = ReportStatus.APPROVED.value
REJECTED = ReportStatus.REJECTED.value

# ReportFactory's default report covers the first quarter of a contract starting 2024-01-01.
Q1_START = date(2024, 1, 1)
Q1_END = date(2024, 3, 31)


# --- One non-rejected report per contract and period -------------------------------------------


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (DRAFT, SUBMITTED),
        (SUBMITTED, DRAFT),
        (DRAFT, DRAFT),
        (SUBMITTED, SUBMITTED),
        (APPROVED, DRAFT),
        (APPROVED, SUBMITTED),
    ],
)
def test_second_open_report_for_a_period_is_refused_by_the_database(
    first: str, second: str
) -> None:
    report = ReportFactory(status=first)
    with transaction.atomic(), pytest.raises(IntegrityError):
        ReportFactory(contract=report.contract, status=second)
    assert PlacementReport.objects.count() == 1


@pytest.mark.parametrize("second", [DRAFT, SUBMITTED, REJECTED])
def test_new_report_after_a_rejected_one_for_the_same_period_is_allowed(second: str) -> None:
    rejected = ReportFactory(status=REJECTED)
    ReportFactory(contract=rejected.contract, status=second)
    assert PlacementReport.objects.filter(contract=rejected.contract).count() == 2


def test_two_rejected_reports_and_an_open_one_for_one_period_are_allowed() -> None:
    contract = ContractFactory()
    ReportFactory(contract=contract, status=REJECTED)
    ReportFactory(contract=contract, status=REJECTED)
    ReportFactory(contract=contract, status=DRAFT)
    assert PlacementReport.objects.filter(contract=contract).count() == 3


def test_open_report_rejected_later_frees_the_period_for_a_new_one() -> None:
    report = ReportFactory(status=SUBMITTED)
    report.status = REJECTED
    report.save()
    ReportFactory(contract=report.contract, status=DRAFT)
    assert PlacementReport.objects.filter(contract=report.contract).count() == 2


def test_rejected_report_cannot_be_reopened_while_another_holds_the_period() -> None:
    rejected = ReportFactory(status=REJECTED)
    ReportFactory(contract=rejected.contract, status=DRAFT)
    rejected.status = DRAFT
    with transaction.atomic(), pytest.raises(IntegrityError):
        rejected.save()


def test_open_reports_for_different_periods_of_one_contract_are_allowed() -> None:
    contract = ContractFactory()
    first, second = contract.reporting_periods()[:2]
    ReportFactory(contract=contract, period_start=first.start, period_end=first.end)
    ReportFactory(contract=contract, period_start=second.start, period_end=second.end)
    assert PlacementReport.objects.filter(contract=contract).count() == 2


def test_open_reports_of_different_contracts_for_the_same_dates_are_allowed() -> None:
    ReportFactory(status=SUBMITTED)
    ReportFactory(status=SUBMITTED)
    assert PlacementReport.objects.filter(period_start=Q1_START).count() == 2


def test_full_clean_reports_a_second_open_report_for_a_period() -> None:
    report = ReportFactory(status=SUBMITTED)
    duplicate = PlacementReport(
        contract=report.contract, period_start=Q1_START, period_end=Q1_END, status=DRAFT
    )
    with translation.override("en"):
        with pytest.raises(ValidationError) as caught:
            duplicate.full_clean()
        assert caught.value.messages == ["This contract already has a report for this period."]


def test_full_clean_accepts_a_new_report_for_a_period_whose_report_was_rejected() -> None:
    rejected = ReportFactory(status=REJECTED)
    PlacementReport(
        contract=rejected.contract, period_start=Q1_START, period_end=Q1_END, status=DRAFT
    ).full_clean()


def test_report_period_ending_before_it_starts_is_refused_by_the_database() -> None:
    with transaction.atomic(), pytest.raises(IntegrityError):
        ReportFactory(period_start=date(2024, 3, 31), period_end=date(2024, 1, 1))


# --- A report's period must be one of the contract's schedule ----------------------------------


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (Q1_START, Q1_END),
        (date(2024, 4, 1), date(2024, 6, 30)),
        (date(2025, 10, 1), date(2025, 12, 31)),
    ],
)
def test_report_for_a_period_of_the_contracts_schedule_passes_full_clean(
    start: date, end: date
) -> None:
    report = PlacementReport(contract=ContractFactory(), period_start=start, period_end=end)
    report.full_clean()


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (date(2024, 1, 2), Q1_END),  # starts a day late
        (Q1_START, date(2024, 3, 30)),  # ends a day early
        (Q1_START, date(2024, 4, 1)),  # ends a day late
        (date(2023, 12, 31), Q1_END),  # starts a day early
        (Q1_START, date(2024, 1, 31)),  # a month of a quarterly contract
        (Q1_START, date(2024, 6, 30)),  # two periods
        (date(2026, 1, 1), date(2026, 3, 31)),  # after the contract
    ],
)
def test_report_for_a_period_not_in_the_contracts_schedule_is_refused_by_full_clean(
    start: date, end: date
) -> None:
    report = PlacementReport(contract=ContractFactory(), period_start=start, period_end=end)
    with pytest.raises(ValidationError) as caught:
        report.full_clean()
    assert "period_start" in caught.value.message_dict


def test_report_for_a_short_first_period_of_a_mid_month_contract_passes_full_clean() -> None:
    contract = ContractFactory(start_date=date(2024, 2, 15), reporting_frequency="monthly")
    PlacementReport(
        contract=contract, period_start=date(2024, 2, 15), period_end=date(2024, 2, 29)
    ).full_clean()
    with pytest.raises(ValidationError):
        PlacementReport(
            contract=contract, period_start=date(2024, 2, 1), period_end=date(2024, 2, 29)
        ).full_clean()


# --- row_errors --------------------------------------------------------------------------------


@pytest.fixture
def report() -> PlacementReport:
    """A draft report for 2024-01-01..2024-03-31."""
    return ReportFactory()


def row(start: date, end: date, *, ref: str = "D-1", hours: Decimal | int | str = 0) -> RowDates:
    return RowDates(participant_ref=ref, start_date=start, end_date=end, hours=Decimal(hours))


def problems(report: PlacementReport, rows: list[RowDates]) -> list[tuple[int, str]]:
    errors = row_errors(report, rows)
    for _index, _field, message in errors:
        assert message
    return sorted((index, field) for index, field, _message in errors)


def test_rows_filling_the_period_have_no_errors(report: PlacementReport) -> None:
    rows = [
        row(Q1_START, Q1_END, ref="D-1", hours=300),
        row(Q1_START, date(2024, 1, 31), ref="D-2", hours=120),
        row(date(2024, 2, 1), Q1_END, ref="D-2", hours=200),
    ]
    assert problems(report, rows) == []


def test_no_rows_have_no_errors(report: PlacementReport) -> None:
    assert problems(report, []) == []


def test_row_starting_before_the_period_is_refused_on_its_start_date(
    report: PlacementReport,
) -> None:
    assert problems(report, [row(date(2023, 12, 31), date(2024, 1, 5))]) == [(0, "start_date")]


def test_row_ending_after_the_period_is_refused_on_its_end_date(report: PlacementReport) -> None:
    assert problems(report, [row(date(2024, 3, 25), date(2024, 4, 1))]) == [(0, "end_date")]


def test_row_entirely_outside_the_period_is_refused_on_both_dates(report: PlacementReport) -> None:
    assert problems(report, [row(date(2024, 4, 1), date(2024, 4, 5))]) == [
        (0, "end_date"),
        (0, "start_date"),
    ]


def test_row_on_the_first_and_last_day_of_the_period_is_allowed(report: PlacementReport) -> None:
    rows = [row(Q1_START, Q1_START, ref="D-1"), row(Q1_END, Q1_END, ref="D-2")]
    assert problems(report, rows) == []


def test_row_ending_before_it_starts_is_refused(report: PlacementReport) -> None:
    assert problems(report, [row(date(2024, 2, 10), date(2024, 2, 9))]) == [(0, "end_date")]


def test_one_day_row_is_allowed(report: PlacementReport) -> None:
    assert problems(report, [row(date(2024, 2, 10), date(2024, 2, 10), hours=8)]) == []


def test_one_day_row_may_carry_exactly_60_hours(report: PlacementReport) -> None:
    assert problems(report, [row(date(2024, 2, 10), date(2024, 2, 10), hours=60)]) == []


def test_one_day_row_with_more_than_60_hours_is_refused(report: PlacementReport) -> None:
    assert problems(report, [row(date(2024, 2, 10), date(2024, 2, 10), hours="60.01")]) == [
        (0, "hours")
    ]


def test_seven_day_row_is_one_started_week(report: PlacementReport) -> None:
    assert problems(report, [row(date(2024, 2, 1), date(2024, 2, 7), hours=60)]) == []
    assert problems(report, [row(date(2024, 2, 1), date(2024, 2, 7), hours=61)]) == [(0, "hours")]


def test_eight_day_row_is_two_started_weeks_and_allows_120_hours(report: PlacementReport) -> None:
    assert problems(report, [row(date(2024, 2, 1), date(2024, 2, 8), hours=120)]) == []
    assert problems(report, [row(date(2024, 2, 1), date(2024, 2, 8), hours="120.01")]) == [
        (0, "hours")
    ]


def test_hours_message_states_the_maximum(report: PlacementReport) -> None:
    [(_index, field, message)] = row_errors(
        report, [row(date(2024, 2, 1), date(2024, 2, 8), hours=121)]
    )
    assert field == "hours"
    assert "120" in message


@pytest.mark.parametrize(
    ("days", "maximum"), [(1, 60), (6, 60), (7, 60), (8, 120), (14, 120), (15, 180), (91, 780)]
)
def test_max_hours_is_60_per_started_week(days: int, maximum: int) -> None:
    start = date(2024, 1, 1)
    assert max_hours(start, start + timedelta(days=days - 1)) == maximum


def test_overlapping_rows_of_one_participant_are_refused(report: PlacementReport) -> None:
    rows = [row(date(2024, 1, 1), date(2024, 1, 10)), row(date(2024, 1, 10), date(2024, 1, 20))]
    assert problems(report, rows) == [(1, "start_date")]


def test_overlap_is_found_whatever_the_order_of_the_rows(report: PlacementReport) -> None:
    rows = [row(date(2024, 1, 10), date(2024, 1, 20)), row(date(2024, 1, 1), date(2024, 1, 10))]
    assert problems(report, rows) == [(0, "start_date")]


def test_identical_rows_of_one_participant_are_refused(report: PlacementReport) -> None:
    rows = [row(date(2024, 1, 1), date(2024, 1, 10))] * 2
    assert problems(report, rows) == [(1, "start_date")]


def test_long_row_covering_two_shorter_rows_flags_both_of_them(report: PlacementReport) -> None:
    rows = [
        row(date(2024, 1, 1), date(2024, 2, 29)),
        row(date(2024, 1, 10), date(2024, 1, 15)),  # inside the long row
        row(date(2024, 2, 1), date(2024, 2, 5)),  # inside it too, not overlapping the previous
    ]
    assert problems(report, rows) == [(1, "start_date"), (2, "start_date")]


def test_adjacent_rows_of_one_participant_are_allowed(report: PlacementReport) -> None:
    rows = [row(date(2024, 1, 1), date(2024, 1, 10)), row(date(2024, 1, 11), date(2024, 1, 20))]
    assert problems(report, rows) == []


def test_rows_on_the_same_dates_for_different_participants_are_allowed(
    report: PlacementReport,
) -> None:
    rows = [
        row(date(2024, 1, 1), date(2024, 1, 10), ref="D-1"),
        row(date(2024, 1, 1), date(2024, 1, 10), ref="D-2"),
    ]
    assert problems(report, rows) == []


def test_every_problem_of_every_row_is_reported(report: PlacementReport) -> None:
    rows = [
        row(date(2023, 12, 20), date(2024, 1, 2), ref="D-1"),  # starts before the period
        row(date(2024, 1, 2), date(2024, 1, 2), ref="D-1", hours=61),  # overlaps, too many hours
        row(date(2024, 2, 2), date(2024, 2, 1), ref="D-2"),  # ends before it starts
    ]
    assert problems(report, rows) == [
        (0, "start_date"),
        (1, "hours"),
        (1, "start_date"),
        (2, "end_date"),
    ]


# --- PlacementRow validation and constraints ---------------------------------------------------


def new_row(report: PlacementReport, start: date, end: date, **fields) -> PlacementRow:
    values = {
        "participant_ref": "D-1",
        "target_group": TargetGroup.objects.get(code="youth"),
        "hours": Decimal(40),
        **fields,
    }
    return PlacementRow(report=report, start_date=start, end_date=end, **values)


def test_row_inside_the_period_passes_full_clean(report: PlacementReport) -> None:
    new_row(report, date(2024, 1, 1), date(2024, 1, 10)).full_clean()


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        (date(2024, 1, 1), date(2024, 1, 2), "hours"),  # 100 hours in one started week
        (date(2023, 12, 31), date(2024, 1, 2), "start_date"),
        (date(2024, 3, 30), date(2024, 4, 2), "end_date"),
    ],
)
def test_row_full_clean_applies_the_rules_of_row_errors(
    report: PlacementReport, start: date, end: date, field: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        new_row(report, start, end, hours=Decimal(100)).full_clean()
    assert field in caught.value.message_dict


def test_row_overlapping_a_sibling_row_in_the_database_is_refused_by_full_clean(
    report: PlacementReport,
) -> None:
    RowFactory(
        report=report,
        participant_ref="D-1",
        start_date=date(2024, 1, 1),
        end_date=date(2024, 1, 10),
    )
    with pytest.raises(ValidationError) as caught:
        new_row(report, date(2024, 1, 10), date(2024, 1, 20)).full_clean()
    assert list(caught.value.message_dict) == ["start_date"]


def test_row_covering_a_sibling_row_in_the_database_is_refused_by_full_clean(
    report: PlacementReport,
) -> None:
    RowFactory(
        report=report, participant_ref="D-1", start_date=date(2024, 2, 5), end_date=date(2024, 2, 6)
    )
    with pytest.raises(ValidationError):
        new_row(report, date(2024, 2, 1), date(2024, 2, 29)).full_clean()


def test_row_adjacent_to_a_sibling_row_in_the_database_passes_full_clean(
    report: PlacementReport,
) -> None:
    RowFactory(
        report=report,
        participant_ref="D-1",
        start_date=date(2024, 1, 1),
        end_date=date(2024, 1, 10),
    )
    new_row(report, date(2024, 1, 11), date(2024, 1, 20)).full_clean()


def test_row_on_the_same_dates_as_another_participants_row_passes_full_clean(
    report: PlacementReport,
) -> None:
    RowFactory(
        report=report,
        participant_ref="D-2",
        start_date=date(2024, 1, 1),
        end_date=date(2024, 1, 10),
    )
    new_row(report, date(2024, 1, 1), date(2024, 1, 10)).full_clean()


def test_row_overlapping_the_same_participant_in_another_report_passes_full_clean(
    report: PlacementReport,
) -> None:
    RowFactory(participant_ref="D-1", start_date=Q1_START, end_date=Q1_END)  # another contract
    new_row(report, date(2024, 1, 1), date(2024, 1, 10)).full_clean()


def test_saved_row_does_not_overlap_itself_when_cleaned_again(report: PlacementReport) -> None:
    saved = RowFactory(report=report, participant_ref="D-1", hours=Decimal(10))
    saved.hours = Decimal(20)
    saved.full_clean()


def test_overlap_is_found_for_one_person_given_by_personnummer_in_different_formats(
    report: PlacementReport,
) -> None:
    ten = "811218987" + luhn_check_digit("811218987")
    new_row(report, date(2024, 1, 1), date(2024, 1, 10), participant_ref=f"19{ten}").save()
    with pytest.raises(ValidationError) as caught:
        new_row(
            report, date(2024, 1, 5), date(2024, 1, 6), participant_ref=f"{ten[:6]}-{ten[6:]}"
        ).full_clean()
    assert list(caught.value.message_dict) == ["start_date"]


def test_row_full_clean_pseudonymises_a_valid_personnummer(report: PlacementReport) -> None:
    ten = "811218987" + luhn_check_digit("811218987")
    row_ = new_row(report, date(2024, 1, 1), date(2024, 1, 10), participant_ref=ten)
    row_.full_clean()
    assert row_.participant_ref == participant_ref_from(personnummer=ten)
    assert row_.participant_ref.startswith("pn-")


def test_row_full_clean_refuses_a_personnummer_shaped_invalid_ref_on_that_field(
    report: PlacementReport,
) -> None:
    body = "811218987"
    mistyped = body + str((int(luhn_check_digit(body)) + 1) % 10)
    row_ = new_row(
        report,
        date(2024, 1, 1),
        date(2024, 1, 10),
        participant_ref=f"{mistyped[:6]}-{mistyped[6:]}",
    )
    with pytest.raises(ValidationError) as caught:
        row_.full_clean()
    assert list(caught.value.message_dict) == ["participant_ref"]
    assert mistyped[6:] not in str(caught.value)


def test_saving_a_personnummer_shaped_invalid_ref_is_refused_and_stores_nothing(
    report: PlacementReport,
) -> None:
    body = "811218987"
    mistyped = body + str((int(luhn_check_digit(body)) + 1) % 10)
    with pytest.raises(ValidationError):
        new_row(report, date(2024, 1, 1), date(2024, 1, 10), participant_ref=mistyped).save()
    assert not PlacementRow.objects.exists()


def test_row_ending_before_it_starts_is_refused_by_the_database(report: PlacementReport) -> None:
    with transaction.atomic(), pytest.raises(IntegrityError):
        new_row(report, date(2024, 1, 10), date(2024, 1, 9)).save()


def test_negative_hours_are_refused_by_the_database(report: PlacementReport) -> None:
    with transaction.atomic(), pytest.raises(IntegrityError):
        new_row(report, date(2024, 1, 1), date(2024, 1, 9), hours=Decimal("-0.01")).save()
