"""Tests of contracts, clauses and milestones (docs/RULES.md §5): database constraints that hold
even when validation is bypassed, model validation, milestone rules and seeded reference data."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import translation

from contracts.models import ClauseMilestone, Contract, SocialClause, TargetGroup, milestone_errors
from procurement.models import District
from tests.factories import ContractFactory, MilestoneFactory, SocialClauseFactory

pytestmark = pytest.mark.django_db

CONTRACT_START = date(2024, 1, 1)  # ContractFactory's dates
CONTRACT_END = date(2025, 12, 31)


def refused_by_database(factory, **fields) -> None:
    """Creating the object bypasses validation; the database must refuse it."""
    with transaction.atomic(), pytest.raises(IntegrityError):
        factory(**fields)


# --- Contract ----------------------------------------------------------------------------------


def test_contract_ending_before_it_starts_is_refused_by_the_database() -> None:
    refused_by_database(ContractFactory, start_date=date(2024, 6, 1), end_date=date(2024, 5, 31))


def test_contract_ending_on_its_start_date_is_refused_by_the_database() -> None:
    refused_by_database(ContractFactory, start_date=date(2024, 6, 1), end_date=date(2024, 6, 1))


def test_contract_ending_the_day_after_it_starts_is_allowed() -> None:
    contract = ContractFactory(start_date=date(2024, 6, 1), end_date=date(2024, 6, 2))
    assert Contract.objects.filter(pk=contract.pk).exists()


def test_second_contract_with_the_same_reference_is_refused_by_the_database() -> None:
    ContractFactory(reference="K-2024-001")
    refused_by_database(ContractFactory, reference="K-2024-001")


def test_negative_contract_value_is_refused_by_the_database() -> None:
    refused_by_database(ContractFactory, value_sek=Decimal("-0.01"))


def test_unknown_reporting_frequency_is_refused_by_the_database() -> None:
    refused_by_database(ContractFactory, reporting_frequency="weekly")


@pytest.mark.parametrize("end", [date(2024, 6, 1), date(2024, 5, 1)])
def test_contract_full_clean_refuses_an_end_date_not_after_the_start(end: date) -> None:
    contract = ContractFactory(start_date=date(2024, 6, 1), end_date=date(2024, 6, 30))
    contract.end_date = end
    with pytest.raises(ValidationError) as caught:
        contract.full_clean()
    assert list(caught.value.message_dict) == ["end_date"]


def test_contract_reporting_periods_follow_its_dates_frequency_and_grace_days() -> None:
    contract = ContractFactory(
        start_date=date(2024, 2, 15),
        end_date=date(2024, 4, 10),
        reporting_frequency="monthly",
        report_grace_days=5,
    )
    assert [(p.start, p.end, p.due_date) for p in contract.reporting_periods()] == [
        (date(2024, 2, 15), date(2024, 2, 29), date(2024, 3, 5)),
        (date(2024, 3, 1), date(2024, 3, 31), date(2024, 4, 5)),
        (date(2024, 4, 1), date(2024, 4, 10), date(2024, 4, 15)),
    ]


# --- SocialClause: database constraints --------------------------------------------------------


@pytest.mark.parametrize("target", [Decimal(0), Decimal("-1")])
def test_clause_target_not_above_zero_is_refused_by_the_database(target: Decimal) -> None:
    refused_by_database(SocialClauseFactory, target=target)


def test_clause_target_of_one_hundredth_is_allowed() -> None:
    clause = SocialClauseFactory(target=Decimal("0.01"))
    clause.refresh_from_db()
    assert clause.target == Decimal("0.01")


@pytest.mark.parametrize("tolerance", [Decimal(-1), Decimal(101), Decimal("100.01")])
def test_clause_tolerance_outside_0_to_100_is_refused_by_the_database(tolerance: Decimal) -> None:
    refused_by_database(SocialClauseFactory, tolerance_pct=tolerance)


@pytest.mark.parametrize("tolerance", [Decimal(0), Decimal(100)])
def test_clause_tolerance_of_0_or_100_is_allowed(tolerance: Decimal) -> None:
    clause = SocialClauseFactory(tolerance_pct=tolerance)
    clause.refresh_from_db()
    assert clause.tolerance_pct == tolerance


def test_clause_due_on_its_start_date_is_refused_by_the_database() -> None:
    refused_by_database(SocialClauseFactory, start_date=date(2024, 6, 1), due_date=date(2024, 6, 1))


def test_clause_due_before_its_start_date_is_refused_by_the_database() -> None:
    refused_by_database(
        SocialClauseFactory, start_date=date(2024, 6, 1), due_date=date(2024, 5, 31)
    )


def test_negative_minimum_weeks_or_penalty_are_refused_by_the_database() -> None:
    refused_by_database(SocialClauseFactory, min_placement_weeks=Decimal(-1))
    refused_by_database(SocialClauseFactory, penalty_per_unit_sek=Decimal("-0.01"))


def test_unknown_clause_metric_is_refused_by_the_database() -> None:
    refused_by_database(SocialClauseFactory, metric="people")


# --- SocialClause: defaults and validation -----------------------------------------------------


def test_clause_window_defaults_to_the_contracts_dates() -> None:
    clause = SocialClauseFactory()
    clause.refresh_from_db()
    assert (clause.start_date, clause.due_date) == (CONTRACT_START, CONTRACT_END)


def test_clause_with_only_a_start_date_defaults_its_due_date_to_the_contract_end() -> None:
    clause = SocialClauseFactory(start_date=date(2024, 7, 1))
    clause.refresh_from_db()
    assert (clause.start_date, clause.due_date) == (date(2024, 7, 1), CONTRACT_END)


def test_clause_with_its_own_dates_keeps_them() -> None:
    clause = SocialClauseFactory(start_date=date(2024, 3, 1), due_date=date(2024, 12, 31))
    clause.refresh_from_db()
    assert (clause.start_date, clause.due_date) == (date(2024, 3, 1), date(2024, 12, 31))


def test_clause_full_clean_fills_in_the_contracts_dates() -> None:
    clause = SocialClause(contract=ContractFactory(), metric="hours", target=Decimal(100))
    clause.full_clean()
    assert (clause.start_date, clause.due_date) == (CONTRACT_START, CONTRACT_END)


@pytest.mark.parametrize(
    ("start", "due", "fields"),
    [
        (date(2023, 12, 31), None, ["start_date"]),  # starts before the contract
        (date(2026, 1, 1), None, ["start_date", "due_date"]),  # starts after the contract
        (None, date(2026, 1, 1), ["due_date"]),  # due after the contract
        (None, date(2023, 12, 31), ["due_date"]),  # due before the contract
        (date(2023, 6, 1), date(2026, 6, 1), ["start_date", "due_date"]),
        (date(2024, 6, 1), date(2024, 6, 1), ["due_date"]),  # due on its start date
        (date(2024, 6, 1), date(2024, 5, 1), ["due_date"]),  # due before its start
    ],
)
def test_clause_full_clean_refuses_dates_outside_the_contract_or_in_the_wrong_order(
    start: date | None, due: date | None, fields: list[str]
) -> None:
    clause = SocialClause(
        contract=ContractFactory(),
        metric="hours",
        target=Decimal(100),
        start_date=start,
        due_date=due,
    )
    with pytest.raises(ValidationError) as caught:
        clause.full_clean()
    assert sorted(caught.value.message_dict) == sorted(fields)


def test_clause_full_clean_accepts_a_window_on_the_contracts_first_and_last_day() -> None:
    clause = SocialClause(
        contract=ContractFactory(),
        metric="placements",
        target=Decimal(5),
        start_date=CONTRACT_START,
        due_date=CONTRACT_END,
    )
    clause.full_clean()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("target", Decimal(0)),
        ("tolerance_pct", Decimal(101)),
        ("tolerance_pct", Decimal(-1)),
        ("min_placement_weeks", Decimal(-1)),
        ("penalty_per_unit_sek", Decimal(-1)),
    ],
)
def test_clause_full_clean_refuses_out_of_range_numbers_on_their_field(
    field: str, value: Decimal
) -> None:
    clause = SocialClause(contract=ContractFactory(), metric="hours", target=Decimal(100))
    setattr(clause, field, value)
    with pytest.raises(ValidationError) as caught:
        clause.full_clean()
    assert field in caught.value.message_dict


# --- ClauseMilestone ---------------------------------------------------------------------------


def test_second_milestone_of_a_clause_on_the_same_date_is_refused_by_the_database() -> None:
    milestone = MilestoneFactory(date=date(2024, 12, 31))
    refused_by_database(MilestoneFactory, clause=milestone.clause, date=date(2024, 12, 31))


def test_milestones_of_different_clauses_may_share_a_date() -> None:
    MilestoneFactory(date=date(2024, 12, 31))
    MilestoneFactory(date=date(2024, 12, 31))
    assert ClauseMilestone.objects.filter(date=date(2024, 12, 31)).count() == 2


def test_negative_milestone_target_is_refused_by_the_database() -> None:
    refused_by_database(MilestoneFactory, cumulative_target=Decimal(-1))


# --- milestone_errors --------------------------------------------------------------------------


@pytest.fixture
def clause() -> SocialClause:
    """Target 10, window 2024-01-01..2025-12-31."""
    return SocialClauseFactory(target=Decimal(10))


def problems(clause: SocialClause, milestones: list[tuple[date, int | str]]) -> list[tuple]:
    errors = milestone_errors(clause, [(when, Decimal(target)) for when, target in milestones])
    for _index, _field, message in errors:
        assert message  # every problem says what is wrong
    return [(index, field) for index, field, _message in errors]


def test_valid_milestones_have_no_errors(clause: SocialClause) -> None:
    milestones = [(date(2024, 6, 30), 2), (date(2024, 12, 31), 5), (date(2025, 12, 31), 10)]
    assert problems(clause, milestones) == []


def test_no_milestones_have_no_errors(clause: SocialClause) -> None:
    assert problems(clause, []) == []


def test_milestones_on_the_first_and_last_day_of_the_clause_window_are_allowed(
    clause: SocialClause,
) -> None:
    assert problems(clause, [(CONTRACT_START, 0), (CONTRACT_END, 10)]) == []


def test_milestone_dates_out_of_order_are_refused(clause: SocialClause) -> None:
    assert problems(clause, [(date(2024, 12, 31), 2), (date(2024, 6, 30), 5)]) == [(1, "date")]


def test_milestones_on_equal_dates_are_refused(clause: SocialClause) -> None:
    assert problems(clause, [(date(2024, 12, 31), 2), (date(2024, 12, 31), 5)]) == [(1, "date")]


@pytest.mark.parametrize("when", [date(2023, 12, 31), date(2026, 1, 1)])
def test_milestone_outside_the_clause_window_is_refused(clause: SocialClause, when: date) -> None:
    assert problems(clause, [(when, 1)]) == [(0, "date")]


def test_milestone_outside_a_narrower_clause_window_is_refused() -> None:
    clause = SocialClauseFactory(start_date=date(2024, 4, 1), due_date=date(2024, 9, 30))
    assert problems(
        clause, [(date(2024, 3, 31), 1), (date(2024, 6, 30), 2), (date(2024, 10, 1), 3)]
    ) == [(0, "date"), (2, "date")]


def test_decreasing_cumulative_targets_are_refused(clause: SocialClause) -> None:
    assert problems(clause, [(date(2024, 6, 30), 5), (date(2024, 12, 31), 4)]) == [
        (1, "cumulative_target")
    ]


def test_equal_cumulative_targets_are_allowed(clause: SocialClause) -> None:
    assert problems(clause, [(date(2024, 6, 30), 5), (date(2024, 12, 31), 5)]) == []


def test_cumulative_target_equal_to_the_clause_target_is_allowed(clause: SocialClause) -> None:
    assert problems(clause, [(date(2025, 6, 30), 10)]) == []


def test_cumulative_target_above_the_clause_target_is_refused(clause: SocialClause) -> None:
    assert problems(clause, [(date(2024, 6, 30), 5), (date(2025, 6, 30), "10.01")]) == [
        (1, "cumulative_target")
    ]


def test_every_problem_of_every_milestone_is_reported(clause: SocialClause) -> None:
    milestones = [
        (date(2024, 6, 30), 11),  # above the target
        (date(2024, 6, 30), 3),  # same date, and decreasing
        (date(2026, 6, 30), 4),  # outside the window
    ]
    assert sorted(problems(clause, milestones)) == [
        (0, "cumulative_target"),
        (1, "cumulative_target"),
        (1, "date"),
        (2, "date"),
    ]


def test_milestone_errors_use_the_contract_dates_of_an_unsaved_clause() -> None:
    clause = SocialClause(contract=ContractFactory(), metric="hours", target=Decimal(10))
    assert problems(clause, [(date(2025, 12, 31), 10), (date(2026, 1, 1), 10)]) == [(1, "date")]


# --- Seeded reference data ---------------------------------------------------------------------

TARGET_GROUP_CODES = {
    "long_term_unemployed",
    "newly_arrived",
    "foreign_born_women",
    "youth",
    "disability",
    "other",
}


def test_six_target_groups_are_seeded_with_the_codes_of_the_design() -> None:
    assert set(TargetGroup.objects.values_list("code", flat=True)) == TARGET_GROUP_CODES
    assert TargetGroup.objects.count() == 6


def test_every_seeded_target_group_has_a_swedish_and_an_english_name() -> None:
    for group in TargetGroup.objects.all():
        assert group.name_sv.strip()
        assert group.name_en.strip()
        assert group.name_sv != group.name_en


def test_target_group_name_follows_the_active_language() -> None:
    group = TargetGroup.objects.get(code="foreign_born_women")
    with translation.override("sv"):
        assert group.name == "Utrikesfödda kvinnor" == str(group)
    with translation.override("en"):
        assert group.name == "Foreign-born women" == str(group)


def test_target_group_code_is_unique_in_the_database() -> None:
    with transaction.atomic(), pytest.raises(IntegrityError):
        TargetGroup.objects.create(code="youth", name_sv="Unga", name_en="Youth")


@pytest.mark.parametrize("name", ["Öxnehaga", "Råslätt", "Österängen", "Huskvarna", "Bymarken"])
def test_districts_of_the_design_are_seeded(name: str) -> None:
    assert District.objects.filter(name=name, municipality="Jönköping").exists()


@pytest.mark.parametrize("name", ["officers", "managers"])
def test_role_groups_are_seeded(name: str) -> None:
    assert Group.objects.filter(name=name).exists()


def test_officers_may_change_clauses_and_managers_may_only_view_them() -> None:
    officers = set(
        Group.objects.get(name="officers").permissions.values_list("codename", flat=True)
    )
    managers = set(
        Group.objects.get(name="managers").permissions.values_list("codename", flat=True)
    )
    assert {"view_socialclause", "change_socialclause", "add_socialclause"} <= officers
    assert "view_socialclause" in managers
    assert not any(codename.startswith(("add_", "change_", "delete_")) for codename in managers)


def test_officers_keep_the_labour_market_units_and_managers_only_read_them() -> None:
    officers = set(
        Group.objects.get(name="officers").permissions.values_list("codename", flat=True)
    )
    managers = set(
        Group.objects.get(name="managers").permissions.values_list("codename", flat=True)
    )
    assert {
        "view_labourmarketunit",
        "add_labourmarketunit",
        "change_labourmarketunit",
        "add_labourmarketunitmembership",
        "view_referral",
    } <= officers
    # Referrals are the matcher's and the contractor's to write, never the officer's.
    assert not {"add_referral", "change_referral", "delete_referral"} & officers
    assert {"view_labourmarketunit", "view_referral"} <= managers
