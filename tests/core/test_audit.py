"""The audit trail (issue 6): who created, changed and deleted what and when — through the API,
the file import and the admin — and who read participant-level rows."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from rest_framework.test import APIClient

from contracts.choices import AlertKind
from contracts.models import Alert
from core.models import ReadLog
from internships.choices import ReportStatus
from internships.models import PlacementReport, PlacementRow
from tests.factories import (
    ContractFactory,
    ContractorUserFactory,
    ReportFactory,
    RowFactory,
    SocialClauseFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def contract(db):
    contract = ContractFactory()
    SocialClauseFactory(contract=contract)
    return contract


@pytest.fixture
def contractor_user(contract):
    return ContractorUserFactory(username="audit-bygg", contractor=contract.contractor)


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_report_transitions_are_recorded_with_who_and_what(contract, contractor_user, officer):
    report = ReportFactory(contract=contract)
    RowFactory(report=report)
    assert _api(contractor_user).post(f"/api/v1/reports/{report.pk}/submit/").status_code == 200
    assert _api(officer).post(f"/api/v1/reports/{report.pk}/approve/", {}).status_code == 200
    history = list(report.history.order_by("history_date"))
    statuses = [(h.status, h.history_user) for h in history]
    assert statuses[-2:] == [
        (ReportStatus.SUBMITTED, contractor_user),
        (ReportStatus.APPROVED, officer),
    ]
    delta = history[-1].diff_against(history[-2])
    assert "status" in delta.changed_fields


def test_a_file_import_records_every_row_created_and_replaced(contract, contractor_user):
    period = contract.reporting_periods()[0]
    lines = ["deltagare;målgrupp;startdatum;slutdatum;timmar"] + [
        f"P-{n};youth;{period.start};{period.start};4" for n in range(5)
    ]
    response = _api(contractor_user).post(
        "/api/v1/reports/import/",
        {
            "file": SimpleUploadedFile("r.csv", "\n".join(lines).encode()),
            "contract": contract.pk,
            "period_start": period.start.isoformat(),
            "period_end": period.end.isoformat(),
        },
        format="multipart",
    )
    assert response.status_code == 201
    created = PlacementRow.history.filter(history_type="+")
    assert created.count() == 5
    assert {h.history_user for h in created} == {contractor_user}
    report = PlacementReport.objects.get()
    # Replacing the rows (a full update of the draft) records the deletions too.
    replaced = _api(contractor_user).patch(
        f"/api/v1/reports/{report.pk}/", {"rows": []}, format="json"
    )
    assert replaced.status_code == 200
    assert PlacementRow.history.filter(history_type="-").count() == 5


def test_alert_acknowledgement_is_recorded(manager, contract):
    alert = Alert.objects.create(kind=AlertKind.CLAUSE_BEHIND, contract=contract)
    assert _api(manager).post(f"/api/v1/alerts/{alert.pk}/acknowledge/").status_code == 200
    latest = alert.history.latest()
    assert latest.state == "acknowledged" and latest.history_user == manager


def test_officer_reads_of_rows_are_logged_but_a_contractors_own_are_not(
    contract, contractor_user, officer
):
    report = ReportFactory(contract=contract, status=ReportStatus.SUBMITTED)
    rows = [RowFactory(report=report) for _ in range(3)]
    assert _api(contractor_user).get(f"/api/v1/reports/{report.pk}/").status_code == 200
    assert not ReadLog.objects.exists()
    assert _api(officer).get(f"/api/v1/reports/{report.pk}/").status_code == 200
    [read] = ReadLog.objects.all()
    assert read.user == officer and read.count == 3
    assert set(read.object_ids.split(",")) == {str(row.pk) for row in rows}


def test_admin_review_page_logs_the_read_and_shows_the_history(client, contract):
    staff = UserFactory(username="audit-officer", groups=["officers"], is_staff=True)
    report = ReportFactory(contract=contract, status=ReportStatus.SUBMITTED)
    RowFactory(report=report)
    client.force_login(staff)
    client.get(reverse("admin:internships_placementreport_review", args=[report.pk]))
    assert ReadLog.objects.filter(user=staff, what__contains="review").count() == 1
    history = client.get(reverse("admin:internships_placementreport_history", args=[report.pk]))
    assert history.status_code == 200


def test_export_audit_writes_changes_and_reads_as_csv(contract, contractor_user, officer, tmp_path):
    report = ReportFactory(contract=contract)
    RowFactory(report=report, notes='=HYPERLINK("http://evil")')
    _api(contractor_user).post(f"/api/v1/reports/{report.pk}/submit/")
    _api(officer).get(f"/api/v1/reports/{report.pk}/")
    target = tmp_path / "audit.csv"
    call_command("export_audit", output=str(target), stderr=io.StringIO())
    rows = list(csv.reader(target.open(encoding="utf-8-sig")))
    assert rows[0] == ["when", "user", "action", "object", "object_id", "changes", "reason"]
    changed = [r for r in rows if r[3] == "placementreport" and r[2] == "changed"]
    assert any(r[1] == "audit-bygg" and "status: draft → submitted" in r[5] for r in changed)
    assert any(r[2] == "read" and r[1] == officer.username for r in rows)
