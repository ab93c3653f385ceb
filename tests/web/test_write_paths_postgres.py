"""Every portal, admin, dashboard and API write, driven as the browser and a client drive them,
on PostgreSQL and outside a test transaction (issue 12, point 1).

Each test commits for real (``transaction=True``): a row lock taken outside a transaction, an
``on_commit`` hook, a constraint checked at commit show here as they do in production. The
seeded data (role groups, target groups) is restored after each test (``serialized_rollback``).
Each write asserts what the user sees and what the database holds afterwards; each refusal, that
the database is unchanged.
"""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from django.core import mail
from django.core.cache import cache
from django.urls import reverse
from rest_framework.test import APIClient

from contracts.choices import AlertKind, AlertState, Metric
from contracts.models import Alert
from internships.choices import ReportStatus
from internships.models import PlacementReport, PlacementRow
from tests.factories import (
    ContractFactory,
    ContractorFactory,
    ContractorUserFactory,
    ReportFactory,
    RowFactory,
    SocialClauseFactory,
)

pytestmark = [pytest.mark.django_db(transaction=True, serialized_rollback=True)]

API = "/api/v1/"
Q1, Q2, Q3 = "2025-01-01", "2025-04-01", "2025-07-01"


@pytest.fixture(autouse=True)
def _isolated_throttles(settings):
    # Throttle counters in a cache of this module's own, never a shared Redis.
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "w"}
    }
    cache.clear()


