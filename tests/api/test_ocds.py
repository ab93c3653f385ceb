"""The OCDS 1.1 release package of a contract (docs/API.md, issue point 8).

Validated offline against the vendored schemas in ``tests/data/ocds`` only: the release-package
schema (its ``$ref`` to the release schema resolved from a local registry that has no way to
fetch anything), and every release against the release schema with the Metrics and
Sustainability extensions applied as JSON Merge Patches (RFC 7386), with ``Draft4Validator``.
"""

from __future__ import annotations

import copy
import json
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import User
from django.utils import translation
from jsonschema import Draft4Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4
from rest_framework.test import APIClient

from contracts import ocds
from contracts.choices import ClauseKind, Metric
from contracts.models import Contract, TargetGroup
from contracts.selectors import evaluate_clauses
from internships.choices import ReportStatus
from internships.demo import seed_demo
from tests.factories import (
    ContractFactory,
    ContractorUserFactory,
    MilestoneFactory,
    ReportFactory,
    RowFactory,
    SocialClauseFactory,
)

pytestmark = pytest.mark.django_db

OCDS_DATA = Path(__file__).resolve().parent.parent / "data" / "ocds"
EXTENSIONS = ("metrics", "sustainability")
DEMO_DAY = date(2026, 11, 28)


# --- Schemas, from local files only ---------------------------------------------------------


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON Merge Patch: objects merge key by key, ``null`` deletes, the rest replaces."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def _load(relative: str) -> dict:
    return json.loads((OCDS_DATA / relative).read_text(encoding="utf-8"))


@cache
def _schemas() -> tuple[dict, dict, dict]:
    """The package schema, the core release schema, and the release schema with extensions."""
    core = _load("release-schema.json")
    extended = core
    for name in EXTENSIONS:
        assert _load(f"extensions/{name}/extension.json")["schemas"] == ["release-schema.json"]
        extended = merge_patch(extended, _load(f"extensions/{name}/release-schema.json"))
    return _load("release-package-schema.json"), core, extended


def _format_checker() -> FormatChecker:
    """date-time and uri checks without optional dependencies (jsonschema skips them otherwise)."""
    checker = FormatChecker(formats=())

    @checker.checks("date-time", raises=ValueError)
    def _date_time(value: object) -> bool:
        if not isinstance(value, str):
            return True
        return "T" in value and datetime.fromisoformat(value).tzinfo is not None

    @checker.checks("uri")
    def _uri(value: object) -> bool:
        if not isinstance(value, str):
            return True
        parts = urlsplit(value)
        return bool(parts.scheme and parts.netloc)

    return checker


def _package_validator(release_schema: dict) -> Draft4Validator:
    package_schema, _core, _extended = _schemas()
    release_uri = package_schema["properties"]["releases"]["items"]["$ref"]
    # A registry with no retrieve function: any $ref it does not hold fails, never downloads.
    registry = Registry().with_resource(
        release_uri, Resource.from_contents(release_schema, default_specification=DRAFT4)
    )
    return Draft4Validator(package_schema, registry=registry, format_checker=_format_checker())


def _errors(validator: Draft4Validator, instance: Any) -> list[str]:
    return [
        f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
        for error in validator.iter_errors(instance)
    ]


def assert_valid_ocds(package: dict) -> None:
    _package_schema, core, extended = _schemas()
    for schema in (core, extended):
        Draft4Validator.check_schema(schema)
        assert _errors(_package_validator(schema), package) == []
    release_validator = Draft4Validator(extended, format_checker=_format_checker())
    for release in package["releases"]:
        assert _errors(release_validator, release) == []


# --- Helpers --------------------------------------------------------------------------------


@pytest.fixture
def api() -> APIClient:
    return APIClient()


def _url(contract: Contract) -> str:
    return f"/api/v1/ocds/contracts/{contract.pk}/"


def _observations(metric: dict) -> list[tuple[str, str, Any]]:
    return [
        (o["period"]["startDate"][:10], o["period"]["endDate"][:10], o["measure"])
        for o in metric["observations"]
    ]


