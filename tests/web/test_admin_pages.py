"""The officers' admin: compliance badges, the status filter, the report review page, and list
pages whose query count does not grow with the number of rows."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from contracts.choices import ClauseStatus, Metric
from contracts.models import Contract
from contracts.services import compliance_run
from internships.choices import ReportStatus
from internships.models import PlacementReport
from tests.factories import ContractFactory, ReportFactory, RowFactory, SocialClauseFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_officer(officer):
    officer.is_staff = True
    officer.save()
    return officer


def _submitted(contract, people: int = 2):
    report = ReportFactory(contract=contract, status=ReportStatus.SUBMITTED)
    for n in range(people):
        RowFactory(report=report, participant_ref=f"R{report.pk}-{n}")
    return report


def _grow(total: int) -> None:
    while Contract.objects.count() < total:
        contract = ContractFactory()
        SocialClauseFactory(contract=contract, metric=Metric.PLACEMENTS)
        SocialClauseFactory(contract=contract, metric=Metric.HOURS, target=Decimal(500))
        _submitted(contract)
    compliance_run(as_of=date(2025, 6, 30))


@pytest.mark.parametrize(
    "url",
    [
        "admin:contracts_contract_changelist",
        "admin:contracts_socialclause_changelist",
        "admin:internships_placementreport_changelist",
        "admin:contracts_alert_changelist",
    ],
)
def test_list_pages_take_the_same_number_of_queries_for_2_and_10_contracts(
    client, staff_officer, url
):
    client.force_login(staff_officer)
    counts = []
    for total in (2, 10):
        _grow(total)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse(url)).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


def test_clause_badges_say_the_status_in_words_and_the_filter_finds_it(client, staff_officer):
    contract = ContractFactory(start_date=date(2024, 1, 1), end_date=date(2025, 12, 31))
    behind = SocialClauseFactory(contract=contract, target=Decimal(10))
    compliance_run(as_of=date(2025, 6, 30))
    client.force_login(staff_officer)
    page = client.get(reverse("admin:contracts_socialclause_changelist")).content.decode()
    assert "status-behind" in page and str(ClauseStatus.BEHIND.label) in page
    assert "0 rapporterade av" in page or "0 reported of" in page
    found = (
        client.get(reverse("admin:contracts_socialclause_changelist"), {"compliance": "behind"})
        .context["cl"]
        .result_list
    )
    assert list(found) == [behind]
    none = (
        client.get(reverse("admin:contracts_contract_changelist"), {"compliance": "met"})
        .context["cl"]
        .result_list
    )
    assert list(none) == []


def test_review_page_shows_the_effect_and_approves(client, staff_officer):
    contract = ContractFactory(start_date=date(2024, 1, 1), end_date=date(2025, 12, 31))
    SocialClauseFactory(contract=contract, metric=Metric.PLACEMENTS, target=Decimal(4))
    report = _submitted(contract, people=3)
    client.force_login(staff_officer)
    url = reverse("admin:internships_placementreport_review", args=[report.pk])
    page = client.get(url)
    assert page.status_code == 200
    [(_clause, effect)] = page.context["effects"]
    assert (effect.without.reported, effect.approved.reported) == (0, 3)
    assert (effect.without.verified, effect.approved.verified) == (0, 3)
    report.refresh_from_db()
    assert report.status == ReportStatus.SUBMITTED  # the what-if wrote nothing
    client.post(url, {"approve": "1", "comment": ""})
    report.refresh_from_db()
    assert report.status == ReportStatus.APPROVED and report.reviewed_by == staff_officer


def test_rejecting_needs_a_comment(client, staff_officer):
    report = _submitted(ContractFactory())
    client.force_login(staff_officer)
    url = reverse("admin:internships_placementreport_review", args=[report.pk])
    response = client.post(url, {"reject": "1", "comment": "  "})
    assert response.status_code == 200 and response.context["form"].errors["comment"]
    report.refresh_from_db()
    assert report.status == ReportStatus.SUBMITTED
    client.post(url, {"reject": "1", "comment": "Timmarna saknas för D-2."})
    report.refresh_from_db()
    assert report.status == ReportStatus.REJECTED
    assert report.review_comment == "Timmarna saknas för D-2."


def test_manager_sees_the_review_page_but_cannot_decide(client, manager):
    manager.is_staff = True
    manager.save()
    report = _submitted(ContractFactory())
    client.force_login(manager)
    url = reverse("admin:internships_placementreport_review", args=[report.pk])
    page = client.get(url)
    assert page.status_code == 200 and not page.context["can_review"]
    client.post(url, {"approve": "1"})
    report.refresh_from_db()
    assert report.status == ReportStatus.SUBMITTED


def test_manager_acknowledges_alerts_with_the_admin_action(client, manager):
    from contracts.choices import AlertKind, AlertState
    from contracts.models import Alert

    manager.is_staff = True
    manager.save()
    alert = Alert.objects.create(kind=AlertKind.CLAUSE_BEHIND, contract=ContractFactory())
    client.force_login(manager)
    response = client.post(
        reverse("admin:contracts_alert_changelist"),
        {"action": "acknowledge", "_selected_action": [alert.pk]},
    )
    assert response.status_code == 302
    alert.refresh_from_db()
    assert alert.state == AlertState.ACKNOWLEDGED and alert.acknowledged_by == manager
    record = alert.history.latest()
    assert record.history_user == manager and record.state == AlertState.ACKNOWLEDGED


@pytest.mark.parametrize("role", ["officer", "manager"])
def test_every_admin_page_links_to_the_work_queue_the_dashboard_and_the_integration_report(
    client, request, role
):
    user = request.getfixturevalue(role)
    user.is_staff = True
    user.save()
    client.force_login(user)
    links = [reverse("work-queue"), reverse("dashboard:index"), reverse("dashboard:annual-latest")]
    for url in ("admin:index", "admin:contracts_contract_changelist"):
        page = client.get(reverse(url)).content.decode()
        for link in links:
            assert f'href="{link}"' in page, (url, link)


def test_staff_without_a_role_gets_no_links_to_pages_it_cannot_open(client):
    from tests.factories import UserFactory

    client.force_login(UserFactory(username="staff-only", is_staff=True))
    page = client.get(reverse("admin:index")).content.decode()
    assert reverse("work-queue") not in page and reverse("dashboard:index") not in page


def test_bulk_delete_removes_only_drafts_and_says_what_was_kept(client, staff_officer):
    contract = ContractFactory()
    periods = contract.reporting_periods()
    draft = ReportFactory(contract=contract)
    RowFactory(report=draft)
    sent = ReportFactory(
        contract=contract,
        period_start=periods[1].start,
        period_end=periods[1].end,
        status=ReportStatus.APPROVED,
    )
    client.force_login(staff_officer)
    url = reverse("admin:internships_placementreport_changelist")
    listing = client.get(url)
    actions = dict(listing.context["action_form"].fields["action"].choices)
    assert "delete_selected" not in actions and "delete_drafts" in actions

    response = client.post(
        url,
        {"action": "delete_drafts", "_selected_action": [draft.pk, sent.pk]},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert list(PlacementReport.objects.values_list("pk", flat=True)) == [sent.pk]
    shown = [str(message) for message in response.context["messages"]]
    assert "1 draft deleted." in shown
    assert "1 report was kept: only drafts can be deleted." in shown


def test_a_sent_report_and_its_rows_are_read_only_in_the_admin(client, staff_officer):
    report = _submitted(ContractFactory(), people=1)
    row = report.rows.get()
    client.force_login(staff_officer)
    url = reverse("admin:internships_placementreport_change", args=[report.pk])

    page = client.get(url)

    assert not page.context["adminform"].form.fields  # every field read-only
    (inline,) = page.context["inline_admin_formsets"]
    assert not inline.has_change_permission and not inline.has_add_permission
    client.post(url, {"period_start": "2030-01-01", "status": "draft"})
    report.refresh_from_db()
    assert report.status == ReportStatus.SUBMITTED and report.rows.get() == row


def test_after_a_decision_the_review_page_offers_the_report_waiting_longest(client, staff_officer):
    from django.utils import timezone

    reports = [_submitted(ContractFactory()) for _ in range(3)]
    now = timezone.now()
    for age, report in zip((1, 3, 2), reports, strict=True):  # the second has waited longest
        PlacementReport.objects.filter(pk=report.pk).update(
            submitted_at=now - timezone.timedelta(days=age)
        )
    client.force_login(staff_officer)
    url = reverse("admin:internships_placementreport_review", args=[reports[0].pk])

    before = client.get(url)
    assert before.context["next_report"] is None  # offered only once this one is decided
    page = client.post(url, {"approve": "1", "comment": ""}, follow=True)

    assert page.context["next_report"] == reports[1]
    assert reverse("admin:internships_placementreport_review", args=[reports[1].pk]) in (
        page.content.decode()
    )
