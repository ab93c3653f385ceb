"""Clause templates and dialogue clauses in the admin (issue 14, point 4; docs/RULES.md)."""

from __future__ import annotations

import json
import re
from datetime import date
from decimal import Decimal
from html import unescape

import pytest
from django.urls import reverse
from django.utils import translation

from contracts.choices import ClauseKind, ClauseStatus, Metric
from contracts.clause_templates import TEMPLATES, swedish_number, template_fill
from contracts.models import ClauseSnapshot, SocialClause
from internships.choices import EmploymentType, ReportStatus
from internships.models import PlacementReport, PlacementRow
from tests.factories import ContractFactory, ReportFactory, RowFactory, SocialClauseFactory

pytestmark = pytest.mark.django_db
EN = {"accept-language": "en"}


@pytest.fixture
def staff_officer(client, officer):
    officer.is_staff = True
    officer.save()
    client.force_login(officer)
    return officer


def _form_data(form, prefix: str = "") -> dict:
    """What the browser sends for ``form`` as it is shown (its initial values)."""
    data = {}
    for name in form.fields:
        value = form[name].value()
        key = f"{prefix}{name}"
        if value is None or value is False:
            continue
        if value is True:
            data[key] = "on"
        elif isinstance(value, list | tuple):
            data[key] = [str(getattr(item, "pk", item)) for item in value]
        elif isinstance(value, date):
            data[key] = value.isoformat()
        else:
            data[key] = str(value)
    return data


def _clause_add_data(contract, **fields) -> dict:
    data = {
        "contract": str(contract.pk),
        "template": "",
        "kind": ClauseKind.NUMERIC,
        "metric": "",
        "target": "",
        "min_placement_weeks": "0",
        "full_time_hours_per_week": "40",
        "tolerance_pct": "10",
        "penalty_per_unit_sek": "0",
        "text": "",
        "milestones-TOTAL_FORMS": "0",
        "milestones-INITIAL_FORMS": "0",
        "milestones-MIN_NUM_FORMS": "0",
        "milestones-MAX_NUM_FORMS": "1000",
    }
    data.update(fields)
    return data


def test_the_11554_template_fills_metric_options_and_the_swedish_wording(client, staff_officer):
    contract = ContractFactory()

    response = client.post(
        reverse("admin:contracts_socialclause_add"),
        _clause_add_data(contract, template="uhm_11554_a", target="24"),
    )

    assert response.status_code == 302, response.context and response.context["errors"]
    clause = SocialClause.objects.get(contract=contract)
    assert clause.template == "uhm_11554_a"
    assert clause.kind == ClauseKind.NUMERIC
    assert clause.metric == Metric.FTE_MONTHS
    assert clause.target == Decimal(24)
    assert sorted(clause.employment_types) == [
        EmploymentType.APPRENTICESHIP,
        EmploymentType.EMPLOYMENT,
    ]
    assert clause.first_start_within_days == 183
    assert clause.requires_matcher_confirmation is True
    assert clause.full_time_hours_per_week == Decimal(40)
    assert "minst 24 heltidsmånader" in clause.text
    assert "sex månader" in clause.text
    assert "75 procent" in clause.text


def test_fields_the_officer_set_are_kept_when_a_template_fills_the_rest(client, staff_officer):
    contract = ContractFactory()

    response = client.post(
        reverse("admin:contracts_socialclause_add"),
        _clause_add_data(
            contract,
            template="uhm_11554_a",
            target="12.5",
            first_start_within_days="90",
            full_time_hours_per_week="38.25",
            text="Egen formulering.",
        ),
    )

    assert response.status_code == 302
    clause = SocialClause.objects.get(contract=contract)
    assert clause.metric == Metric.FTE_MONTHS  # left empty: filled
    assert clause.first_start_within_days == 90  # set by the officer: kept
    assert clause.full_time_hours_per_week == Decimal("38.25")
    assert clause.text == "Egen formulering."


def test_the_placements_template_writes_target_and_weeks_into_the_wording(client, staff_officer):
    contract = ContractFactory()

    response = client.post(
        reverse("admin:contracts_socialclause_add"),
        _clause_add_data(
            contract, template="placements_min_weeks", target="1500", min_placement_weeks="6"
        ),
    )

    assert response.status_code == 302
    clause = SocialClause.objects.get(contract=contract)
    assert clause.metric == Metric.PLACEMENTS
    assert clause.min_placement_weeks == Decimal(6)  # the officer's N, not the template's 4
    assert clause.employment_types == [EmploymentType.INTERNSHIP]
    assert "minst 1\u00a0500 praktikplatser om minst 6 veckor" in clause.text


def test_a_numeric_template_without_a_target_is_refused_and_nothing_is_saved(client, staff_officer):
    contract = ContractFactory()

    response = client.post(
        reverse("admin:contracts_socialclause_add"),
        _clause_add_data(contract, template="uhm_11554_a"),
    )

    assert response.status_code == 200
    assert "target" in response.context["adminform"].form.errors
    assert not SocialClause.objects.filter(contract=contract).exists()


