"""The rows' facts of the Swedish model in the reports API (DESIGN.md §10.1, docs/API.md
"Reports"): written and read with the rest of the row, all optional, checked field by field (400,
nothing changed), and never echoing what was refused."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from internships.choices import ReportStatus
from internships.models import PlacementReport, PlacementRow

from .conftest import API, CONTRACTOR_A, database_state

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("world")]

PERSONNUMMER = "19811218-9876"


@pytest.fixture
def contractor(client_for):
    return client_for(CONTRACTOR_A)


@pytest.fixture
def side(world):
    return world.sides["A"]


def _row(start: date, end: date, **fields) -> dict:
    return {
        "participant_ref": "P-001",
        "target_group": "youth",
        "start_date": start.isoformat(),
        "end_date": end.isoformat(),
        "hours": "80.00",
        **fields,
    }


def _facts(world, start: date) -> dict:
    return {
        "employment_type": "employment",
        "offered_on": (start - timedelta(days=14)).isoformat(),
        "ended_by_participant": True,
        "gender": "woman",
        "born_abroad": "yes",
        "age_band": "25-29",
        "home_district": world.district.pk,
    }


def test_a_row_is_written_and_read_with_its_facts(contractor, side, world):
    start, end = side.free_periods[0]
    facts = _facts(world, start)
    body = {
        "contract": side.contract.id,
        "period_start": start.isoformat(),
        "period_end": end.isoformat(),
        "rows": [_row(start, end, **facts)],
    }

    response = contractor.post(f"{API}reports/", body, format="json")

    assert response.status_code == 201, response.content
    (row,) = response.json()["rows"]
    assert {name: row[name] for name in facts} == facts
    again = contractor.get(f"{API}reports/{response.json()['id']}/").json()["rows"][0]
    assert {name: again[name] for name in facts} == facts
    stored = PlacementRow.objects.get(pk=row["id"])
    assert (stored.employment_type, stored.gender, stored.home_district) == (
        "employment",
        "woman",
        world.district,
    )
    assert stored.offered_on == start - timedelta(days=14)
    assert stored.ended_by_participant is True


def test_facts_left_out_are_not_told(contractor, side):
    start, end = side.free_periods[0]
    body = {
        "contract": side.contract.id,
        "period_start": start.isoformat(),
        "period_end": end.isoformat(),
        "rows": [_row(start, end)],
    }

    response = contractor.post(f"{API}reports/", body, format="json")

    assert response.status_code == 201, response.content
    (row,) = response.json()["rows"]
    assert row["employment_type"] == "internship"
    assert row["offered_on"] is None
    assert row["ended_by_participant"] is False
    assert row["gender"] == row["born_abroad"] == row["age_band"] == "undisclosed"
    assert row["home_district"] is None


def test_an_offer_after_the_start_is_refused_under_offered_on(contractor, side):
    draft = side.reports[ReportStatus.DRAFT]
    start = draft.period_start
    rows = [_row(start, draft.period_end, offered_on=(start + timedelta(days=1)).isoformat())]
    before = database_state()

    response = contractor.patch(f"{API}reports/{draft.id}/", {"rows": rows}, format="json")

    assert response.status_code == 400, response.content
    assert list(response.json()["rows"]["0"]) == ["offered_on"]
    assert database_state() == before
    # The same day is fine.
    rows[0]["offered_on"] = start.isoformat()
    accepted = contractor.patch(f"{API}reports/{draft.id}/", {"rows": rows}, format="json")
    assert accepted.status_code == 200, accepted.content


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("employment_type", "praktik"),  # the API takes codes; the Swedish words are the file's
        ("gender", "female"),
        ("born_abroad", True),
        ("age_band", "16–24"),  # an en dash: the code has a hyphen
        ("home_district", 10**9),
        ("home_district", "Råslätt"),
        ("ended_by_participant", "perhaps"),
        ("offered_on", "igår"),
    ],
)
def test_a_bad_fact_is_refused_under_its_field_and_nothing_changes(contractor, side, field, value):
    draft = side.reports[ReportStatus.DRAFT]
    rows = [_row(draft.period_start, draft.period_end, **{field: value})]
    before = database_state()

    response = contractor.patch(f"{API}reports/{draft.id}/", {"rows": rows}, format="json")

    assert response.status_code == 400, response.content
    messages = response.json()["rows"]["0"][field]
    assert messages and all(isinstance(message, str) and message for message in messages)
    assert database_state() == before


@pytest.mark.parametrize("field", ["employment_type", "gender", "born_abroad", "age_band"])
def test_a_personnummer_in_a_fact_is_never_echoed(contractor, side, field):
    draft = side.reports[ReportStatus.DRAFT]
    rows = [_row(draft.period_start, draft.period_end, **{field: PERSONNUMMER})]

    response = contractor.patch(f"{API}reports/{draft.id}/", {"rows": rows}, format="json")

    assert response.status_code == 400
    assert field in response.json()["rows"]["0"]
    assert PERSONNUMMER[2:8] not in response.content.decode()


def test_a_personnummer_as_home_district_is_never_echoed(contractor, side):
    draft = side.reports[ReportStatus.DRAFT]
    rows = [_row(draft.period_start, draft.period_end, home_district=PERSONNUMMER)]

    response = contractor.patch(f"{API}reports/{draft.id}/", {"rows": rows}, format="json")

    assert response.status_code == 400
    assert "home_district" in response.json()["rows"]["0"]
    assert PERSONNUMMER[2:8] not in response.content.decode()


def test_a_correction_keeps_the_rows_facts(contractor, side, world):
    approved = side.reports[ReportStatus.APPROVED]
    facts = _facts(world, approved.period_start)
    facts["offered_on"] = approved.period_start.isoformat()
    approved.rows.update(
        **{**facts, "home_district": world.district, "offered_on": approved.period_start}
    )

    response = contractor.post(
        f"{API}reports/{approved.id}/correct/", {"reason": "Fel timmar"}, format="json"
    )

    assert response.status_code == 201, response.content
    (row,) = response.json()["rows"]
    assert {name: row[name] for name in facts} == facts
    correction = PlacementReport.objects.get(pk=response.json()["id"])
    assert correction.rows.get().verification == "unconfirmed"
