"""The rows' facts of the Swedish model (DESIGN.md §10.1) in the contractor's report form, the
report page and the officer's review page."""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.urls import reverse

from internships.choices import ReportStatus
from internships.models import PlacementReport, PlacementRow
from procurement.models import District
from tests.factories import ReportFactory, RowFactory

pytestmark = pytest.mark.django_db

PERSONNUMMER = "19900101-0017"


@pytest.fixture
def district():
    return District.objects.create(name="Portalområdet")


def _rows_post(rows: list[dict], *, extra: dict | None = None) -> dict:
    data = {
        "rows-TOTAL_FORMS": str(len(rows)),
        "rows-INITIAL_FORMS": "0",
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
        "employment_type": "internship",
        "offered_on": "",
        "gender": "undisclosed",
        "born_abroad": "undisclosed",
        "age_band": "undisclosed",
        "home_district": "",
    }
    row.update(overrides)
    return row


def _edit_url(contract, period: str = "2025-01-01") -> str:
    return reverse("portal:report-edit", args=[contract.pk, period])


def test_a_typed_row_is_saved_with_its_facts_and_the_report_page_shows_them(
    client, contractor_user, contract, district
):
    client.force_login(contractor_user)
    told = _row(
        employment_type="employment",
        offered_on="2024-12-20",
        ended_by_participant="on",
        gender="woman",
        born_abroad="yes",
        age_band="25-29",
        home_district=str(district.pk),
    )
    untold = _row(participant_ref="D-2", hours="40")

    response = client.post(_edit_url(contract), _rows_post([told, untold], extra={"save": "1"}))

    assert response.status_code == 302
    row = PlacementRow.objects.get(participant_ref="D-1")
    assert (row.employment_type, row.offered_on, row.ended_by_participant) == (
        "employment",
        date(2024, 12, 20),
        True,
    )
    assert (row.gender, row.born_abroad, row.age_band, row.home_district) == (
        "woman",
        "yes",
        "25-29",
        district,
    )
    other = PlacementRow.objects.get(participant_ref="D-2")
    assert (other.employment_type, other.gender, other.home_district) == (
        "internship",
        "undisclosed",
        None,
    )
    page = client.get(response["Location"]).content.decode()
    assert "Anställning" in page
    assert "avbruten i förtid av deltagaren" in page
    assert "Kvinna, född utomlands, 25–29 år" in page
    assert "bor i Portalområdet" in page
    assert "ej uppgivet" in page  # the row that tells nothing about the person


def test_an_offer_after_the_start_is_marked_on_its_field_and_nothing_is_saved(
    client, contractor_user, contract
):
    client.force_login(contractor_user)
    rows = [_row(offered_on="2025-01-07", gender="man")]

    response = client.post(_edit_url(contract), _rows_post(rows, extra={"save": "1"}))

    assert response.status_code == 200
    form = response.context["formset"].forms[0]
    assert list(form.errors) == ["offered_on"]
    assert not PlacementReport.objects.exists()
    page = response.content.decode()
    # Named in the summary, linked to the field, which stands open with what was typed.
    assert 'href="#id_rows-0-offered_on"' in page
    assert 'value="2025-01-07"' in page
    assert '<option value="man" selected>' in page
    assert "<details open>" in page


def test_a_forged_choice_is_refused_on_its_field(client, contractor_user, contract):
    client.force_login(contractor_user)
    rows = [_row(gender=PERSONNUMMER, age_band="99+", home_district="999999")]

    response = client.post(_edit_url(contract), _rows_post(rows, extra={"save": "1"}))

    assert response.status_code == 200
    form = response.context["formset"].forms[0]
    assert set(form.errors) == {"gender", "age_band", "home_district"}
    assert PERSONNUMMER not in response.content.decode()
    assert not PlacementReport.objects.exists()


def test_a_saved_draft_opens_with_its_facts_and_closed_for_rows_without(
    client, contractor_user, contract, district
):
    report = ReportFactory(
        contract=contract, period_start=date(2025, 1, 1), period_end=date(2025, 3, 31)
    )
    RowFactory(
        report=report,
        participant_ref="D-1",
        start_date=date(2025, 1, 6),
        end_date=date(2025, 1, 31),
        employment_type="apprenticeship",
        born_abroad="no",
        home_district=district,
    )
    RowFactory(
        report=report,
        participant_ref="D-2",
        start_date=date(2025, 1, 6),
        end_date=date(2025, 1, 31),
    )
    client.force_login(contractor_user)

    response = client.get(_edit_url(contract))

    forms = response.context["formset"].forms
    by_ref = {form.initial["participant_ref"]: form for form in forms if form.initial}
    assert by_ref["D-1"].facts_open() and not by_ref["D-2"].facts_open()
    page = response.content.decode()
    assert '<option value="apprenticeship" selected>' in page
    assert f'<option value="{district.pk}" selected>' in page
    assert response.context["formset"].management_form.initial["INITIAL_FORMS"] == 2


def test_the_review_page_shows_each_rows_facts(client, officer, contract, district):
    officer.is_staff = True
    officer.save()
    report = ReportFactory(
        contract=contract,
        period_start=date(2025, 1, 1),
        period_end=date(2025, 3, 31),
        status=ReportStatus.SUBMITTED,
    )
    RowFactory(
        report=report,
        participant_ref="D-1",
        start_date=date(2025, 1, 6),
        end_date=date(2025, 1, 31),
        employment_type="employment",
        offered_on=date(2025, 1, 2),
        gender="other",
        age_band="16-24",
        home_district=district,
    )
    RowFactory(
        report=report,
        participant_ref="D-2",
        start_date=date(2025, 1, 6),
        end_date=date(2025, 1, 31),
    )
    client.force_login(officer)

    response = client.get(
        reverse("admin:internships_placementreport_review", args=[report.pk]),
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert '<th scope="col">Employment</th>' in page
    assert '<th scope="col">Person</th>' in page
    assert 'Employment<br><span class="meta">offered' in page
    assert "Other, 16–24 years" in page
    assert "lives in Portalområdet" in page
    assert "Internship</div></td>" in page  # the row that tells nothing


def test_an_upload_that_replaces_a_drafts_rows_keeps_the_files_facts(
    client, contractor_user, contract, district
):
    from tests.web.test_portal import _answer

    report = ReportFactory(
        contract=contract, period_start=date(2025, 1, 1), period_end=date(2025, 3, 31)
    )
    RowFactory(report=report, participant_ref="OLD", start_date=date(2025, 1, 6))
    client.force_login(contractor_user)
    content = (
        "deltagare;målgrupp;startdatum;slutdatum;timmar;anställningsform;erbjuden;kön;"
        "bostadsområde\n"
        f"NEW;youth;2025-01-06;2025-02-28;120;lärling;2025-01-02;kvinna;{district.name}\n"
    ).encode()
    upload = io.BytesIO(content)
    upload.name = "rapport.csv"

    asked = client.post(
        reverse("portal:upload", args=[contract.pk]), {"period": "2025-01-01", "file": upload}
    )
    assert asked.status_code == 200
    assert list(report.rows.values_list("participant_ref", flat=True)) == ["OLD"]
    replaced = _answer(client, contract, asked.content.decode(), "replace")

    assert replaced.status_code == 302
    row = report.rows.get()
    assert (row.participant_ref, row.employment_type, row.offered_on) == (
        "NEW",
        "apprenticeship",
        date(2025, 1, 2),
    )
    assert (row.gender, row.home_district) == ("woman", district)
