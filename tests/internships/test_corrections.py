"""Report corrections (issue 6): a contractor amends an approved report with a reason; the
correction is reviewed; every version is kept; compliance counts the latest approved version."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from rest_framework.test import APIClient

from contracts.choices import Metric
from contracts.models import Contract
from contracts.selectors import contract_schedule, evaluate_clauses
from internships import services
from internships.choices import ReportStatus
from internships.models import PlacementReport
from tests.factories import (
    ContractFactory,
    ContractorUserFactory,
    ReportFactory,
    RowFactory,
    SocialClauseFactory,
)

pytestmark = pytest.mark.django_db
AS_OF = date(2025, 12, 31)


@pytest.fixture
def setup(officer):
    contract = ContractFactory(start_date=date(2024, 1, 1), end_date=date(2025, 12, 31))
    SocialClauseFactory(contract=contract, metric=Metric.PLACEMENTS, target=Decimal(10))
    user = ContractorUserFactory(username="rättare", contractor=contract.contractor)
    report = ReportFactory(contract=contract, status=ReportStatus.APPROVED)
    for ref in ("A", "B", "C"):
        RowFactory(report=report, participant_ref=ref)
    return contract, user, report


def _figures(contract: Contract) -> tuple[Decimal, Decimal]:
    [item] = evaluate_clauses(as_of=AS_OF, contracts=Contract.objects.filter(pk=contract.pk))
    return item.evaluation.reported, item.evaluation.verified


def test_the_approved_version_counts_until_the_correction_is_approved(setup, officer):
    contract, user, report = setup
    assert _figures(contract) == (3, 3)
    correction = services.report_correct(report=report, user=user, reason="C hoppade av.")
    assert correction.rows.count() == 3 and correction.corrects == report
    correction.rows.get(participant_ref="C").delete()
    RowFactory(report=correction, participant_ref="D")
    RowFactory(report=correction, participant_ref="E")
    assert _figures(contract) == (3, 3)  # a draft correction changes nothing
    services.report_submit(report=correction, user=user)
    assert _figures(contract) == (3, 3)  # nor a submitted one: it is not approved yet
    entry = next(e for e in contract_schedule(contract, as_of=AS_OF) if e.report == report.pk)
    assert entry.state == "received"
    services.report_approve(report=correction, user=officer)
    report.refresh_from_db()
    assert report.status == ReportStatus.SUPERSEDED  # kept, no longer counted
    assert _figures(contract) == (4, 4)  # A, B, D, E
    entry = next(e for e in contract_schedule(contract, as_of=AS_OF) if e.report == correction.pk)
    assert entry.state == "received"
    assert PlacementReport.objects.filter(contract=contract).count() == 2  # every version kept


def test_a_rejected_correction_leaves_the_approved_version_counting(setup, officer):
    contract, user, report = setup
    correction = services.report_correct(report=report, user=user, reason="Fel timmar.")
    correction.rows.all().delete()
    services.report_submit(report=correction, user=user)
    services.report_reject(report=correction, user=officer, comment="Raderna behövs.")
    report.refresh_from_db()
    assert report.status == ReportStatus.APPROVED and _figures(contract) == (3, 3)
    # ... and a new correction may be started.
    assert services.report_correct(report=report, user=user, reason="Nytt försök.").pk


def test_a_correction_needs_a_reason_an_approved_report_and_no_other_open_correction(setup):
    contract, user, report = setup
    with pytest.raises(ValidationError):
        services.report_correct(report=report, user=user, reason="  ")
    draft = ReportFactory(
        contract=contract,
        period_start=contract.reporting_periods()[1].start,
        period_end=contract.reporting_periods()[1].end,
    )
    with pytest.raises(services.TransitionError):
        services.report_correct(report=draft, user=user, reason="x")
    services.report_correct(report=report, user=user, reason="första")
    with pytest.raises(services.TransitionError):
        services.report_correct(report=report, user=user, reason="andra")
    # The database refuses a second open correction or a second open original too.
    with pytest.raises(IntegrityError), transaction.atomic():
        PlacementReport.objects.create(
            contract=contract,
            period_start=report.period_start,
            period_end=report.period_end,
            corrects=report,
        )


def test_another_contractor_cannot_correct(setup):
    _contract, _user, report = setup
    stranger = ContractorUserFactory(username="främling")
    response = _api(stranger).post(f"/api/v1/reports/{report.pk}/correct/", {"reason": "x"})
    assert response.status_code == 404


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_correction_through_the_api_and_its_versions(setup, officer):
    _contract, user, report = setup
    response = _api(user).post(f"/api/v1/reports/{report.pk}/correct/", {"reason": "Fel datum."})
    assert response.status_code == 201
    body = response.json()
    assert body["corrects"] == report.pk and body["status"] == "draft"
    assert body["correction_reason"] == "Fel datum." and len(body["rows"]) == 3
    missing = _api(user).post(f"/api/v1/reports/{report.pk}/correct/", {})
    assert missing.status_code == 400 and "reason" in missing.json()


def test_portal_shows_every_version_and_starts_a_correction(client, setup, officer):
    contract, user, report = setup
    client.force_login(user)
    page = client.get(reverse("portal:report", args=[report.pk])).content.decode()
    assert reverse("portal:report-correct", args=[report.pk]) in page
    response = client.post(
        reverse("portal:report-correct", args=[report.pk]), {"reason": "B slutade tidigare."}
    )
    correction = PlacementReport.objects.get(corrects=report)
    assert response["Location"] == reverse(
        "portal:report-edit", args=[contract.pk, report.period_start.isoformat()]
    )
    edit = client.get(response["Location"])
    assert edit.status_code == 200 and edit.context["report"] == correction
    services.report_submit(report=correction, user=user)
    services.report_approve(report=correction, user=officer)
    page = client.get(reverse("portal:report", args=[correction.pk]))
    assert [v.pk for v in page.context["versions"]] == [report.pk, correction.pk]
    assert "report-superseded" in page.content.decode()