@pytest.fixture
def contract():
    """Quarterly 2024–2025; placements for everyone, hours for newly arrived and youth from Q2."""
    contract = ContractFactory(reference="K-OCDS-1", value_sek=Decimal("12500000.50"))
    placements = SocialClauseFactory(
        contract=contract, metric=Metric.PLACEMENTS, target=Decimal(8), text="Minst 8 praktikanter."
    )
    MilestoneFactory(clause=placements, date=date(2024, 12, 31), cumulative_target=Decimal(4))
    SocialClauseFactory(
        contract=contract,
        metric=Metric.HOURS,
        target=Decimal("2000.00"),
        start_date=date(2024, 4, 1),
        due_date=date(2025, 6, 30),
        target_groups=["newly_arrived", "youth"],
    )
    youth = TargetGroup.objects.get(code="youth")
    other = TargetGroup.objects.get(code="other")
    periods = contract.reporting_periods()

    def report(index: int, status: str, rows: list[dict]) -> None:
        period = periods[index]
        made = ReportFactory(
            contract=contract, period_start=period.start, period_end=period.end, status=status
        )
        for row in rows:
            RowFactory(report=made, **row)

    report(
        0,
        ReportStatus.APPROVED,
        [
            {"participant_ref": "A", "hours": Decimal(100)},
            {"participant_ref": "B", "hours": Decimal(50), "target_group": other},
        ],
    )
    report(
        1,
        ReportStatus.SUBMITTED,
        [
            {"participant_ref": "A", "hours": Decimal("120.50")},
            {"participant_ref": "C", "hours": Decimal(80), "target_group": youth},
            {"participant_ref": "D", "hours": Decimal(40), "target_group": other},
        ],
    )
    # A draft counts for nothing: Q3 has ended but nothing is reported for it.
    report(2, ReportStatus.DRAFT, [{"participant_ref": "E", "hours": Decimal(300)}])
    return contract


# --- Tests ----------------------------------------------------------------------------------


def test_package_of_a_seeded_contract_validates_against_ocds_and_its_extensions(
    api, officer, contract
):
    api.force_authenticate(officer)

    response = api.get(_url(contract), {"as_of": "2024-10-15"})

    assert response.status_code == 200
    package = response.json()
    assert_valid_ocds(package)
    assert package["version"] == "1.1"
    assert package["extensions"] == list(ocds.EXTENSIONS)
    assert package["publisher"] == {"name": "Vätterhem"}
    assert package["uri"].endswith(f"/api/v1/ocds/contracts/{contract.pk}/?as_of=2024-10-15")
    [release] = package["releases"]
    assert release["ocid"] == "ocds-xxxxxx-K-OCDS-1"
    assert release["tag"] == ["contract", "implementation"]
    assert release["date"] == package["publishedDate"]


def test_every_demo_contract_gives_a_valid_package(api):
    seed_demo(today=DEMO_DAY)
    api.force_authenticate(User.objects.get(username="manager"))
    contracts = list(Contract.objects.order_by("reference"))
    assert len(contracts) >= 12

    for contract in contracts:
        response = api.get(_url(contract), {"as_of": DEMO_DAY.isoformat()})
        assert response.status_code == 200, contract.reference
        package = response.json()
        assert_valid_ocds(package)
        ocds_contract = package["releases"][0]["contracts"][0]
        assert len(ocds_contract["agreedMetrics"]) == contract.clauses.count()


def test_parties_tender_and_award_describe_buyer_supplier_and_social_goal(api, officer, contract):
    api.force_authenticate(officer)

    release = api.get(_url(contract), {"as_of": "2024-10-15"}).json()["releases"][0]

    buyer, supplier = release["parties"]
    assert buyer["name"] == "Vätterhem"
    assert "buyer" in buyer["roles"]
    assert release["buyer"] == {"id": buyer["id"], "name": "Vätterhem"}
    org_number = contract.contractor.org_number
    assert supplier["identifier"] == {
        "scheme": "SE-BLV",
        "id": org_number,
        "legalName": contract.contractor.name,
    }
    assert supplier["roles"] == ["supplier"]
    [sustainability] = release["tender"]["sustainability"]
    assert sustainability["goal"] == "social.disadvantagedEmploymentOpportunities"
    assert sustainability["strategies"] == ["contractPerformanceConditions"]
    assert release["tender"]["hasSustainability"] is True
    [award] = release["awards"]
    assert award["suppliers"] == [{"id": supplier["id"], "name": contract.contractor.name}]
    assert award["value"] == {"amount": 12500000.5, "currency": "SEK"}
    [ocds_contract] = release["contracts"]
    assert ocds_contract["awardID"] == award["id"]
    assert ocds_contract["status"] == "active"
    assert ocds_contract["period"]["startDate"].startswith("2024-01-01T00:00:00")
    assert ocds_contract["period"]["endDate"].startswith("2025-12-31T23:59:59")


def test_agreed_metrics_hold_one_target_per_clause(api, officer, contract):
    api.force_authenticate(officer)

    release = api.get(_url(contract), {"as_of": "2024-10-15"}).json()["releases"][0]

    clauses = list(contract.clauses.order_by("id"))
    agreed = release["contracts"][0]["agreedMetrics"]
    assert len(agreed) == len(clauses) == 2
    assert [metric["id"] for metric in agreed] == [f"clause-{clause.id}" for clause in clauses]
    placements, hours = agreed
    assert placements["description"] == "Minst 8 praktikanter."
    assert _observations(placements) == [
        ("2024-01-01", "2025-12-31", 8),
        ("2024-01-01", "2024-12-31", 4),  # the milestone's cumulative target
    ]
    with translation.override("sv"):
        unit_name = str(Metric.PLACEMENTS.label)  # "praktikplatser" once the catalogue is built
    assert placements["observations"][0]["unit"] == {
        "name": unit_name,
        "scheme": "UNCEFACT",
        "id": "C62",
    }
    assert _observations(hours) == [("2024-04-01", "2025-06-30", 2000)]
    assert hours["observations"][0]["unit"]["id"] == "HUR"
    assert hours["observations"][0]["dimensions"] == {"targetGroups": "newly_arrived,youth"}


