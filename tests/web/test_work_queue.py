"""The officers' work queue (/admin/work-queue/): where officers land, what it lists, who may
open it, and a query count that does not grow with the number of contracts.

Overdue reports and clauses behind or breached come from the latest compliance run (its open
alerts and snapshots), so the tests run it, as the nightly job and every report transition do."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from contracts.choices import ClauseStatus, ContractStatus, Metric
from contracts.selectors import evaluate_clauses
from contracts.services import compliance_run
from internships.choices import ReportStatus
from tests.factories import (
    ContractFactory,
    ContractorUserFactory,
    ReportFactory,
    RowFactory,
    SocialClauseFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

#: "Today" for these tests: the second quarter of 2025 is overdue (due 10 July), the third not yet.
TODAY = datetime(2025, 8, 15, 12, 0, tzinfo=ZoneInfo("Europe/Stockholm"))
URL = "/admin/work-queue/"


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(TODAY, tick=False):
        yield


@pytest.fixture
def staff_officer(officer):
    officer.is_staff = True
    officer.save()
    return officer


def _contract(**kwargs):
    defaults = {
        "start_date": date(2025, 1, 1),
        "end_date": date(2025, 12, 31),
        "status": ContractStatus.ACTIVE,
    }
    return ContractFactory(**{**defaults, **kwargs})


def _submitted(contract, *, period: int = 0, days_ago: int = 1, people: int = 2):
    """A submitted report of the contract's ``period``-th period, ``days_ago`` days ago."""
    periods = contract.reporting_periods()
    report = ReportFactory(
        contract=contract,
        period_start=periods[period].start,
        period_end=periods[period].end,
        status=ReportStatus.SUBMITTED,
        submitted_at=TODAY - timedelta(days=days_ago),
    )
    for n in range(people):
        RowFactory(report=report, participant_ref=f"W{report.pk}-{n}")
    return report


def test_officer_lands_on_the_work_queue_after_logging_in(client, staff_officer):
    response = client.post(
        reverse("login"), {"username": staff_officer.username, "password": "demo1234"}, follow=True
    )
    assert response.redirect_chain[-1][0] == URL
    assert response.status_code == 200
    assert response.templates[0].name == "admin/work_queue.html"


def test_reports_waiting_for_review_are_listed_oldest_first_with_their_review_links(
    client, staff_officer
):
    contract = _contract(reference="K-WQ-1", title="Kv. Kastanjen")
    newer = _submitted(contract, period=1, days_ago=2)
    older = _submitted(contract, period=0, days_ago=9)
    ReportFactory(contract=_contract(), status=ReportStatus.DRAFT)
    ReportFactory(contract=_contract(), status=ReportStatus.APPROVED)
    client.force_login(staff_officer)
    response = client.get(URL, HTTP_ACCEPT_LANGUAGE="en")
    queue = response.context["queue"]
    assert [report.pk for report in queue.to_review] == [older.pk, newer.pk]
    assert queue.to_review_count == 2
    page = response.content.decode()
    assert "Waiting for review (2 reports)" in page
    first = page.index(reverse("admin:internships_placementreport_review", args=[older.pk]))
    second = page.index(reverse("admin:internships_placementreport_review", args=[newer.pk]))
    assert first < second
    assert "Kv. Kastanjen" in page and contract.contractor.name in page


def test_overdue_periods_of_active_contracts_are_listed_with_a_link_to_the_contract(
    client, staff_officer
):
    contract = _contract(reference="K-WQ-2")
    _submitted(contract, period=0)  # the first quarter is received; the second is overdue
    _contract(reference="K-WQ-DRAFT", status=ContractStatus.DRAFT)  # nobody chases a draft
    client.force_login(staff_officer)
    assert client.get(URL).context["queue"].overdue == []  # nothing until a run has found it
    compliance_run(as_of=TODAY.date())
    response = client.get(URL, HTTP_ACCEPT_LANGUAGE="en")
    queue = response.context["queue"]
    assert [(item.contract.reference, item.entry.period_start) for item in queue.overdue] == [
        ("K-WQ-2", date(2025, 4, 1))
    ]
    assert queue.overdue[0].days_late == (date(2025, 8, 15) - date(2025, 7, 10)).days
    page = response.content.decode()
    assert "Overdue (1 report)" in page
    assert reverse("admin:contracts_contract_change", args=[contract.pk]) in page
    assert "K-WQ-DRAFT" not in page