@pytest.fixture
def client(client, settings):
    """A browser that asked for English, so that messages are compared in the source language."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def world(postgres, officer):
    contractor = ContractorFactory(name="Vätterbygg AB")
    user = ContractorUserFactory(username="bygg-anna", contractor=contractor)
    contract = ContractFactory(
        reference="K-2025-001",
        contractor=contractor,
        start_date=date(2025, 1, 1),
        end_date=date(2026, 12, 31),
    )
    clause = SocialClauseFactory(contract=contract, metric=Metric.PLACEMENTS, target=Decimal(8))
    officer.is_staff = True
    officer.save()
    return {"contract": contract, "clause": clause, "user": user, "officer": officer}


def _snapshot() -> list[tuple]:
    """Every report and row as stored, to compare before and after a refused write."""
    reports = list(PlacementReport.objects.order_by("pk").values_list())
    rows = list(PlacementRow.objects.order_by("pk").values_list())
    return [*reports, *rows]


def _alerts() -> list[tuple]:
    return list(Alert.objects.order_by("pk").values_list())


def _rows_post(rows: list[dict]) -> dict:
    data = {
        "rows-TOTAL_FORMS": str(len(rows)),
        "rows-INITIAL_FORMS": "0",
        "rows-MIN_NUM_FORMS": "0",
        "rows-MAX_NUM_FORMS": "1000",
        "save": "1",
    }
    for index, row in enumerate(rows):
        for key, value in row.items():
            data[f"rows-{index}-{key}"] = value
    return data


def _form_row(ref: str, hours: str = "120") -> dict:
    return {
        "participant_ref": ref,
        "personnummer": "",
        "target_group": "newly_arrived",
        "start_date": "2025-01-06",
        "end_date": "2025-02-28",
        "hours": hours,
        "role": "Snickare",
        "notes": "",
    }


def _csv(lines: list[str]) -> io.BytesIO:
    upload = io.BytesIO(("\n".join(lines) + "\n").encode("utf-8"))
    upload.name = "rapport.csv"
    return upload


def _messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


# --- The contractor portal ----------------------------------------------------------------------


def test_portal_creates_edits_submits_a_typed_report(client, world):
    contract, user = world["contract"], world["user"]
    client.force_login(user)
    url = reverse("portal:report-edit", args=[contract.pk, Q1])

    created = client.post(url, _rows_post([_form_row("D-1"), _form_row("D-2")]), follow=True)
    report = PlacementReport.objects.get(contract=contract)
    assert created.redirect_chain[-1][0] == reverse("portal:report", args=[report.pk])
    assert "The draft is saved. Submit it when it is complete." in _messages(created)
    assert report.status == ReportStatus.DRAFT
    assert sorted(report.rows.values_list("participant_ref", flat=True)) == ["D-1", "D-2"]

    edited = client.post(url, _rows_post([_form_row("D-3", hours="8")]))
    assert edited.status_code == 302
    assert list(report.rows.values_list("participant_ref", "hours")) == [("D-3", Decimal(8))]

    submitted = client.post(reverse("portal:report-submit", args=[report.pk]), follow=True)
    assert "The report has been submitted for review. Thank you!" in _messages(submitted)
    report.refresh_from_db()
    assert report.status == ReportStatus.SUBMITTED and report.submitted_by == user
    assert report.contract.__class__.objects.get(pk=contract.pk).evaluation_requested_at


def test_portal_uploads_a_file_into_a_new_draft_and_into_a_draft(client, world):
    contract = world["contract"]
    client.force_login(world["user"])
    header = "deltagare;målgrupp;startdatum;slutdatum;timmar"
    upload_url = reverse("portal:upload", args=[contract.pk])

    response = client.post(
        upload_url,
        {"period": Q2, "file": _csv([header, "U-1;youth;2025-04-07;2025-05-30;40"])},
        follow=True,
    )
    report = PlacementReport.objects.get(contract=contract, period_start=date(2025, 4, 1))
    assert response.redirect_chain[-1][0] == reverse("portal:report", args=[report.pk])
    assert any(message.startswith("1 ") for message in _messages(response))
    assert list(report.rows.values_list("participant_ref", flat=True)) == ["U-1"]

    # Into a draft with rows: the portal asks first (nothing is replaced yet), then replaces.
    asked = client.post(
        upload_url,
        {"period": Q2, "file": _csv([header, "U-2;youth;2025-04-07;2025-04-30;8"] * 1)},
    )
    assert list(report.rows.values_list("participant_ref", flat=True)) == ["U-1"]
    client.post(
        upload_url,
        {"pending": asked.context["pending"].token, "period": Q2, "confirm": "replace"},
    )
    assert PlacementReport.objects.filter(contract=contract).count() == 1
    assert list(report.rows.values_list("participant_ref", flat=True)) == ["U-2"]


def test_portal_deletes_a_draft_on_postgres(client, world):
    """The defect of issue 12: the delete locked a row outside a transaction."""
    report = ReportFactory(contract=world["contract"])
    RowFactory(report=report)
    client.force_login(world["user"])

    response = client.post(reverse("portal:report-delete", args=[report.pk]), follow=True)

    assert response.redirect_chain[-1][0] == reverse("portal:contract", args=[report.contract_id])
    assert "The draft has been deleted." in _messages(response)
    assert not PlacementReport.objects.filter(pk=report.pk).exists()
    assert not PlacementRow.objects.filter(report_id=report.pk).exists()


def test_portal_refuses_to_delete_a_submitted_report_and_changes_nothing(client, world):
    report = ReportFactory(contract=world["contract"], status=ReportStatus.SUBMITTED)
    RowFactory(report=report)
    client.force_login(world["user"])
    before = _snapshot()

    response = client.post(reverse("portal:report-delete", args=[report.pk]), follow=True)

    assert response.redirect_chain[-1][0] == reverse("portal:report", args=[report.pk])
    assert any("Only a draft can be deleted" in message for message in _messages(response))
    assert _snapshot() == before


def test_portal_starts_a_correction_of_an_approved_report(client, world):
    approved = ReportFactory(contract=world["contract"], status=ReportStatus.APPROVED)
    RowFactory(report=approved, participant_ref="A-1")
    client.force_login(world["user"])

    refused = client.post(reverse("portal:report-correct", args=[approved.pk]), {"reason": " "})
    assert refused.status_code == 200 and refused.context["form"].errors["reason"]
    assert PlacementReport.objects.count() == 1

    response = client.post(
        reverse("portal:report-correct", args=[approved.pk]), {"reason": "Fel timmar för A-1."}
    )
    correction = PlacementReport.objects.get(corrects=approved)
    assert response["Location"] == reverse("portal:report-edit", args=[approved.contract_id, Q1])
    assert correction.status == ReportStatus.DRAFT
    assert correction.correction_reason == "Fel timmar för A-1."
    assert list(correction.rows.values_list("participant_ref", flat=True)) == ["A-1"]
    approved.refresh_from_db()
    assert approved.status == ReportStatus.APPROVED  # counts until the correction is approved


# --- The officers' admin ------------------------------------------------------------------------


def test_admin_review_approves_then_offers_the_next_report(client, world):
    first = ReportFactory(contract=world["contract"], status=ReportStatus.SUBMITTED)
    RowFactory(report=first)
    waiting = ReportFactory(
        contract=world["contract"],
        period_start=date(2025, 4, 1),
        period_end=date(2025, 6, 30),
        status=ReportStatus.SUBMITTED,
    )
    client.force_login(world["officer"])
    url = reverse("admin:internships_placementreport_review", args=[first.pk])

    page = client.post(url, {"approve": "1", "comment": "Bra."}, follow=True)

    first.refresh_from_db()
    assert first.status == ReportStatus.APPROVED
    assert first.reviewed_by == world["officer"] and first.review_comment == "Bra."
    assert "The report was approved." in _messages(page)
    next_url = reverse("admin:internships_placementreport_review", args=[waiting.pk])
    assert page.context["next_report"] == waiting
    assert f'href="{next_url}"' in page.content.decode()


def test_admin_review_rejects_and_mails_the_contractor_after_commit(client, world):
    report = ReportFactory(contract=world["contract"], status=ReportStatus.SUBMITTED)
    client.force_login(world["officer"])
    url = reverse("admin:internships_placementreport_review", args=[report.pk])

    refused = client.post(url, {"reject": "1", "comment": "  "})
    assert refused.status_code == 200 and refused.context["form"].errors["comment"]
    report.refresh_from_db()
    assert report.status == ReportStatus.SUBMITTED and mail.outbox == []

    page = client.post(url, {"reject": "1", "comment": "Timmar saknas för D-2."}, follow=True)

    report.refresh_from_db()
    assert report.status == ReportStatus.REJECTED
    assert "The report was rejected." in _messages(page)
    # Nothing else waits: the page says so and links to the admin index.
    assert page.context["next_report"] is None
    assert f'href="{reverse("admin:index")}"' in page.content.decode()
    (message,) = mail.outbox
    assert message.to == [world["user"].email]
    assert "Timmar saknas för D-2." in message.body
    assert reverse("portal:report", args=[report.pk]) in message.body


def test_admin_deletes_only_drafts_and_only_through_the_service(client, world):
    draft = ReportFactory(contract=world["contract"])
    sent = ReportFactory(
        contract=world["contract"],
        period_start=date(2025, 4, 1),
        period_end=date(2025, 6, 30),
        status=ReportStatus.SUBMITTED,
    )
    client.force_login(world["officer"])
    before = _snapshot()

    refused = client.post(
        reverse("admin:internships_placementreport_delete", args=[sent.pk]), {"post": "yes"}
    )
    assert refused.status_code == 403
    assert _snapshot() == before

    deleted = client.post(
        reverse("admin:internships_placementreport_delete", args=[draft.pk]), {"post": "yes"}
    )
    assert deleted.status_code == 302
    assert list(PlacementReport.objects.values_list("pk", flat=True)) == [sent.pk]


def test_admin_report_form_cannot_set_the_workflow_fields(client, world):
    report = ReportFactory(contract=world["contract"])
    RowFactory(report=report)
    client.force_login(world["officer"])
    url = reverse("admin:internships_placementreport_change", args=[report.pk])

    page = client.get(url)

    form = page.context["adminform"].form
    for name in ("status", "reviewed_by", "corrects", "submitted_by", "review_comment"):
        assert name not in form.fields, name
    client.post(url, {"status": "approved", "reviewed_by": world["officer"].pk})
    report.refresh_from_db()
    assert report.status == ReportStatus.DRAFT and report.reviewed_by is None


def _breached(world) -> Alert:
    return Alert.objects.create(
        kind=AlertKind.CLAUSE_BREACHED, contract=world["contract"], clause=world["clause"]
    )


def test_admin_closes_a_breached_alert_with_a_comment(client, world):
    alert = _breached(world)
    client.force_login(world["officer"])
    url = reverse("admin:contracts_alert_close", args=[alert.pk])

    change = client.get(reverse("admin:contracts_alert_change", args=[alert.pk]))
    assert f'href="{url}"' in change.content.decode()
    refused = client.post(url, {"comment": ""})
    assert refused.status_code == 200 and refused.context["form"].errors["comment"]
    assert Alert.objects.get(pk=alert.pk).state == AlertState.OPEN

    response = client.post(url, {"comment": "Vite debiterat."}, follow=True)

    assert "The alert is closed." in _messages(response)
    alert.refresh_from_db()
    assert alert.state == AlertState.RESOLVED
    assert alert.closed_by == world["officer"] and alert.close_comment == "Vite debiterat."


# --- The dashboard ------------------------------------------------------------------------------


def test_dashboard_acknowledges_and_closes_alerts(client, world):
    alert = _breached(world)
    client.force_login(world["officer"])
    back = reverse("dashboard:index") + "?year=2025"

    page = client.get(back)
    close_url = reverse("dashboard:alert-close", args=[alert.pk])
    assert f'action="{close_url}"' in page.content.decode()

    client.post(reverse("dashboard:alert-ack", args=[alert.pk]), {"next": back})
    alert.refresh_from_db()
    assert alert.state == AlertState.ACKNOWLEDGED and alert.acknowledged_by == world["officer"]

    before = _alerts()
    refused = client.post(close_url, {"comment": "  ", "next": back}, follow=True)
    assert "Say why the alert is closed." in _messages(refused)
    assert _alerts() == before

    response = client.post(close_url, {"comment": "Åtgärdat.", "next": back})
    assert response.status_code == 302 and response["Location"] == back + "#alerts"
    alert.refresh_from_db()
    assert alert.state == AlertState.RESOLVED and alert.close_comment == "Åtgärdat."


# --- The API ------------------------------------------------------------------------------------


def _api_row(start: str, end: str, ref: str = "P-1", hours: str = "80.00") -> dict:
    return {
        "participant_ref": ref,
        "target_group": "youth",
        "start_date": start,
        "end_date": end,
        "hours": hours,
    }


def test_api_creates_edits_imports_submits_and_deletes_reports(world):
    contract = world["contract"]
    api = _api(world["user"])

    created = api.post(
        f"{API}reports/",
        {
            "contract": contract.pk,
            "period_start": Q1,
            "period_end": "2025-03-31",
            "rows": [_api_row("2025-01-06", "2025-02-28")],
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    report = PlacementReport.objects.get(pk=created.json()["id"])
    assert report.status == ReportStatus.DRAFT and report.rows.count() == 1

    edited = api.patch(
        f"{API}reports/{report.pk}/",
        {"rows": [_api_row("2025-01-06", "2025-01-31", ref="P-2", hours="8.00")]},
        format="json",
    )
    assert edited.status_code == 200, edited.content
    assert list(report.rows.values_list("participant_ref", flat=True)) == ["P-2"]

    imported = api.post(
        f"{API}reports/import/",
        {
            "file": _csv(
                [
                    "deltagare;målgrupp;startdatum;slutdatum;timmar",
                    "I-1;youth;2025-04-07;2025-04-30;8",
                ]
            ),
            "contract": contract.pk,
            "period_start": Q2,
            "period_end": "2025-06-30",
        },
        format="multipart",
    )
    assert imported.status_code == 201, imported.content
    draft = PlacementReport.objects.get(pk=imported.json()["id"])
    assert list(draft.rows.values_list("participant_ref", flat=True)) == ["I-1"]

    submitted = api.post(f"{API}reports/{report.pk}/submit/")
    assert submitted.status_code == 200 and submitted.json()["status"] == "submitted"
    before = _snapshot()
    refused = api.delete(f"{API}reports/{report.pk}/")
    assert refused.status_code == 409 and set(refused.json()) == {"detail"}
    assert _snapshot() == before

    deleted = api.delete(f"{API}reports/{draft.pk}/")
    assert deleted.status_code == 204
    assert not PlacementReport.objects.filter(pk=draft.pk).exists()
    assert not PlacementRow.objects.filter(report_id=draft.pk).exists()


def test_api_approves_rejects_and_corrects(world):
    contract, officer = world["contract"], world["officer"]
    approving = ReportFactory(contract=contract, status=ReportStatus.SUBMITTED)
    RowFactory(report=approving, participant_ref="A-1")
    rejecting = ReportFactory(
        contract=contract,
        period_start=date(2025, 4, 1),
        period_end=date(2025, 6, 30),
        status=ReportStatus.SUBMITTED,
    )
    staff, contractor = _api(officer), _api(world["user"])

    approved = staff.post(f"{API}reports/{approving.pk}/approve/", {"comment": ""}, format="json")
    assert approved.status_code == 200 and approved.json()["reviewed_by"] == officer.pk

    before = _snapshot()
    blank = staff.post(f"{API}reports/{rejecting.pk}/reject/", {"comment": " "}, format="json")
    assert blank.status_code == 400 and "review_comment" in blank.json()
    assert _snapshot() == before and mail.outbox == []
    rejected = staff.post(
        f"{API}reports/{rejecting.pk}/reject/", {"comment": "Saknar rader."}, format="json"
    )
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    assert [message.to for message in mail.outbox] == [[world["user"].email]]

    corrected = contractor.post(
        f"{API}reports/{approving.pk}/correct/", {"reason": "Fel timmar."}, format="json"
    )
    assert corrected.status_code == 201, corrected.content
    correction = PlacementReport.objects.get(pk=corrected.json()["id"])
    assert correction.corrects_id == approving.pk and correction.rows.count() == 1
    contractor.post(f"{API}reports/{correction.pk}/submit/")
    staff.post(f"{API}reports/{correction.pk}/approve/", {}, format="json")
    approving.refresh_from_db()
    correction.refresh_from_db()
    assert (approving.status, correction.status) == (
        ReportStatus.SUPERSEDED,
        ReportStatus.APPROVED,
    )


def test_api_acknowledges_and_closes_alerts(world, manager):
    breached = _breached(world)
    overdue = Alert.objects.create(
        kind=AlertKind.REPORT_OVERDUE, contract=world["contract"], period_start=date(2025, 1, 1)
    )
    staff = _api(world["officer"])

    acknowledged = _api(manager).post(f"{API}alerts/{breached.pk}/acknowledge/")
    assert acknowledged.status_code == 200 and acknowledged.json()["state"] == "acknowledged"

    before = _alerts()
    assert (
        _api(manager).post(f"{API}alerts/{breached.pk}/close/", {"comment": "x"}).status_code == 403
    )
    no_comment = staff.post(f"{API}alerts/{breached.pk}/close/", {}, format="json")
    assert no_comment.status_code == 400 and "comment" in no_comment.json()
    wrong_kind = staff.post(f"{API}alerts/{overdue.pk}/close/", {"comment": "x"}, format="json")
    assert wrong_kind.status_code == 409 and set(wrong_kind.json()) == {"detail"}
    outside = _api(world["user"]).post(f"{API}alerts/{breached.pk}/close/", {"comment": "x"})
    assert outside.status_code == 403  # a contractor user may not close any alert
    assert staff.post(f"{API}alerts/999999/close/", {"comment": "x"}).status_code == 404
    assert _alerts() == before

    closed = staff.post(
        f"{API}alerts/{breached.pk}/close/", {"comment": "Vite debiterat."}, format="json"
    )
    assert closed.status_code == 200, closed.content
    body = closed.json()
    assert body["state"] == "resolved" and body["closed_by"] == world["officer"].pk
    assert body["close_comment"] == "Vite debiterat." and body["resolved_at"]
    again = staff.post(f"{API}alerts/{breached.pk}/close/", {"comment": "x"}, format="json")
    assert again.status_code == 409
