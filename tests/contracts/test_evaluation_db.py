"""The production path (database → selectors → engine) against a brute-force evaluator.

The brute force walks every day of every row and knows nothing of the SQL or of the engine's
formulas; it only restates docs/RULES.md §1 in the most literal way. The generated reports include
corrections (pending, approved with their original superseded, rejected), and the pure engine
(``RowFact`` rows) is checked against the SQL totals on the same data.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import pytest
from django.db import connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contracts.choices import ClauseStatus, Metric
from contracts.compliance import RowFact, evaluate_clause
from contracts.models import ClauseMilestone, Contract, SocialClause, TargetGroup
from contracts.selectors import clause_terms, clauses_for_evaluation, evaluate_clauses
from internships.choices import EmploymentType, ReportStatus, Verification
from internships.models import PlacementReport, PlacementRow
from tests.factories import ContractFactory, ReportFactory, RowFactory, SocialClauseFactory

GROUPS = ["long_term_unemployed", "newly_arrived", "foreign_born_women", "youth"]


def brute_force(clause: dict, rows: list[dict], as_of: date) -> dict:
    start, due = clause["start"], clause["due"]
    window_end = min(due, as_of)
    totals = {}
    # Per measure: the statuses in which an original counts, and those in which a correction
    # does (a correction counts only once approved; the original it replaces is superseded).
    for name, originals, corrections in (
        ("reported", {"submitted", "approved"}, {"approved"}),
        ("verified", {"approved"}, {"approved"}),
    ):
        days_by_person: dict[str, int] = defaultdict(int)
        hours = Fraction(0)
        counted = [
            r for r in rows if r["status"] in (corrections if r["correction"] else originals)
        ]
        # The 75 % rule: whether the participant ended their latest-ending row(s) of the
        # contract's counted reports.
        last = {
            r["person"]: max(x["end"] for x in counted if x["person"] == r["person"])
            for r in counted
        }
        ended = {r["person"] for r in counted if r["end"] == last[r["person"]] and r["ended"]}
        for row in counted:
            if clause["groups"] and row["group"] not in clause["groups"]:
                continue
            if clause["types"] and row["type"] not in clause["types"]:
                continue
            if clause["confirm"] and (
                row["verification"] == "disputed"
                or (name == "verified" and row["verification"] != "confirmed")
            ):
                continue
            length = (row["end"] - row["start"]).days + 1
            day = row["start"]
            while day <= row["end"]:
                if start <= day <= window_end:
                    days_by_person[row["person"]] += 1
                    hours += Fraction(row["hours"]) / length
                day += timedelta(days=1)
        if clause["metric"] == "placement_weeks":
            totals[name] = Fraction(sum(days_by_person.values()), 7)
        elif clause["metric"] == "hours":
            totals[name] = hours
        elif clause["metric"] == "fte_months":
            totals[name] = hours * 12 / 52 / Fraction(clause["full_time"])
        else:
            minimum = Fraction(clause["min_weeks"])
            totals[name] = Fraction(
                sum(
                    1
                    for person, d in days_by_person.items()
                    if d > 0
                    and (
                        Fraction(d, 7) >= minimum
                        or (person in ended and Fraction(d, 7) >= minimum * 3 / 4)
                    )
                )
            )
    first_start = None
    if clause["first_days"] is not None:
        limit = start + timedelta(days=clause["first_days"])
        takes = [
            r
            for r in rows
            if r["status"] in ({"approved"} if r["correction"] else {"submitted", "approved"})
            and (not clause["groups"] or r["group"] in clause["groups"])
            and (not clause["types"] or r["type"] in clause["types"])
            and not (clause["confirm"] and r["verification"] == "disputed")
            and r["end"] >= start
        ]
        if any(min(r["offered"] or r["start"], r["start"]) <= min(limit, as_of) for r in takes):
            first_start = "met"
        elif as_of <= limit:
            first_start = "pending"
        else:
            first_start = "missed"
    if clause["target"] is None:
        return {
            "expected": None,
            "reported": _round(totals["reported"]),
            "verified": _round(totals["verified"]),
            "status": "dialogue",
            "first_start": first_start,
        }
    target = Fraction(clause["target"])
    if as_of >= due:
        expected = target
    elif clause["milestones"]:
        passed = [value for when, value in clause["milestones"] if when <= as_of]
        expected = Fraction(passed[-1]) if passed else Fraction(0)
    else:
        elapsed = min(max((as_of - start).days, 0), (due - start).days)
        expected = target * Fraction(elapsed, (due - start).days)
    reported = totals["reported"]
    if reported >= target:
        status = "met"
    elif as_of > due:
        status = "breached"
    elif as_of < start:
        status = "not_started"
    elif reported >= expected:
        status = "on_track"
    elif reported >= expected * (1 - Fraction(clause["tolerance"]) / 100):
        status = "at_risk"
    else:
        status = "behind"
    return {
        "expected": _round(expected),
        "reported": _round(reported),
        "verified": _round(totals["verified"]),
        "status": status,
        "first_start": first_start,
    }


def _round(value: Fraction) -> Decimal:
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(
        Decimal("0.01"), ROUND_HALF_UP
    )


CONTRACT_START = date(2024, 1, 1)
CONTRACT_END = date(2024, 12, 31)
QUARTERS = [
    (date(2024, 1, 1), date(2024, 3, 31)),
    (date(2024, 4, 1), date(2024, 6, 30)),
    (date(2024, 7, 1), date(2024, 9, 30)),
    (date(2024, 10, 1), date(2024, 12, 31)),
]


@st.composite
def scenarios(draw):
    clauses = []
    for _ in range(draw(st.integers(1, 3))):
        start = CONTRACT_START + timedelta(days=draw(st.integers(0, 200)))
        due = start + timedelta(days=draw(st.integers(1, (CONTRACT_END - start).days)))
        milestones = []
        if draw(st.booleans()):
            span = (due - start).days
            offsets = sorted(draw(st.sets(st.integers(0, span), min_size=1, max_size=3)))
            values = sorted(
                draw(st.lists(st.integers(0, 20), min_size=len(offsets), max_size=len(offsets)))
            )
            milestones = [
                (start + timedelta(days=o), v) for o, v in zip(offsets, values, strict=True)
            ]
        dialogue = draw(st.integers(0, 5)) == 0
        clauses.append(
            {
                "metric": draw(st.sampled_from(Metric.values)),
                "target": None if dialogue else Decimal(draw(st.integers(1, 40))),
                "types": draw(st.sets(st.sampled_from(EmploymentType.values), max_size=2)),
                "full_time": Decimal(draw(st.sampled_from(["40", "37.5", "20"]))),
                "first_days": draw(st.one_of(st.none(), st.integers(1, 200))),
                "confirm": draw(st.booleans()),
                "start": start,
                "due": due,
                "min_weeks": Decimal(draw(st.sampled_from(["0", "1", "2.5", "4"]))),
                "tolerance": Decimal(draw(st.sampled_from(["0", "10", "25", "100"]))),
                "groups": draw(st.sets(st.sampled_from(GROUPS), max_size=2)),
                "milestones": [] if dialogue else milestones,
            }
        )

    def draw_rows(period_start: date, period_end: date, status: str, correction: bool):
        rows = []
        for person in draw(st.lists(st.sampled_from("ABCDE"), max_size=4)):
            offset = draw(st.integers(0, (period_end - period_start).days))
            start = period_start + timedelta(days=offset)
            end = start + timedelta(days=draw(st.integers(0, (period_end - start).days)))
            if any(r["person"] == person and r["start"] <= end and start <= r["end"] for r in rows):
                continue
            weeks = -(-((end - start).days + 1) // 7)
            offered = draw(st.one_of(st.none(), st.integers(0, 60)))
            rows.append(
                {
                    "type": draw(st.sampled_from(EmploymentType.values)),
                    "offered": None if offered is None else start - timedelta(days=offered),
                    "ended": draw(st.booleans()),
                    "verification": draw(st.sampled_from(Verification.values)),
                    "person": person,
                    "group": draw(st.sampled_from(GROUPS)),
                    "start": start,
                    "end": end,
                    "hours": Decimal(draw(st.integers(0, 60 * weeks * 100))) / 100,
                    "status": status,
                    "correction": correction,
                }
            )
        return rows

    # Per period: (quarter index, status, is a correction, rows), in the order they are made.
    reports = []
    for index, (period_start, period_end) in enumerate(QUARTERS):
        # Half the periods have an approved report with corrections, so that every kind of
        # correction turns up in a run.
        corrected = draw(st.booleans())
        statuses = draw(st.lists(st.sampled_from(ReportStatus.values), max_size=2))
        if corrected:
            statuses = [s for s in statuses if s == "rejected"] + ["approved"]
        # at most one non-rejected report per period
        kept = [s for s in statuses if s == "rejected"] + [s for s in statuses if s != "rejected"][
            :1
        ]
        for status in kept:
            reports.append(
                (index, status, False, draw_rows(period_start, period_end, status, False))
            )
        if corrected:
            # Corrections of the approved report: rejected ones, then at most one still open
            # (a draft or submitted correction) or approved (the original is then superseded).
            fixes = draw(
                st.lists(
                    st.sampled_from(["submitted", "approved", "rejected", "draft"]),
                    min_size=1,
                    max_size=2,
                )
            )
            fixes = [s for s in fixes if s == "rejected"] + [s for s in fixes if s != "rejected"][
                :1
            ]
            for status in fixes:
                reports.append(
                    (index, status, True, draw_rows(period_start, period_end, status, True))
                )
            if "approved" in fixes:
                original = len(reports) - len(fixes) - 1
                index_, _, _, rows = reports[original]
                for row in rows:
                    row["status"] = "superseded"
                reports[original] = (index_, "superseded", False, rows)
    as_of = CONTRACT_START + timedelta(days=draw(st.integers(-30, 420)))
    return clauses, reports, as_of


@pytest.mark.django_db
@settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(scenario=scenarios())
def test_database_path_agrees_with_brute_force(scenario):
    clauses, reports, as_of = scenario
    with transaction.atomic():
        contract = ContractFactory(start_date=CONTRACT_START, end_date=CONTRACT_END)
        saved = []
        for spec in clauses:
            clause = SocialClauseFactory(
                contract=contract,
                kind="dialogue" if spec["target"] is None else "numeric",
                employment_types=sorted(spec["types"]),
                full_time_hours_per_week=spec["full_time"],
                first_start_within_days=spec["first_days"],
                requires_matcher_confirmation=spec["confirm"],
                metric=spec["metric"],
                target=spec["target"],
                start_date=spec["start"],
                due_date=spec["due"],
                min_placement_weeks=spec["min_weeks"],
                tolerance_pct=spec["tolerance"],
                target_groups=list(spec["groups"]),
            )
            for when, value in spec["milestones"]:
                ClauseMilestone.objects.create(clause=clause, date=when, cumulative_target=value)
            saved.append((clause, spec))
        groups = {group.code: group for group in TargetGroup.objects.all()}
        all_rows = []
        originals: dict[int, PlacementReport] = {}
        for index, status, correction, rows in reports:
            report = ReportFactory(
                contract=contract,
                period_start=QUARTERS[index][0],
                period_end=QUARTERS[index][1],
                status=status,
                corrects=originals[index] if correction else None,
            )
            if not correction:
                originals[index] = report
            PlacementRow.objects.bulk_create(
                PlacementRow(
                    report=report,
                    participant_ref=row["person"],
                    target_group=groups[row["group"]],
                    start_date=row["start"],
                    end_date=row["end"],
                    hours=row["hours"],
                    employment_type=row["type"],
                    offered_on=row["offered"],
                    ended_by_participant=row["ended"],
                    verification=row["verification"],
                    verification_comment="disputed" if row["verification"] == "disputed" else "",
                )
                for row in rows
            )
            all_rows += rows

        results = {
            item.clause.id: item.evaluation
            for item in evaluate_clauses(
                as_of=as_of, contracts=Contract.objects.filter(pk=contract.pk)
            )
        }
        for clause, spec in saved:
            expected = brute_force(spec, all_rows, as_of)
            evaluation = results[clause.id]
            actual = {
                "expected": evaluation.expected,
                "reported": evaluation.reported,
                "verified": evaluation.verified,
                "status": evaluation.status,
                "first_start": evaluation.first_start,
            }
            assert actual == expected, (spec, as_of)

        # The pure engine, given the rows with their reports' status and whether each report is
        # a correction, agrees with the SQL totals on every figure.
        facts = [
            RowFact(ref, group, start, end, hours, status, corrects is not None, *new_facts)
            for ref, group, start, end, hours, status, corrects, *new_facts in (
                PlacementRow.objects.filter(report__contract=contract).values_list(
                    "participant_ref",
                    "target_group__code",
                    "start_date",
                    "end_date",
                    "hours",
                    "report__status",
                    "report__corrects_id",
                    "employment_type",
                    "offered_on",
                    "ended_by_participant",
                    "verification",
                )
            )
        ]
        for clause in clauses_for_evaluation(Contract.objects.filter(pk=contract.pk)):
            assert evaluate_clause(clause_terms(clause), facts, as_of) == results[clause.id]
        transaction.set_rollback(True)


def _world(contracts: int) -> None:
    """``contracts`` contracts with a clause per metric (with the options of the Swedish model)
    and a report with rows."""
    for _ in range(contracts):
        contract = ContractFactory()
        for metric in Metric.values:
            clause = SocialClauseFactory(
                contract=contract,
                metric=metric,
                target_groups=["youth"],
                employment_types=["employment"],
                first_start_within_days=30,
                requires_matcher_confirmation=True,
                min_placement_weeks=4,
            )
            ClauseMilestone.objects.create(
                clause=clause, date=date(2024, 6, 30), cumulative_target=2
            )
        report = ReportFactory(contract=contract, status=ReportStatus.APPROVED)
        RowFactory.create_batch(3, report=report)


@pytest.mark.django_db
@pytest.mark.parametrize("contracts", [2, 25])
def test_evaluating_every_clause_takes_five_queries_whatever_the_size(
    contracts, django_assert_num_queries
):
    _world(contracts)

    # The three aggregates over the rows (sums, placements, first starts), the clauses and
    # their milestones.
    with django_assert_num_queries(5):
        evaluations = evaluate_clauses(as_of=date(2024, 9, 1))

    assert len(evaluations) == len(Metric.values) * contracts
    assert {item.evaluation.status for item in evaluations} <= set(ClauseStatus.values)


@pytest.mark.django_db
@pytest.mark.parametrize("contracts", [2, 25])
def test_a_full_compliance_run_takes_a_constant_number_of_queries(
    contracts, django_assert_max_num_queries
):
    from contracts.services import compliance_run

    _world(contracts)
    Contract.objects.update(status="active")

    # 18 on PostgreSQL; SQLite (at most 999 variables per statement) writes the 25 contracts'
    # 125 new alerts in two batches.
    with django_assert_max_num_queries(18 if connection.vendor == "postgresql" else 19):
        result = compliance_run(as_of=date(2024, 9, 1))

    assert result.snapshots == len(Metric.values) * contracts


@pytest.mark.django_db
def test_rows_of_other_contracts_and_unsaved_statuses_do_not_leak_between_clauses():
    first = SocialClauseFactory(metric=Metric.PLACEMENT_WEEKS, target=100)
    second = SocialClauseFactory(metric=Metric.PLACEMENT_WEEKS, target=100)
    report = ReportFactory(contract=first.contract, status=ReportStatus.SUBMITTED)
    RowFactory(report=report, start_date=date(2024, 1, 1), end_date=date(2024, 1, 14))

    results = {item.clause.id: item.evaluation for item in evaluate_clauses(as_of=date(2024, 3, 1))}

    assert results[first.id].reported == Decimal("2.00")
    assert results[first.id].verified == Decimal("0.00")
    assert results[second.id].reported == Decimal("0.00")
    assert PlacementReport.objects.count() == 1
    assert SocialClause.objects.count() == 2


@pytest.mark.django_db
def test_each_evaluation_carries_what_callers_read_of_its_clause():
    """evaluate_clauses gives plain clause values, not model instances (docs/PERFORMANCE.md):
    they must show what the model would for every attribute the callers use."""
    clause = SocialClauseFactory(metric=Metric.HOURS, target=Decimal("12.50"))

    (item,) = evaluate_clauses(as_of=date(2024, 3, 1))

    model = SocialClause.objects.select_related("contract").get(pk=clause.pk)
    seen = item.clause
    assert (seen.id, seen.pk, seen.contract_id) == (model.id, model.pk, model.contract_id)
    assert (seen.contract.id, seen.contract.pk) == (model.contract.id, model.contract.pk)
    assert seen.contract.reference == model.contract.reference
    for name in (
        "metric",
        "target",
        "start_date",
        "due_date",
        "min_placement_weeks",
        "tolerance_pct",
        "penalty_per_unit_sek",
    ):
        assert getattr(seen, name) == getattr(model, name), name
    assert seen.get_metric_display() == model.get_metric_display()
    assert str(seen) == str(model)
