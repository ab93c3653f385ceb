"""The clause options of the Swedish model in the clauses API: kind, employment types, full-time
hours, first start, the matcher's confirmation and templates (docs/API.md)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from contracts.choices import ClauseKind, Metric
from contracts.models import ClauseSnapshot, SocialClause
from internships.choices import ReportStatus
from internships.models import PlacementRow
from tests.factories import ContractFactory, ReportFactory, RowFactory, SocialClauseFactory

URL = "/api/v1/clauses/"
H = {"metric": "hours", "target": "5"}


@pytest.fixture
def api(officer) -> APIClient:
    client = APIClient()
    client.force_authenticate(officer)
    return client


@pytest.fixture
def contract(db):
    return ContractFactory(start_date=date(2024, 1, 1), end_date=date(2025, 12, 31))


def _clauses() -> list[tuple]:
    return list(SocialClause.objects.order_by("pk").values_list())


def _refused(response, field: str, before: list[tuple]) -> None:
    assert response.status_code == 400, response.content
    messages = response.json()[field]
    assert messages and all(isinstance(m, str) and m for m in _flat(messages))
    assert _clauses() == before


def _flat(messages) -> list:
    if isinstance(messages, dict):
        return [m for value in messages.values() for m in _flat(value)]
    return list(messages)


@pytest.mark.django_db
def test_a_clause_shows_its_options(api, contract):
    clause = SocialClauseFactory(
        contract=contract,
        metric=Metric.FTE_MONTHS,
        target=Decimal(24),
        employment_types=["employment"],
        full_time_hours_per_week=Decimal("38.25"),
        first_start_within_days=183,
        requires_matcher_confirmation=True,
        template="uhm_11554_a",
    )

    body = api.get(f"{URL}{clause.pk}/").json()

    assert body["kind"] == "numeric"
    assert body["metric"] == "fte_months"
    assert body["employment_types"] == ["employment"]
    assert body["full_time_hours_per_week"] == "38.25"
    assert body["first_start_within_days"] == 183
    assert body["requires_matcher_confirmation"] is True
    assert body["template"] == "uhm_11554_a"


@pytest.mark.django_db
def test_a_dialogue_clause_shows_a_null_target(api, contract):
    clause = SocialClauseFactory(contract=contract, kind=ClauseKind.DIALOGUE, target=None)

    body = api.get(f"{URL}{clause.pk}/").json()

    assert (body["kind"], body["target"]) == ("dialogue", None)
    assert api.get(f"{URL}?kind=dialogue").json()["count"] == 1
    assert api.get(f"{URL}?kind=numeric").json()["count"] == 0


@pytest.mark.django_db
def test_the_11554_template_fills_what_the_request_leaves_out(api, contract):
    response = api.post(
        URL,
        {"contract": contract.pk, "template": "uhm_11554_a", "target": "30", "tolerance_pct": 5},
        format="json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["metric"] == "fte_months"
    assert sorted(body["employment_types"]) == ["apprenticeship", "employment"]
    assert body["first_start_within_days"] == 183
    assert body["requires_matcher_confirmation"] is True
    assert body["tolerance_pct"] == "5.00"
    assert "minst 30 heltidsmånader" in body["text"]
    assert SocialClause.objects.get(pk=body["id"]).template == "uhm_11554_a"


@pytest.mark.django_db
def test_what_the_request_gives_wins_over_the_template(api, contract):
    response = api.post(
        URL,
        {
            "contract": contract.pk,
            "template": "uhm_11554_a",
            "target": "30",
            "first_start_within_days": 90,
            "employment_types": [],
            "text": "Egen text.",
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["first_start_within_days"], body["employment_types"], body["text"]) == (
        90,
        [],
        "Egen text.",
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "field"),
    [  # H: an hours clause that is otherwise fine
        ({"kind": "dialogue", "metric": "placements", "target": "5"}, "target"),
        ({"kind": "numeric", "metric": "placements"}, "target"),
        ({"metric": "placements", "target": None}, "target"),
        ({"template": "uhm_11554_a"}, "target"),
        ({"target": "5"}, "metric"),
        ({"kind": "binding", "metric": "placements", "target": "5"}, "kind"),
        ({**H, "employment_types": ["summer_job"]}, "employment_types"),
        ({**H, "employment_types": "employment"}, "employment_types"),
        (
            {**H, "employment_types": ["employment", "employment"]},
            "employment_types",
        ),
        ({**H, "full_time_hours_per_week": "0"}, "full_time_hours_per_week"),
        ({**H, "first_start_within_days": 0}, "first_start_within_days"),
        ({**H, "template": "stockholm_2030"}, "template"),
        ({"metric": "hours", "target": ""}, "target"),
        ({**H, "requires_matcher_confirmation": "maybe"},
         "requires_matcher_confirmation"),
    ],
)  # fmt: skip
def test_bad_clause_options_are_400_with_the_field_and_nothing_saved(api, contract, body, field):
    before = _clauses()

    response = api.post(URL, {"contract": contract.pk, **body}, format="json")

    _refused(response, field, before)


@pytest.mark.django_db
def test_making_a_numeric_clause_a_dialogue_needs_its_target_cleared(api, contract):
    clause = SocialClauseFactory(contract=contract, target=Decimal(10))
    before = _clauses()

    _refused(api.patch(f"{URL}{clause.pk}/", {"kind": "dialogue"}, format="json"), "target", before)

    response = api.patch(f"{URL}{clause.pk}/", {"kind": "dialogue", "target": None}, format="json")
    assert response.status_code == 200, response.content
    clause.refresh_from_db()
    assert (clause.kind, clause.target) == (ClauseKind.DIALOGUE, None)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_converting_a_dialogue_clause_through_the_api_keeps_history_rows_and_snapshots(
    postgres, officer
):
    api = APIClient()
    api.force_authenticate(officer)
    contract = ContractFactory(start_date=date(2024, 1, 1), end_date=date(2025, 12, 31))
    clause = SocialClauseFactory(
        contract=contract, kind=ClauseKind.DIALOGUE, target=None, metric=Metric.PLACEMENTS
    )
    report = ReportFactory(contract=contract, status=ReportStatus.APPROVED)
    RowFactory.create_batch(2, report=report)
    ClauseSnapshot.objects.create(
        clause=clause,
        date=date(2024, 3, 31),
        expected=Decimal(0),
        reported=Decimal(2),
        verified=Decimal(2),
        status="dialogue",
    )
    rows = list(PlacementRow.objects.order_by("pk").values_list())
    snapshots = list(ClauseSnapshot.objects.order_by("pk").values_list())

    refused = api.patch(f"{URL}{clause.pk}/", {"kind": "numeric"}, format="json")
    response = api.patch(f"{URL}{clause.pk}/", {"kind": "numeric", "target": "4"}, format="json")

    assert refused.status_code == 400
    assert response.status_code == 200, response.content
    assert response.json()["id"] == clause.pk
    clause.refresh_from_db()
    assert (clause.kind, clause.target) == (ClauseKind.NUMERIC, Decimal(4))
    kinds = list(clause.history.order_by("history_date").values_list("kind", flat=True))
    assert kinds == [ClauseKind.DIALOGUE, ClauseKind.NUMERIC]
    assert list(PlacementRow.objects.order_by("pk").values_list()) == rows
    assert list(ClauseSnapshot.objects.order_by("pk").values_list()) == snapshots