def test_without_a_template_the_metric_is_still_required(client, staff_officer):
    contract = ContractFactory()

    response = client.post(
        reverse("admin:contracts_socialclause_add"), _clause_add_data(contract, target="5")
    )

    assert response.status_code == 200
    assert "metric" in response.context["adminform"].form.errors
    assert not SocialClause.objects.exists()


def test_an_unknown_template_is_refused(client, staff_officer):
    contract = ContractFactory()

    response = client.post(
        reverse("admin:contracts_socialclause_add"),
        _clause_add_data(contract, template="stockholm_2030", metric="hours", target="5"),
    )

    assert response.status_code == 200
    assert "template" in response.context["adminform"].form.errors
    assert not SocialClause.objects.exists()


def test_the_dialogue_template_makes_a_clause_without_a_target(client, staff_officer):
    contract = ContractFactory()

    response = client.post(
        reverse("admin:contracts_socialclause_add"),
        _clause_add_data(contract, template="dialogue_placements"),
    )

    assert response.status_code == 302
    clause = SocialClause.objects.get(contract=contract)
    assert (clause.kind, clause.target, clause.metric) == (
        ClauseKind.DIALOGUE,
        None,
        Metric.PLACEMENTS,
    )
    assert clause.text.startswith("Entreprenören ska i dialog med beställaren")


def test_a_dialogue_clause_with_a_target_is_refused(client, staff_officer):
    contract = ContractFactory()

    response = client.post(
        reverse("admin:contracts_socialclause_add"),
        _clause_add_data(contract, kind=ClauseKind.DIALOGUE, metric="hours", target="100"),
    )

    assert response.status_code == 200
    assert "target" in response.context["adminform"].form.errors
    assert not SocialClause.objects.exists()


def test_an_employment_type_outside_the_codes_is_refused(client, staff_officer):
    contract = ContractFactory()

    response = client.post(
        reverse("admin:contracts_socialclause_add"),
        _clause_add_data(contract, metric="hours", target="100", employment_types=["summer_job"]),
    )

    assert response.status_code == 200
    assert "employment_types" in response.context["adminform"].form.errors
    assert not SocialClause.objects.exists()


def _dialogue_clause_with_history():
    contract = ContractFactory(start_date=date(2024, 1, 1), end_date=date(2025, 12, 31))
    clause = SocialClauseFactory(
        contract=contract,
        kind=ClauseKind.DIALOGUE,
        metric=Metric.PLACEMENTS,
        target=None,
        template="dialogue_placements",
        text="Entreprenören ska i dialog med beställaren erbjuda praktikplatser.",
    )
    report = ReportFactory(contract=contract, status=ReportStatus.APPROVED)
    RowFactory.create_batch(3, report=report)
    ClauseSnapshot.objects.create(
        clause=clause,
        date=date(2024, 3, 31),
        expected=Decimal(0),
        reported=Decimal(3),
        verified=Decimal(3),
        status=ClauseStatus.DIALOGUE,
    )
    return clause


def test_converting_a_dialogue_clause_to_numeric_keeps_history_rows_and_snapshots(
    client, staff_officer
):
    clause = _dialogue_clause_with_history()
    rows_before = list(PlacementRow.objects.order_by("pk").values_list())
    reports_before = list(PlacementReport.objects.order_by("pk").values_list())
    snapshots_before = list(ClauseSnapshot.objects.order_by("pk").values_list())
    url = reverse("admin:contracts_socialclause_change", args=[clause.pk])
    page = client.get(url)
    data = _form_data(page.context["adminform"].form)
    data.update(
        {
            "kind": ClauseKind.NUMERIC,
            "target": "6",
            "milestones-TOTAL_FORMS": "0",
            "milestones-INITIAL_FORMS": "0",
            "milestones-MIN_NUM_FORMS": "0",
            "milestones-MAX_NUM_FORMS": "1000",
        }
    )

    response = client.post(url, data)

    assert response.status_code == 302, response.context and response.context["errors"]
    assert SocialClause.objects.count() == 1
    clause.refresh_from_db()  # the same row, changed in place
    assert (clause.kind, clause.target) == (ClauseKind.NUMERIC, Decimal(6))
    assert clause.text.startswith("Entreprenören ska i dialog")  # the wording is the officer's
    history = list(clause.history.order_by("history_date").values_list("kind", "target"))
    assert history == [(ClauseKind.DIALOGUE, None), (ClauseKind.NUMERIC, Decimal(6))]
    assert list(PlacementRow.objects.order_by("pk").values_list()) == rows_before
    assert list(PlacementReport.objects.order_by("pk").values_list()) == reports_before
    assert list(ClauseSnapshot.objects.order_by("pk").values_list()) == snapshots_before