def test_implementation_observes_what_was_reported_per_ended_period(api, officer, contract):
    api.force_authenticate(officer)

    release = api.get(_url(contract), {"as_of": "2024-10-15"}).json()["releases"][0]

    placements, hours = release["contracts"][0]["implementation"]["metrics"]
    clauses = list(contract.clauses.order_by("id"))
    assert [placements["id"], hours["id"]] == [f"clause-{clause.id}" for clause in clauses]
    # Q1: A and B; Q2: C and D are new (A already counted); Q3 has only a draft.
    assert _observations(placements) == [
        ("2024-01-01", "2024-03-31", 2),
        ("2024-04-01", "2024-06-30", 2),
        ("2024-07-01", "2024-09-30", 0),
    ]
    # The hours clause starts in Q2 and counts newly arrived (A) and youth (C) only.
    assert _observations(hours) == [
        ("2024-04-01", "2024-06-30", 200.5),
        ("2024-07-01", "2024-09-30", 0),
    ]


def test_observations_add_up_to_the_engines_reported_total(api, officer, contract):
    api.force_authenticate(officer)

    release = api.get(_url(contract), {"as_of": "2025-02-01"}).json()["releases"][0]

    metrics = release["contracts"][0]["implementation"]["metrics"]
    totals = {
        f"clause-{item.clause.id}": item.evaluation.reported
        for item in evaluate_clauses(
            as_of=date(2024, 12, 31), contracts=Contract.objects.filter(pk=contract.pk)
        )
    }
    # Q1–Q4 2024 have ended; the hours clause starts with Q2.
    assert [len(metric["observations"]) for metric in metrics] == [4, 3]
    for metric in metrics:
        delivered = sum(Decimal(str(o["measure"])) for o in metric["observations"])
        assert delivered == totals[metric["id"]]


def test_observations_are_clipped_to_the_clause_window(officer, contract):
    figures = ocds.contract_figures(contract, as_of=date(2025, 12, 31))

    placements, hours = figures
    assert len(placements.deliveries) == 8  # every quarter of 2024–2025
    first = hours.deliveries[0]
    assert (first.start, first.end) == (date(2024, 4, 1), date(2024, 6, 30))
    assert hours.deliveries[-1].end == date(2025, 6, 30)
    assert len(hours.deliveries) == 5  # Q2 2024 – Q2 2025


def test_before_any_period_has_ended_there_is_no_implementation(api, officer, contract):
    api.force_authenticate(officer)

    package = api.get(_url(contract), {"as_of": "2024-02-01"}).json()

    assert_valid_ocds(package)
    release = package["releases"][0]
    assert release["tag"] == ["contract"]
    assert "implementation" not in release["contracts"][0]
    assert len(release["contracts"][0]["agreedMetrics"]) == 2


def test_the_same_facts_give_the_same_release_id(api, officer, contract):
    api.force_authenticate(officer)

    first = api.get(_url(contract), {"as_of": "2024-10-15"}).json()["releases"][0]
    again = api.get(_url(contract), {"as_of": "2024-10-15"}).json()["releases"][0]
    later = api.get(_url(contract), {"as_of": "2025-01-15"}).json()["releases"][0]

    assert first["id"] == again["id"]
    assert first["id"].startswith(first["ocid"] + "-")
    assert later["id"] != first["id"]


def test_ocid_prefix_and_buyer_come_from_settings(api, officer, contract, settings):
    settings.OCDS_PREFIX = "ocds-abc123"
    settings.OCDS_BUYER_NAME = "Bostadsbolaget AB"
    api.force_authenticate(officer)

    package = api.get(_url(contract)).json()

    release = package["releases"][0]
    assert release["ocid"] == "ocds-abc123-K-OCDS-1"
    assert release["parties"][0]["name"] == "Bostadsbolaget AB"
    assert package["publisher"]["name"] == "Bostadsbolaget AB"


def test_a_contractor_sees_its_own_package_and_404_for_another_contractors(api, contract):
    own_user = ContractorUserFactory(username="own", contractor=contract.contractor)
    outsider = ContractorUserFactory(username="outsider")

    api.force_authenticate(own_user)
    assert api.get(_url(contract)).status_code == 200

    api.force_authenticate(outsider)
    response = api.get(_url(contract))
    assert response.status_code == 404
    assert "releases" not in response.json()


