"""The managers' dashboard: figures reconcile with the engine, filters, alerts, charts."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from contracts.choices import AlertKind, AlertState, ClauseStatus, Metric
from contracts.dashboard import dashboard_contracts
from contracts.models import Alert, Contract, TargetGroup
from contracts.selectors import evaluate_clauses
from contracts.services import compliance_run
from core import charts
from internships.choices import ReportStatus
from internships.demo import seed_demo
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
    # Districts, target groups, employment types, genders, age bands and the ranking.
    assert page.count('data-chart="bar"') == 6
    for heading in (
        "Deltagare per anställningsform",
        "Deltagare per kön",
        "Deltagare per åldersgrupp",
    ):
        assert heading in page
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
    assert response["Location"] == reverse("dashboard:index") + "#alerts"  # no open redirect
    alert.refresh_from_db()
    assert alert.state == AlertState.ACKNOWLEDGED and alert.acknowledged_by == manager


def test_dashboard_is_for_officers_and_managers(client, contractor_user, officer):
    client.force_login(contractor_user)
    assert client.get(reverse("dashboard:index")).status_code == 403
    client.force_login(officer)
    assert client.get(reverse("dashboard:index")).status_code == 200


def test_dashboard_takes_the_same_number_of_queries_for_2_and_12_contracts(
    client, manager, django_capture_on_commit_callbacks
):
    client.force_login(manager)
    counts = []
    for total in (2, 12):
        # Committed, as in production: the new contracts move the cache's generation on.
        with django_capture_on_commit_callbacks(execute=True):
            while Contract.objects.count() < total:
                contract = ContractFactory(start_date=date(2025, 1, 1))
                SocialClauseFactory(contract=contract)
                _delivered(contract, participants=[(f"P{contract.pk}", "youth")])
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("dashboard:index"), {"year": 2025}).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


# Every figure, bar and row leads somewhere (issue 12): the list behind a figure has as many
# lines as the figure says.


def _tile_link(page: str, kpi: str) -> str:
    match = re.search(
        rf'<a class="tile[^"]*" href="([^"]+)"><span class="tile-value" '
        rf'data-kpi="{kpi}">',
        page,
    )
    assert match, f"the {kpi} figure is not a link"
    return unescape(match.group(1))


def _follow(client, href: str):
    url = urlsplit(href)
    return client.get(url.path, {k: v[0] for k, v in parse_qs(url.query).items()})


@pytest.fixture
def demo_manager(client):
    seed_demo()
    compliance_run(as_of=timezone.localdate())
    from tests.factories import UserFactory

    user = UserFactory(username="manager-staff", groups=["managers"])
    user.is_staff = True
    user.save()
    client.force_login(user)
    return user


def test_each_clause_figure_links_to_a_list_of_exactly_those_clauses(client, demo_manager):
    page = client.get(reverse("dashboard:index"))
    board = page.context["board"]
    html = page.content.decode()
    assert sum(board.clause_counts[s] for s in ("at_risk", "behind", "breached")) > 0
    for status in (ClauseStatus.AT_RISK, ClauseStatus.BEHIND, ClauseStatus.BREACHED):
        href = _tile_link(html, status)
        assert href.endswith("#clauses")
        listed = _follow(client, href).context["clause_list"]
        assert listed.count == board.clause_counts[status], status
        assert {line.status for line in listed.rows} <= {status}
    placements = _follow(client, _tile_link(html, "placements")).context["clause_list"]
    assert placements.rows and {line.metric for line in placements.rows} == {Metric.PLACEMENTS}
    contracts = dashboard_contracts(
        Contract.objects.all(), year=board.year, district_id=None, contractor_id=None
    )
    assert placements.count == sum(
        1
        for item in evaluate_clauses(as_of=board.as_of, contracts=contracts)
        if item.evaluation.metric == Metric.PLACEMENTS
    )


def test_active_contracts_figure_links_to_the_admin_list_with_as_many_contracts(
    client, demo_manager
):
    district = Contract.objects.filter(status="active").first().district
    page = client.get(reverse("dashboard:index"), {"district": district.pk})
    board = page.context["board"]
    response = _follow(client, _tile_link(page.content.decode(), "active"))
    assert response.status_code == 200
    assert response.context["cl"].result_count == board.active_contracts > 0
    assert {c.district_id for c in response.context["cl"].result_list} == {district.pk}


def test_overdue_figure_links_to_a_list_of_the_overdue_reports(client, demo_manager):
    page = client.get(reverse("dashboard:index"))
    html = page.content.decode()
    assert _tile_link(html, "overdue") == "#overdue"
    section = html.split('id="overdue"', 1)[1].split("</section>", 1)[0]
    board = page.context["board"]
    assert board.overdue_reports > 0
    assert section.count("/admin/contracts/contract/") == board.overdue_reports


def test_district_and_contractor_bars_link_to_the_dashboard_filtered_by_them(client, demo_manager):
    page = client.get(reverse("dashboard:index"))
    html = page.content.decode()
    board = page.context["board"]
    name, count = board.by_district[0]
    bar = re.search(rf'<a href="([^"]+)" class="chart-link" aria-label="{name}: {count}">', html)
    filtered = _follow(client, unescape(bar.group(1))).context["board"]
    assert dict(filtered.by_district) == {name: count}
    top = board.rankings[0]
    bar = re.search(rf'<a href="([^"]+)" class="chart-link" aria-label="{top.contractor}: ', html)
    filtered = _follow(client, unescape(bar.group(1))).context["board"]
    assert [r.contractor for r in filtered.rankings] == [top.contractor]
    # The table beside each chart has the same links.
    assert html.count(unescape(bar.group(1)).replace("&", "&amp;")) >= 2


def test_target_group_bar_links_to_that_groups_rows_of_the_year(client, demo_manager):
    page = client.get(reverse("dashboard:index"))
    name, _count = page.context["board"].by_target_group[0]
    bar = re.search(
        rf'<a href="([^"]+)" class="chart-link" aria-label="{name}: ', page.content.decode()
    )
    response = _follow(client, unescape(bar.group(1)))
    assert response.status_code == 200
    rows = response.context["cl"].result_list
    year = timezone.localdate().year
    assert rows and all(row.target_group.name_sv == name for row in rows)
    assert all(row.end_date >= date(year, 1, 1) for row in rows)


def test_clause_and_alert_rows_link_to_their_contract(client, demo_manager):
    page = client.get(reverse("dashboard:index"), {"status": "all"})
    html = page.content.decode()
    listed = page.context["clause_list"]
    assert listed.count == sum(page.context["board"].clause_counts.values())
    clauses = html.split('id="clauses"', 1)[1].split("</section>", 1)[0]
    for line in listed.rows:
        contract = reverse("admin:contracts_contract_change", args=[line.contract_id])
        assert f'<a href="{contract}">{line.reference}</a>' in clauses
    alerts = html.split('id="alerts"', 1)[1].split("</section>", 1)[0]
    for alert in page.context["board"].alerts:
        assert f'<tr id="alert-{alert.pk}">' in alerts
        assert reverse("admin:contracts_contract_change", args=[alert.contract_id]) in alerts


def test_an_unknown_list_status_is_a_form_error_not_a_silent_list(client, manager, two_contracts):
    client.force_login(manager)
    page = client.get(reverse("dashboard:index"), {"status": "sideways"})
    assert page.status_code == 200
    assert "status" in page.context["form"].errors


def test_the_history_chart_names_its_contract_and_clause(client, manager, two_contracts):
    north, _south = two_contracts
    compliance_run(as_of=date(2025, 6, 30))
    clause = north.clauses.get()
    client.force_login(manager)
    page = client.get(reverse("dashboard:index"), {"year": 2025, "clause": clause.pk})
    html = page.content.decode()
    subject = html.split('class="chart-subject"', 1)[1].split("</p>", 1)[0]
    assert "K-N" in subject and "K-S" not in subject
    assert str(clause.get_metric_display()).capitalize() in subject
    assert re.search(r"<title id=\"lt\d+\">[^<]*K-N", html)


def test_placement_axis_ticks_are_whole_numbers(client, manager):
    # A small clause: two placements at most, where a plain axis would step by 0.5.
    contract = ContractFactory(reference="K-SMALL", start_date=date(2025, 1, 1))
    clause = SocialClauseFactory(contract=contract, metric=Metric.PLACEMENTS, target=Decimal(2))
    _delivered(contract, participants=[("A", "youth")])
    compliance_run(as_of=date(2025, 6, 30))
    client.force_login(manager)
    html = client.get(
        reverse("dashboard:index"), {"year": 2025, "clause": clause.pk}
    ).content.decode()
    ticks = re.findall(r'data-tick="y">([^<]+)<', html)
    assert ticks == ["0", "1", "2"]


@pytest.mark.parametrize(
    ("highest", "whole", "expected"),
    [
        (2, True, [0, 1, 2]),
        (0, True, [0, 1]),
        (3, True, [0, 1, 2, 3]),
        (7, True, [0, 2, 4, 6, 8]),
        (130, True, [0, 50, 100, 150]),
        (2, False, [0, 0.5, 1, 1.5, 2]),
        (8.4, False, [0, 5, 10]),
    ],
)
def test_axis_ticks_are_round_steps_from_zero(highest, whole, expected):
    assert charts.axis_ticks(highest, whole=whole) == expected


def test_acknowledging_returns_to_the_alert_list_with_the_same_filters(
    client, manager, two_contracts
):
    north, _south = two_contracts
    alert = Alert.objects.create(
        kind=AlertKind.REPORT_OVERDUE, contract=north, period_start=date(2025, 4, 1)
    )
    client.force_login(manager)
    back = f"{reverse('dashboard:index')}?year=2025&district={north.district_id}"
    response = client.post(
        reverse("dashboard:alert-ack", args=[alert.pk]), {"next": back + "#kpis"}
    )
    assert response.status_code == 302
    assert response["Location"] == back + "#alerts"
    page = client.get(back).content.decode()
    assert 'id="alerts"' in page and f'id="alert-{alert.pk}"' not in page


def test_alert_anchors_are_plain_ids_even_past_a_thousand(client, officer, two_contracts):
    # Numbers are grouped by thousands in Swedish ("1 234"); an id in an anchor never is.
    north, _ = two_contracts
    alert = Alert.objects.create(
        pk=12345, kind=AlertKind.CLAUSE_BREACHED, contract=north, clause=north.clauses.first()
    )
    client.force_login(officer)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "sv"

    page = client.get(reverse("dashboard:index"), {"year": 2025}).content.decode()

    assert f'id="alert-{alert.pk}"' in page and f'for="alert-close-{alert.pk}"' in page
    assert "12\xa0345" not in page and "12 345" not in page


def test_the_message_about_an_acknowledged_alert_stands_in_the_list_of_alerts(
    client, manager, two_contracts
):
    # The page returns scrolled to its alerts: the message stands there, not out of view.
    north, _ = two_contracts
    alert = Alert.objects.create(
        kind=AlertKind.REPORT_OVERDUE, contract=north, period_start=date(2025, 4, 1)
    )
    client.force_login(manager)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    back = reverse("dashboard:index") + "?year=2025"

    page = client.post(
        reverse("dashboard:alert-ack", args=[alert.pk]), {"next": back}, follow=True
    ).content.decode()

    alerts = page[page.index('id="alerts"') :]
    assert "The alert is acknowledged." in alerts
    assert page.count("The alert is acknowledged.") == 1
