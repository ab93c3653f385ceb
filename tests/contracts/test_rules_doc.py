"""The worked examples of docs/RULES.md, read from the document and checked against the code.

Each example is a fenced ``yaml`` block that starts with ``example:``; its figures are the ones a
reader sees, so a change to a rule that the document does not follow fails here.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.contrib.auth.models import User

from contracts.compliance import ClauseTerms, RowFact, evaluate_clause
from contracts.models import Alert, AlertNotification, Contract
from contracts.schedule import ReportRef, build_schedule, reporting_periods
from contracts.selectors import evaluate_clauses
from contracts.services import compliance_run
from internships import services as report_services
from internships.choices import ReportStatus
from tests.factories import (
    ContractFactory,
    ContractorUserFactory,
    ReportFactory,
    RowFactory,
    SocialClauseFactory,
    UserFactory,
)

RULES = Path(settings.BASE_DIR) / "docs" / "RULES.md"
BLOCK = re.compile(r"^```yaml\n(example:.*?)^```$", re.MULTILINE | re.DOTALL)


def _examples() -> dict[str, dict]:
    examples = {}
    for text in BLOCK.findall(RULES.read_text(encoding="utf-8")):
        example = yaml.safe_load(text)
        assert example["example"] not in examples, f"two examples named {example['example']}"
        examples[example["example"]] = example
    return examples


EXAMPLES = _examples()
EVALUATIONS = [name for name, example in EXAMPLES.items() if "evaluations" in example]


def test_the_document_has_every_kind_of_worked_example():
    assert set(EVALUATIONS) >= {
        "design-worked-example",
        "milestones",
        "hours-pro-rata",
        "fte-months",
        "first-start",
        "seventy-five-percent",
        "matcher-confirmation",
        "dialogue",
    }
    assert {"correction", "schedule-mid-quarter", "alerts"} <= set(EXAMPLES)


def test_the_sections_are_numbered_so_code_can_cite_them():
    headings = re.findall(r"^#{2,3} (\S+)", RULES.read_text(encoding="utf-8"), re.MULTILINE)
    assert headings, "no sections"
    assert all(re.fullmatch(r"\d+\.(\d+)?", number) for number in headings), headings


def _terms(clause: dict) -> ClauseTerms:
    target = clause.get("target")
    return ClauseTerms(
        metric=clause["metric"],
        target=None if target is None else Decimal(target),
        kind=clause.get("kind", "numeric"),
        employment_types=frozenset(clause.get("employment_types", ())),
        full_time_hours_per_week=Decimal(clause.get("full_time_hours_per_week", 40)),
        first_start_within_days=clause.get("first_start_within_days"),
        requires_matcher_confirmation=clause.get("requires_matcher_confirmation", False),
        start_date=clause["start_date"],
        due_date=clause["due_date"],
        min_placement_weeks=Decimal(clause.get("min_placement_weeks", 0)),
        tolerance_pct=Decimal(clause.get("tolerance_pct", 10)),
        penalty_per_unit_sek=Decimal(clause.get("penalty_per_unit_sek", 0)),
        target_groups=frozenset(clause.get("target_groups", ())),
        milestones=tuple((day, Decimal(value)) for day, value in clause.get("milestones", ())),
    )


def _row(participant, group, start, end, hours, status, facts=None) -> RowFact:
    """A row of an example; ``facts`` (optional) are the Swedish model's (docs/RULES.md §7):
    employment_type, offered_on, ended_by_participant, verification."""
    return RowFact(participant, group, start, end, Decimal(hours), status, **(facts or {}))


@pytest.mark.parametrize("name", EVALUATIONS)
def test_the_evaluation_examples_are_what_the_engine_computes(name):
    example = EXAMPLES[name]
    terms = _terms(example["clause"])
    rows = [_row(*row) for row in example["rows"]]
    for stated in example["evaluations"]:
        evaluation = evaluate_clause(terms, rows, stated["as_of"])
        for field, value in stated.items():
            computed = getattr(evaluation, field)
            shown = f"{computed:.2f}" if isinstance(computed, Decimal) else computed
            assert shown == value, f"{name} as of {stated['as_of']}: {field}"


def _reported_and_verified(clause, as_of: date) -> dict[str, str]:
    (item,) = [
        item
        for item in evaluate_clauses(
            as_of=as_of, contracts=Contract.objects.filter(pk=clause.contract_id)
        )
        if item.clause.pk == clause.pk
    ]
    return {
        "reported": f"{item.evaluation.reported:.2f}",
        "verified": f"{item.evaluation.verified:.2f}",
    }


def _rows(report, rows) -> None:
    from contracts.models import TargetGroup

    for participant, group, start, end, hours in rows:
        RowFactory(
            report=report,
            participant_ref=participant,
            target_group=TargetGroup.objects.get(code=group),
            start_date=start,
            end_date=end,
            hours=Decimal(hours),
        )


@pytest.mark.django_db
def test_the_correction_example_is_what_the_database_path_computes():
    example = EXAMPLES["correction"]
    clause_terms = example["clause"]
    contract = ContractFactory(start_date=date(2024, 1, 1), end_date=date(2025, 12, 31))
    clause = SocialClauseFactory(
        contract=contract,
        metric=clause_terms["metric"],
        target=Decimal(clause_terms["target"]),
        start_date=clause_terms["start_date"],
        due_date=clause_terms["due_date"],
    )
    original = ReportFactory(contract=contract, status=ReportStatus.APPROVED)
    _rows(original, example["approved"])
    correction = ReportFactory(
        contract=contract,
        status=ReportStatus.SUBMITTED,
        corrects=original,
        period_start=original.period_start,
        period_end=original.period_end,
    )
    _rows(correction, example["correction"])

    assert _reported_and_verified(clause, example["as_of"]) == example["while_submitted"]

    officer = User.objects.create_superuser("granskare", "granskare@example.se", "x")
    report_services.report_approve(report=correction, user=officer)
    original.refresh_from_db()
    once_approved = dict(example["once_approved"])
    assert original.status == once_approved.pop("corrected_status")
    assert _reported_and_verified(clause, example["as_of"]) == once_approved


def test_the_schedule_example_is_what_the_schedule_computes():
    example = EXAMPLES["schedule-mid-quarter"]
    contract = example["contract"]
    periods = reporting_periods(
        start_date=contract["start_date"],
        end_date=contract["end_date"],
        frequency=contract["reporting_frequency"],
        grace_days=contract["report_grace_days"],
    )
    reports = {
        start: ReportRef(id=number, status=status)
        for number, (start, status) in enumerate(example["reports"].items(), start=1)
    }

    entries = build_schedule(periods, reports=reports, as_of=example["as_of"])

    assert [
        [entry.period_start, entry.period_end, entry.due_date, entry.state] for entry in entries
    ] == example["periods"]


def _alerts(contract) -> list[list]:
    return sorted(
        [alert.kind, alert.period_start, alert.state]
        for alert in Alert.objects.filter(contract=contract)
    )


@pytest.mark.django_db
def test_the_alert_example_is_what_a_compliance_run_does():
    example = EXAMPLES["alerts"]
    terms = example["contract"]
    contract = ContractFactory(
        start_date=terms["start_date"],
        end_date=terms["end_date"],
        reporting_frequency=terms["reporting_frequency"],
        report_grace_days=terms["report_grace_days"],
    )
    officer = UserFactory(username="officer")
    contract.procurement.officer = officer
    contract.procurement.save()
    ContractorUserFactory(username="contractor", contractor=contract.contractor)
    clause_terms = example["clause"]
    SocialClauseFactory(
        contract=contract,
        metric=clause_terms["metric"],
        target=Decimal(clause_terms["target"]),
        start_date=clause_terms["start_date"],
        due_date=clause_terms["due_date"],
    )
    only_this = Contract.objects.filter(pk=contract.pk)

    compliance_run(as_of=example["as_of"], contracts=only_this)
    assert _alerts(contract) == sorted(example["before"])
    told = {
        kind: sorted(
            AlertNotification.objects.filter(
                alert__contract=contract, alert__kind=kind
            ).values_list("recipient__username", flat=True)
        )
        for kind in example["recipients"]
    }
    assert told == example["recipients"]

    stated = example["report"]
    (period,) = [p for p in contract.reporting_periods() if p.start == stated["period_start"]]
    report = ReportFactory(
        contract=contract, period_start=period.start, period_end=period.end, status=stated["status"]
    )
    _rows(report, stated["rows"])
    compliance_run(as_of=example["as_of"], contracts=only_this)

    assert _alerts(contract) == sorted(example["after"])
