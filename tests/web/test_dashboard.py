"""The managers' dashboard: figures reconcile with the engine, filters, alerts, charts."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from contracts.choices import AlertKind, AlertState, Metric
from contracts.models import Alert, Contract, TargetGroup
from contracts.selectors import evaluate_clauses
from contracts.services import compliance_run
from internships.choices import ReportStatus
from tests.factories import (
    ContractFactory,
    DistrictFactory,
    ReportFactory,
    RowFactory,
    SocialClauseFactory,
)

pytestmark = pytest.mark.django_db


def _delivered(contract, *, participants: list[tuple[str, str]], status=ReportStatus.APPROVED):
    report = ReportFactory(contract=contract, status=status)
    for ref, group in participants:
        RowFactory(
            report=report,
            participant_ref=ref,
            target_group=TargetGroup.objects.get(code=group),
        )
    return report


@pytest.fixture
def two_contracts(db):
    north = ContractFactory(
        reference="K-N", district=DistrictFactory(name="Råslätt"), start_date=date(2025, 1, 1)
    )
    south = ContractFactory(
        reference="K-S", district=DistrictFactory(name="Öxnehaga"), start_date=date(2025, 1, 1)
    )
    for contract in (north, south):
        SocialClauseFactory(contract=contract, metric=Metric.PLACEMENTS, target=Decimal(6))
    _delivered(north, participants=[("A", "foreign_born_women"), ("B", "youth")])
    _delivered(south, participants=[("C", "newly_arrived")], status=ReportStatus.SUBMITTED)
    return north, south


def test_key_figures_equal_the_engine_for_the_year(client, manager, two_contracts):
    client.force_login(manager)
    response = client.get(reverse("dashboard:index"), {"year": 2025})
    assert response.status_code == 200
    board = response.context["board"]
    year_end = date(2025, 12, 31)
    evaluations = evaluate_clauses(as_of=year_end, contracts=Contract.objects.all())
    before = evaluate_clauses(as_of=date(2024, 12, 31), contracts=Contract.objects.all())
    assert board.as_of == year_end
    assert board.placements_delivered == sum(e.evaluation.reported for e in evaluations) - sum(
        e.evaluation.reported for e in before
    )
    assert board.placements_delivered == 3  # A, B approved and C submitted
    assert board.placements_expected == sum(e.evaluation.expected for e in evaluations)
    assert (board.participants, board.participants_fbw, board.fbw_share) == (3, 1, Decimal("33.3"))
    assert dict(board.by_district) == {"Råslätt": 2, "Öxnehaga": 1}
    assert board.active_contracts == 2
    statuses = [e.evaluation.status for e in evaluations]
    for status in set(statuses):
        assert board.clause_counts[status] == statuses.count(status)


def test_filters_narrow_every_figure(client, manager, two_contracts):
    north, _south = two_contracts
    client.force_login(manager)
    board = client.get(
        reverse("dashboard:index"), {"year": 2025, "district": north.district_id}
    ).context["board"]
    assert (board.active_contracts, board.participants) == (1, 2)
    assert dict(board.by_district) == {"Råslätt": 2}
    board = client.get(
        reverse("dashboard:index"), {"year": 2025, "contractor": north.contractor_id}
    ).context["board"]
    assert [r.contractor for r in board.rankings] == [north.contractor.name]


def test_charts_are_drawn_as_svg_with_a_text_alternative(client, manager, two_contracts):
    compliance_run(as_of=date(2025, 6, 30))  # a snapshot for the history chart
    client.force_login(manager)
    page = client.get(reverse("dashboard:index"), {"year": 2025}).content.decode()
    assert page.count('data-chart="bar"') == 3
    assert 'data-chart="line"' in page and "<polyline" in page
    assert "<title" in page and "<desc" in page


def test_manager_acknowledges_an_alert_from_the_dashboard(client, manager, two_contracts):
    north, _ = two_contracts
    alert = Alert.objects.create(
        kind=AlertKind.REPORT_OVERDUE, contract=north, period_start=date(2025, 4, 1)
    )
    client.force_login(manager)
    page = client.get(reverse("dashboard:index"), {"year": 2025})
    assert alert in page.context["board"].alerts
    response = client.post(
        reverse("dashboard:alert-ack", args=[alert.pk]), {"next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("dashboard:index")  # no open redirect
    alert.refresh_from_db()
    assert alert.state == AlertState.ACKNOWLEDGED and alert.acknowledged_by == manager


def test_dashboard_is_for_officers_and_managers(client, contractor_user, officer):
    client.force_login(contractor_user)
    assert client.get(reverse("dashboard:index")).status_code == 403
    client.force_login(officer)
    assert client.get(reverse("dashboard:index")).status_code == 200


def test_dashboard_takes_the_same_number_of_queries_for_2_and_12_contracts(client, manager):
    client.force_login(manager)
    counts = []
    for total in (2, 12):
        while Contract.objects.count() < total:
            contract = ContractFactory(start_date=date(2025, 1, 1))
            SocialClauseFactory(contract=contract)
            _delivered(contract, participants=[(f"P{contract.pk}", "youth")])
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("dashboard:index"), {"year": 2025}).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