def test_anonymous_callers_get_401(api, contract):
    assert api.get(_url(contract)).status_code == 401


def test_an_unknown_contract_is_404(api, officer):
    api.force_authenticate(officer)

    assert api.get("/api/v1/ocds/contracts/999999/").status_code == 404


def test_the_extensions_are_what_the_validation_relies_on(api, officer, contract):
    """A metric with a malformed observation passes the core schema but not the extended one,
    so the merge patches are really applied."""
    api.force_authenticate(officer)
    package = api.get(_url(contract), {"as_of": "2024-10-15"}).json()
    broken = copy.deepcopy(package)
    broken["releases"][0]["contracts"][0]["agreedMetrics"][0]["observations"][0]["measure"] = {
        "not": "a measure"
    }
    _package_schema, core, extended = _schemas()

    assert _errors(_package_validator(core), broken) == []
    assert _errors(Draft4Validator(extended), broken["releases"][0])
    assert _errors(_package_validator(extended), broken)


def test_merge_patch_follows_rfc_7386():
    assert merge_patch({"a": "b", "c": {"d": "e", "f": "g"}}, {"a": "z", "c": {"f": None}}) == {
        "a": "z",
        "c": {"d": "e"},
    }
    assert merge_patch({"a": ["b"]}, {"a": ["c", "d"]}) == {"a": ["c", "d"]}
    assert merge_patch({"a": "b"}, ["c"]) == ["c"]
    assert merge_patch({"e": None}, {"a": 1}) == {"e": None, "a": 1}


# --- The Swedish model: full-time months and dialogue clauses (issue 14) --------------------


@pytest.fixture
def swedish_contract():
    """Quarterly 2024–2025: 6 full-time months of employment at 38.25 h a week, and a dialogue
    clause on placements (no target), with a row of each kind reported in Q1."""
    contract = ContractFactory(reference="K-OCDS-SE")
    SocialClauseFactory(
        contract=contract,
        metric=Metric.FTE_MONTHS,
        target=Decimal(6),
        full_time_hours_per_week=Decimal("38.25"),
        employment_types=["employment"],
        text="Minst 6 heltidsmånader.",
    )
    SocialClauseFactory(
        contract=contract, kind=ClauseKind.DIALOGUE, metric=Metric.PLACEMENTS, target=None
    )
    period = contract.reporting_periods()[0]
    report = ReportFactory(
        contract=contract,
        period_start=period.start,
        period_end=period.end,
        status=ReportStatus.APPROVED,
    )
    RowFactory(report=report, participant_ref="S1", employment_type="employment")
    RowFactory(report=report, participant_ref="S2", employment_type="internship")
    return contract


@pytest.mark.parametrize(
    "as_of",
    [
        "2024-02-15",  # no period has ended: agreed metrics only
        "2024-10-15",  # periods ended: the dialogue clause's delivery, without a target
    ],
)
def test_full_time_months_and_dialogue_clauses_give_a_valid_package(
    as_of, api, officer, swedish_contract
):
    api.force_authenticate(officer)

    response = api.get(_url(swedish_contract), {"as_of": as_of})

    assert response.status_code == 200, response.content
    package = response.json()
    assert_valid_ocds(package)
    fte, dialogue = package["releases"][0]["contracts"][0]["agreedMetrics"]
    clauses = list(swedish_contract.clauses.order_by("id"))
    assert [fte["id"], dialogue["id"]] == [f"clause-{clause.id}" for clause in clauses]
    # Full-time months: a target in months (UN/CEFACT MON), the hours of a full-time month said.
    assert _observations(fte) == [("2024-01-01", "2025-12-31", 6)]
    with translation.override("sv"):
        unit_name = str(Metric.FTE_MONTHS.label)
    assert fte["observations"][0]["unit"] == {"name": unit_name, "scheme": "UNCEFACT", "id": "MON"}
    assert fte["observations"][0]["dimensions"] == {"employmentTypes": "employment"}
    assert "38.25" in fte["description"]
    assert fte["description"].endswith("Minst 6 heltidsmånader.")
    # A dialogue clause: described, with no quantity at all.
    assert "observations" not in dialogue
    assert dialogue["description"]
    assert "measure" not in json.dumps(dialogue)


def test_a_dialogue_clause_is_described_in_english_too(api, officer, swedish_contract):
    api.force_authenticate(officer)

    response = api.get(_url(swedish_contract), {"as_of": "2024-02-15"}, HTTP_ACCEPT_LANGUAGE="en")

    _fte, dialogue = response.json()["releases"][0]["contracts"][0]["agreedMetrics"]
    assert dialogue["description"].startswith("Dialogue clause")
    assert dialogue["title"] == "Placements"