def test_converting_to_numeric_without_a_target_is_refused(client, staff_officer):
    clause = _dialogue_clause_with_history()
    url = reverse("admin:contracts_socialclause_change", args=[clause.pk])
    data = _form_data(client.get(url).context["adminform"].form)
    data.update({"kind": ClauseKind.NUMERIC, "milestones-TOTAL_FORMS": "0"})
    data.update({"milestones-INITIAL_FORMS": "0", "milestones-MAX_NUM_FORMS": "1000"})

    response = client.post(url, data)

    assert response.status_code == 200
    assert "target" in response.context["adminform"].form.errors
    clause.refresh_from_db()
    assert clause.kind == ClauseKind.DIALOGUE
    assert clause.history.count() == 1


def test_a_template_fills_a_new_clause_in_the_contracts_inline(client, staff_officer):
    contract = ContractFactory()
    url = reverse("admin:contracts_contract_change", args=[contract.pk])
    page = client.get(url)
    data = _form_data(page.context["adminform"].form)
    formset = page.context["inline_admin_formsets"][0].formset
    prefix = formset.prefix
    data.update(
        {
            f"{prefix}-TOTAL_FORMS": "1",
            f"{prefix}-INITIAL_FORMS": "0",
            f"{prefix}-MIN_NUM_FORMS": "0",
            f"{prefix}-MAX_NUM_FORMS": "1000",
            f"{prefix}-0-template": "placements_min_weeks",
            f"{prefix}-0-kind": ClauseKind.NUMERIC,
            f"{prefix}-0-target": "8",
            f"{prefix}-0-min_placement_weeks": "0",
            f"{prefix}-0-full_time_hours_per_week": "40",
            f"{prefix}-0-tolerance_pct": "10",
            f"{prefix}-0-penalty_per_unit_sek": "0",
        }
    )

    response = client.post(url, data)

    assert response.status_code == 302, response.context and response.context["errors"]
    clause = contract.clauses.get()
    assert (clause.metric, clause.target, clause.min_placement_weeks) == (
        Metric.PLACEMENTS,
        Decimal(8),
        Decimal(4),
    )
    assert "minst 8 praktikplatser om minst 4 veckor" in clause.text


def test_the_clause_form_offers_the_templates_in_swedish(client, staff_officer):
    contract = ContractFactory()
    with translation.override("sv"):
        page = client.get(
            reverse("admin:contracts_socialclause_add") + f"?contract={contract.pk}",
            headers={"accept-language": "sv"},
        )
    text = page.content.decode()
    assert page.status_code == 200
    assert "Upphandlingsmyndigheten 11554 alt. a" in text
    assert "Praktikplatser, minst N veckor vardera" in text
    assert "Mall" in text


@pytest.mark.parametrize(
    ("value", "text"),
    [(Decimal(24), "24"), (Decimal("12.50"), "12,5"), (Decimal(1500), "1\u00a0500"), (None, "N")],
)
def test_figures_are_written_the_swedish_way(value, text):
    assert swedish_number(value) == text


def test_every_template_fills_a_clause_the_model_accepts():
    for template in TEMPLATES.values():
        contract = ContractFactory()
        target = None if template.kind == ClauseKind.DIALOGUE else Decimal(10)
        values = template_fill(
            {"target": target, "full_time_hours_per_week": Decimal(40), "text": ""},
            template=template,
            keep=set(),
        )
        clause = SocialClause(contract=contract, **values)
        clause.full_clean()
        assert "{" not in clause.text


def test_the_pages_of_a_dialogue_clause_show_it_without_a_target(client, staff_officer):
    """The contract's page evaluates its clauses today: a dialogue clause shows what was
    reported and no target, expected figure or forecast (needs the engine's dialogue rule)."""
    clause = _dialogue_clause_with_history()

    contract_page = client.get(
        reverse("admin:contracts_contract_change", args=[clause.contract_id]), headers=EN
    )
    clause_page = client.get(
        reverse("admin:contracts_socialclause_change", args=[clause.pk]), headers=EN
    )
    listing = client.get(reverse("admin:contracts_socialclause_changelist"), headers=EN)

    assert contract_page.status_code == clause_page.status_code == listing.status_code == 200
    text = contract_page.content.decode()
    assert "no target (dialogue)" in text
    assert "expected of" not in text
    assert "3 reported" in listing.content.decode()  # the latest snapshot's figure


def test_the_clause_form_carries_what_each_template_fills_for_its_script(client, staff_officer):
    page = client.get(reverse("admin:contracts_socialclause_add"), headers=EN)
    text = page.content.decode()

    assert "contracts/clause_template.js" in text
    found = re.search(r'data-clause-templates="([^"]*)"', text)
    assert found
    fills = json.loads(unescape(found.group(1)))
    assert set(fills) == set(TEMPLATES)
    assert fills["uhm_11554_a"]["metric"] == Metric.FTE_MONTHS
    assert fills["uhm_11554_a"]["first_start_within_days"] == 183
    assert fills["dialogue_placements"]["kind"] == ClauseKind.DIALOGUE
