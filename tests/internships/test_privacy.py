"""Retention and data-subject requests (issue 6): references become irreversible tokens, every
aggregate stays the same, the audit history keeps no old reference, the personnummer never
appears."""

from __future__ import annotations

import io
import json
import logging
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command

from contracts.choices import Metric
from contracts.models import Contract
from contracts.selectors import evaluate_clauses
from internships import services
from internships.choices import ReportStatus
from internships.models import PlacementRow
from internships.privacy import ANON_PREFIX, retention_apply, retention_cutoff
from internships.pseudonyms import participant_ref_from
from tests.factories import (
    ContractFactory,
    ContractorUserFactory,
    ReportFactory,
    RowFactory,
    SocialClauseFactory,
)

pytestmark = pytest.mark.django_db
PERSONNUMMER = "19900101-0017"
TODAY = date(2032, 3, 1)


def _contract_with_rows(end: date, refs: list[str]) -> Contract:
    contract = ContractFactory(start_date=date(2024, 1, 1), end_date=end)
    SocialClauseFactory(contract=contract, metric=Metric.PLACEMENTS, target=Decimal(5))
    SocialClauseFactory(contract=contract, metric=Metric.HOURS, target=Decimal(500))
    periods = contract.reporting_periods()
    for index, period in enumerate(periods[:3]):
        report = ReportFactory(
            contract=contract,
            period_start=period.start,
            period_end=period.end,
            status=ReportStatus.APPROVED if index < 2 else ReportStatus.SUBMITTED,
        )
        for ref in refs:  # the same people come back: distinct counts must hold
            RowFactory(report=report, participant_ref=ref, notes=f"Anteckning om {ref}")
    return contract


def _figures() -> list[tuple]:
    return [
        (item.clause.id, item.evaluation)
        for item in evaluate_clauses(as_of=date(2025, 12, 31), contracts=Contract.objects.all())
    ]


def test_old_contracts_are_anonymised_with_every_figure_unchanged():
    pseudonym = participant_ref_from(personnummer=PERSONNUMMER)
    old = _contract_with_rows(date(2025, 12, 31), ["A-1", "A-2", pseudonym])
    recent = _contract_with_rows(date(2030, 12, 31), ["B-1", pseudonym])
    before = _figures()
    assert retention_cutoff(TODAY) == date(2027, 3, 1)

    result = retention_apply(as_of=TODAY)

    assert (result.contracts, result.participants, result.rows) == (1, 3, 9)
    assert _figures() == before  # every total, status and penalty
    old_refs = set(PlacementRow.objects.filter(report__contract=old).values_list(
        "participant_ref", flat=True))  # fmt: skip
    assert len(old_refs) == 3 and all(ref.startswith(ANON_PREFIX) for ref in old_refs)
    assert not PlacementRow.objects.filter(report__contract=old).exclude(notes="").exists()
    # The audit history of those rows keeps no old reference and no note either.
    history = PlacementRow.history.filter(report__contract=old)
    assert history.exists()
    assert not history.exclude(participant_ref__startswith=ANON_PREFIX).exists()
    assert not history.exclude(notes="").exists()
    # A recent contract is untouched, the same person there included.
    assert set(PlacementRow.objects.filter(report__contract=recent).values_list(
        "participant_ref", flat=True)) == {"B-1", pseudonym}  # fmt: skip


def test_retention_is_idempotent_and_a_dry_run_changes_nothing():
    _contract_with_rows(date(2025, 12, 31), ["A-1", "A-2"])
    dry = retention_apply(as_of=TODAY, dry_run=True)
    assert dry.participants == 2
    assert not PlacementRow.objects.filter(participant_ref__startswith=ANON_PREFIX).exists()
    retention_apply(as_of=TODAY)
    refs = sorted(PlacementRow.objects.values_list("participant_ref", flat=True))
    again = retention_apply(as_of=TODAY)
    assert again.participants == 0
    assert sorted(PlacementRow.objects.values_list("participant_ref", flat=True)) == refs


def test_the_command_reports_what_it_did():
    _contract_with_rows(date(2025, 12, 31), ["A-1"])
    out = io.StringIO()
    call_command("apply_retention", as_of=TODAY.isoformat(), stdout=out)
    assert "anonymised 1 participants in 1 contracts" in out.getvalue()


def test_data_subject_export_and_erasure_never_show_the_personnummer(tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    pseudonym = participant_ref_from(personnummer=PERSONNUMMER)
    contract = _contract_with_rows(date(2030, 12, 31), [pseudonym, "X-9"])
    # A change in the history too: a correction of the first approved report.
    user = ContractorUserFactory(username="dsr-bygg", contractor=contract.contractor)
    first = contract.reports.filter(status=ReportStatus.APPROVED).order_by("period_start").first()
    services.report_correct(report=first, user=user, reason="Fel roll.")
    target = tmp_path / "export.json"
    out = io.StringIO()
    call_command("participant_data", personnummer=PERSONNUMMER, export=str(target), stdout=out)
    data = json.loads(target.read_text())
    assert len(data["rows"]) == 4  # three reports and the correction's copy
    assert {row["participant_ref"] for row in data["rows"]} == {pseudonym}
    assert data["history"] and all(h["participant_ref"] == pseudonym for h in data["history"])
    before = _figures()

    call_command("participant_data", personnummer=PERSONNUMMER, erase=True, stdout=out)

    assert not PlacementRow.objects.filter(participant_ref=pseudonym).exists()
    assert not PlacementRow.history.filter(participant_ref=pseudonym).exists()
    assert PlacementRow.objects.filter(participant_ref="X-9").count() == 4  # others untouched
    assert _figures() == before
    shown = out.getvalue() + target.read_text() + caplog.text
    for form in (PERSONNUMMER, PERSONNUMMER.replace("-", ""), "900101-0017", "9001010017"):
        assert form not in shown


def test_an_invalid_personnummer_is_refused_without_echoing_it():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError) as refused:
        call_command("participant_data", personnummer="19900101-0018", erase=True)
    assert "0018" not in str(refused.value)


def test_the_data_subject_export_holds_the_rows_facts_about_the_person(tmp_path):
    from procurement.models import District

    pseudonym = participant_ref_from(personnummer=PERSONNUMMER)
    district = District.objects.create(name="Exportstaden")
    report = ReportFactory(status=ReportStatus.APPROVED)
    RowFactory(
        report=report,
        participant_ref=pseudonym,
        employment_type="employment",
        offered_on=report.period_start,
        ended_by_participant=True,
        gender="woman",
        born_abroad="yes",
        age_band="30-49",
        home_district=district,
    )
    target = tmp_path / "export.json"

    call_command(
        "participant_data", personnummer=PERSONNUMMER, export=str(target), stdout=io.StringIO()
    )

    [row] = json.loads(target.read_text())["rows"]
    assert {
        key: row[key]
        for key in (
            "employment_type",
            "offered_on",
            "ended_by_participant",
            "gender",
            "born_abroad",
            "age_band",
            "home_district",
        )
    } == {
        "employment_type": "employment",
        "offered_on": report.period_start.isoformat(),
        "ended_by_participant": True,
        "gender": "woman",
        "born_abroad": "yes",
        "age_band": "30-49",
        "home_district": "Exportstaden",
    }
    [created] = json.loads(target.read_text())["history"]
    assert created["home_district"] == "Exportstaden"