def test_clauses_behind_or_breached_are_listed_and_clauses_on_course_are_not(client, staff_officer):
    behind_contract = _contract(reference="K-WQ-3")
    behind = SocialClauseFactory(contract=behind_contract, target=Decimal(100))
    met = SocialClauseFactory(contract=behind_contract, target=Decimal(1))
    _submitted(behind_contract, period=0, people=2)
    breached_contract = _contract(reference="K-WQ-4", start_date=date(2024, 1, 1))
    breached = SocialClauseFactory(
        contract=breached_contract, target=Decimal(10), due_date=date(2025, 6, 30)
    )
    statuses = {
        item.clause.id: item.evaluation.status for item in evaluate_clauses(as_of=TODAY.date())
    }
    assert statuses == {
        behind.pk: ClauseStatus.BEHIND,
        met.pk: ClauseStatus.MET,
        breached.pk: ClauseStatus.BREACHED,
    }
    compliance_run(as_of=TODAY.date())
    client.force_login(staff_officer)
    response = client.get(URL, HTTP_ACCEPT_LANGUAGE="en")
    queue = response.context["queue"]
    assert [item.clause.id for item in queue.clauses] == [breached.pk, behind.pk]  # breached first
    page = response.content.decode()
    assert "Behind or breached (2 clauses)" in page
    for clause in (behind, breached):
        assert reverse("admin:contracts_socialclause_change", args=[clause.pk]) in page
    assert reverse("admin:contracts_socialclause_change", args=[met.pk]) not in page
    assert "status-breached" in page and "status-behind" in page


def test_the_work_queue_speaks_swedish_and_english(client, staff_officer, compiled_catalogue):
    contract = _contract()
    _submitted(contract, period=0)
    _submitted(contract, period=1)
    client.force_login(staff_officer)
    swedish = client.get(URL, HTTP_ACCEPT_LANGUAGE="sv").content.decode()
    assert "Väntar på granskning (2 rapporter)" in swedish
    assert "Arbetslista" in swedish and "Work queue" not in swedish
    english = client.get(URL, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Waiting for review (2 reports)" in english
    assert "Arbetslista" not in english


def test_an_empty_queue_says_so(client, staff_officer):
    client.force_login(staff_officer)
    page = client.get(URL, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "No report is waiting for review." in page
    assert "No report is overdue." in page
    assert "No clause is behind or breached." in page


def test_managers_may_read_the_queue_and_others_may_not(client, manager):
    manager.is_staff = True
    manager.save()
    client.force_login(manager)
    assert client.get(URL).status_code == 200
    staff_without_role = UserFactory(username="staff-no-role", is_staff=True)
    client.force_login(staff_without_role)
    assert client.get(URL).status_code == 403
    client.force_login(ContractorUserFactory(username="bygg-wq"))
    response = client.get(URL)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def _portfolio(total: int) -> None:
    """Contracts, each with two clauses, a report waiting for review and an overdue period."""
    while ContractFactory._meta.model.objects.count() < total:
        contract = _contract()
        SocialClauseFactory(contract=contract, metric=Metric.PLACEMENTS, target=Decimal(50))
        SocialClauseFactory(contract=contract, metric=Metric.HOURS, target=Decimal(500))
        _submitted(contract, period=0)


def test_the_queue_takes_few_queries_and_as_many_for_12_contracts_as_for_3(
    client, staff_officer, django_assert_max_num_queries
):
    client.force_login(staff_officer)
    counts = []
    for total in (3, 12):
        _portfolio(total)
        compliance_run(as_of=TODAY.date())
        with CaptureQueriesContext(connection) as queries:
            response = client.get(URL)
        counts.append(len(queries))
        queue = response.context["queue"]
        assert queue.to_review_count == total and queue.overdue_count == total
        assert queue.clauses_count == 2 * total
    assert counts[0] == counts[1], counts
    # 6 for the queue (contracts/work_queue.py); the rest are the session, the user, its groups
    # and permissions (the admin menu), its contractor membership and the session update.
    with django_assert_max_num_queries(15):
        client.get(URL)


def test_the_longest_overdue_come_first_exactly_when_the_list_is_cut(
    client, staff_officer, monkeypatch
):
    """Only a few overdue periods are read, yet the ones shown are the earliest due of all, as
    the schedule computes them (a quarterly period can start first and be due later)."""
    from contracts import work_queue as module
    from contracts.choices import ReportingFrequency
    from contracts.selectors import active_contracts, overdue_periods

    monkeypatch.setattr(module, "LIST_LIMIT", 3)
    _contract(reference="K-WQ-Q", reporting_frequency=ReportingFrequency.QUARTERLY)
    _contract(
        reference="K-WQ-M", reporting_frequency=ReportingFrequency.MONTHLY, report_grace_days=0
    )
    compliance_run(as_of=TODAY.date())
    client.force_login(staff_officer)
    queue = client.get(URL, HTTP_ACCEPT_LANGUAGE="en").context["queue"]
    everything = sorted(
        overdue_periods(active_contracts(), as_of=TODAY.date()),
        key=lambda item: (item[1].due_date, item[0].reference),
    )
    assert queue.overdue_count == len(everything) == 2 + 7
    expected = [(contract.reference, entry.period_start) for contract, entry in everything[:3]]
    assert expected == [
        ("K-WQ-M", date(2025, 1, 1)),
        ("K-WQ-M", date(2025, 2, 1)),
        ("K-WQ-M", date(2025, 3, 1)),
    ]
    assert [
        (item.contract.reference, item.entry.period_start) for item in queue.overdue
    ] == expected
    assert [item.entry.due_date for item in queue.overdue] == [
        entry.due_date for _contract, entry in everything[:3]
    ]
