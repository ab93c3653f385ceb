"""The contractor portal, through the pages a contractor uses (DESIGN.md §7, issue 5)."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse

from contracts.models import Contract
from internships.choices import ReportStatus
from internships.models import PlacementReport, PlacementRow
from tests.factories import ContractFactory, ReportFactory, RowFactory, SocialClauseFactory

pytestmark = pytest.mark.django_db

PERSONNUMMER = "19900101-0017"  # valid Luhn, used to check it never comes back


def _rows_post(rows: list[dict], *, initial: int = 0, extra: dict | None = None) -> dict:
    data = {
        "rows-TOTAL_FORMS": str(len(rows)),
        "rows-INITIAL_FORMS": str(initial),
        "rows-MIN_NUM_FORMS": "0",
        "rows-MAX_NUM_FORMS": "1000",
    }
    for index, row in enumerate(rows):
        for key, value in row.items():
            data[f"rows-{index}-{key}"] = value
    data.update(extra or {})
    return data


def _row(**overrides) -> dict:
    row = {
        "participant_ref": "D-1",
        "personnummer": "",
        "target_group": "newly_arrived",
        "start_date": "2025-01-06",
        "end_date": "2025-02-28",
        "hours": "120,5",
        "role": "Snickare",
        "notes": "",
    }
    row.update(overrides)
    return row


def _edit_url(contract: Contract, period: str = "2025-01-01") -> str:
    return reverse("portal:report-edit", args=[contract.pk, period])


def test_contractor_sees_own_contract_with_clause_progress(client, contractor_user, contract):
    client.force_login(contractor_user)
    index = client.get(reverse("portal:index"))
    assert index.status_code == 200
    assert contract.reference in index.content.decode()
    detail = client.get(reverse("portal:contract", args=[contract.pk]))
    page = detail.content.decode()
    assert detail.status_code == 200
    assert 'class="progress"' in page  # the clause's progress bar
    assert "2025-01-01" in page  # a link to fill in the first period


def test_contractor_cannot_open_another_contractors_contract_or_report(
    client, contractor_user, contract, other_contract
):
    report = ReportFactory(contract=other_contract)
    client.force_login(contractor_user)
    assert client.get(reverse("portal:contract", args=[other_contract.pk])).status_code == 404
    assert client.get(reverse("portal:report", args=[report.pk])).status_code == 404
    assert client.get(reverse("portal:upload", args=[other_contract.pk])).status_code == 404
    assert client.post(reverse("portal:report-submit", args=[report.pk])).status_code == 404
    assert client.get(reverse("portal:index")).content.decode().count(other_contract.reference) == 0


def test_portal_is_for_contractors_and_asks_anonymous_users_to_log_in(client, officer, contract):
    response = client.get(reverse("portal:index"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    client.force_login(officer)
    assert client.get(reverse("portal:index")).status_code == 403


def test_typed_report_is_saved_as_draft_and_personnummer_becomes_a_pseudonym(
    client, contractor_user, contract
):
    client.force_login(contractor_user)
    rows = [_row(), _row(participant_ref="", personnummer=PERSONNUMMER, hours="40")]
    response = client.post(_edit_url(contract), _rows_post(rows, extra={"save": "1"}))
    assert response.status_code == 302
    report = PlacementReport.objects.get(contract=contract)
    assert report.status == ReportStatus.DRAFT
    refs = sorted(report.rows.values_list("participant_ref", flat=True))
    assert refs[0] == "D-1" and refs[1].startswith("pn-")
    assert report.rows.get(participant_ref="D-1").hours == 120.5  # decimal comma accepted
    page = client.get(response["Location"]).content.decode()
    assert PERSONNUMMER not in page and "900101" not in page


def test_bad_rows_are_shown_on_the_form_and_nothing_is_saved(client, contractor_user, contract):
    client.force_login(contractor_user)
    rows = [
        _row(),
        _row(participant_ref="D-1", start_date="2025-02-01", end_date="2025-03-10"),  # overlap
        _row(participant_ref="D-3", start_date="2025-05-01", end_date="2025-05-10"),  # outside
    ]
    response = client.post(_edit_url(contract), _rows_post(rows, extra={"save": "1"}))
    assert response.status_code == 200
    assert response.context["formset"].forms[2].errors  # the row outside the period
    assert any(form.errors for form in response.context["formset"].forms[:2])  # the overlap
    assert 'class="error-summary"' in response.content.decode()
    assert not PlacementReport.objects.exists()


def test_personnummer_typed_on_a_refused_form_is_not_echoed(client, contractor_user, contract):
    client.force_login(contractor_user)
    rows = [_row(participant_ref="", personnummer=PERSONNUMMER, end_date="2024-12-01")]
    response = client.post(_edit_url(contract), _rows_post(rows, extra={"save": "1"}))
    assert response.status_code == 200
    assert PERSONNUMMER not in response.content.decode()
    assert not PlacementRow.objects.exists()


def test_add_row_button_adds_an_empty_row_without_saving(client, contractor_user, contract):
    client.force_login(contractor_user)
    response = client.post(_edit_url(contract), _rows_post([_row()], extra={"add_row": "1"}))
    assert response.status_code == 200
    assert len(response.context["formset"].forms) == 2
    assert not PlacementReport.objects.exists()


def test_removed_row_is_dropped_from_the_draft(client, contractor_user, contract):
    report = ReportFactory(contract=contract)
    RowFactory(report=report, participant_ref="KEEP")
    RowFactory(report=report, participant_ref="DROP")
    client.force_login(contractor_user)
    edit = client.get(_edit_url(contract))
    assert len(edit.context["formset"].initial_forms) == 2
    rows = [
        _row(participant_ref="KEEP", start_date="2025-01-01", end_date="2025-03-31", hours="100"),
        _row(participant_ref="DROP", start_date="2025-01-01", end_date="2025-03-31", DELETE="on"),
    ]
    response = client.post(_edit_url(contract), _rows_post(rows, initial=2, extra={"save": "1"}))
    assert response.status_code == 302
    assert list(report.rows.values_list("participant_ref", flat=True)) == ["KEEP"]


def _csv(lines: list[str]) -> io.BytesIO:
    content = ("\n".join(lines) + "\n").encode("utf-8")
    upload = io.BytesIO(content)
    upload.name = "rapport.csv"
    return upload


HEADER = "deltagare;målgrupp;startdatum;slutdatum;timmar"


def test_upload_with_a_bad_row_lists_every_problem_and_saves_nothing(
    client, contractor_user, contract
):
    client.force_login(contractor_user)
    bad = _csv([HEADER, "D-1;newly_arrived;2025-01-06;2025-02-28;120", "D-2;nobody;2025-01-06;x;8"])
    response = client.post(
        reverse("portal:upload", args=[contract.pk]), {"period": "2025-01-01", "file": bad}
    )
    assert response.status_code == 200
    problems = response.context["problems"]
    assert {(p.row, p.column) for p in problems} == {(3, "målgrupp"), (3, "slutdatum")}
    assert 'id="import-errors"' in response.content.decode()
    assert not PlacementReport.objects.exists()

    good = _csv(
        [HEADER, "D-1;newly_arrived;2025-01-06;2025-02-28;120", "D-2;youth;2025-01-06;2025-01-31;8"]
    )
    response = client.post(
        reverse("portal:upload", args=[contract.pk]), {"period": "2025-01-01", "file": good}
    )
    report = PlacementReport.objects.get(contract=contract)
    assert response["Location"] == reverse("portal:report", args=[report.pk])
    assert report.rows.count() == 2 and report.status == ReportStatus.DRAFT


def test_upload_into_a_draft_replaces_its_rows(client, contractor_user, contract):
    report = ReportFactory(contract=contract)
    RowFactory(report=report, participant_ref="OLD")
    client.force_login(contractor_user)
    upload = _csv([HEADER, "NEW;newly_arrived;2025-01-06;2025-02-28;120"])
    response = client.post(
        reverse("portal:upload", args=[contract.pk]), {"period": "2025-01-01", "file": upload}
    )
    assert response.status_code == 302, response.context["problems"]
    assert list(report.rows.values_list("participant_ref", flat=True)) == ["NEW"]
    assert PlacementReport.objects.count() == 1


def test_submit_asks_for_confirmation_then_sends_the_report(client, contractor_user, contract):
    report = ReportFactory(contract=contract)
    RowFactory(report=report)
    client.force_login(contractor_user)
    confirm = client.get(reverse("portal:report-submit", args=[report.pk]))
    assert confirm.status_code == 200
    report.refresh_from_db()
    assert report.status == ReportStatus.DRAFT  # looking at the confirmation changes nothing
    client.post(reverse("portal:report-submit", args=[report.pk]))
    report.refresh_from_db()
    assert report.status == ReportStatus.SUBMITTED and report.submitted_by == contractor_user
    # A sent report can no longer be edited from the portal.
    edit = client.get(_edit_url(contract))
    assert edit.status_code == 302 and edit["Location"].endswith(f"/reports/{report.pk}/")


def test_draft_is_deleted_only_after_confirmation(client, contractor_user, contract):
    report = ReportFactory(contract=contract)
    client.force_login(contractor_user)
    assert client.get(reverse("portal:report-delete", args=[report.pk])).status_code == 200
    assert PlacementReport.objects.filter(pk=report.pk).exists()
    client.post(reverse("portal:report-delete", args=[report.pk]))
    assert not PlacementReport.objects.filter(pk=report.pk).exists()


def _contracts_for(contractor, count: int) -> None:
    for _ in range(count):
        contract = ContractFactory(contractor=contractor)
        SocialClauseFactory(contract=contract)
        report = ReportFactory(contract=contract, status=ReportStatus.SUBMITTED)
        RowFactory(report=report)


def test_portal_pages_take_the_same_number_of_queries_for_1_and_6_contracts(
    client, contractor_user, contractor, django_assert_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(contractor_user)
    counts = []
    for total in (1, 6):
        _contracts_for(contractor, total - Contract.objects.filter(contractor=contractor).count())
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("portal:index")).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


def test_pages_are_swedish_by_default_and_english_after_switching(
    client, contractor_user, contract
):
    client.force_login(contractor_user)
    swedish = client.get(reverse("portal:index")).content.decode()
    assert '<html lang="sv">' in swedish and "Mina avtal" in swedish
    client.post(reverse("set_language"), {"language": "en", "next": reverse("portal:index")})
    english = client.get(reverse("portal:index")).content.decode()
    assert '<html lang="en">' in english and "My contracts" in english


@pytest.mark.parametrize(
    ("username", "landing"),
    [("entreprenor1", "/portal/"), ("manager", "/dashboard/"), ("officer", "/admin/")],
)
def test_each_demo_user_lands_on_their_page_after_logging_in(client, username, landing):
    from internships.demo import seed_demo

    seed_demo()
    response = client.post(
        reverse("login"), {"username": username, "password": "demo1234"}, follow=True
    )
    assert response.redirect_chain[-1][0] == landing
    assert response.status_code == 200
