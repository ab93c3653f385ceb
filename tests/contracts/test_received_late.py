"""A report received after its due date is shown as received late (issue 12, point 5): the
schedule, the API, the portal and the annual report read the same fact."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from rest_framework.test import APIClient

from contracts.annual import annual_report
from contracts.choices import Metric, ReportingFrequency
from contracts.models import Contract
from contracts.selectors import contract_schedule
from internships import services
from tests.factories import (
    ContractFactory,
    ContractorUserFactory,
    ReportFactory,
    RowFactory,
    SocialClauseFactory,
)

pytestmark = pytest.mark.django_db
STOCKHOLM = ZoneInfo("Europe/Stockholm")


def _at(day: date, hour: int = 10):
    return time_machine.travel(datetime(day.year, day.month, day.day, hour, tzinfo=STOCKHOLM))


def _send(contract: Contract, index: int, user, day: date, *, hour: int = 10):
    """A report of the contract's ``index``th period with one row, submitted on ``day``."""
    period = contract.reporting_periods()[index]
    report = ReportFactory(contract=contract, period_start=period.start, period_end=period.end)
    RowFactory(report=report, participant_ref=f"P{index}")
    with _at(day, hour):
        services.report_submit(report=report, user=user)
    report.refresh_from_db()
    return report


@pytest.fixture
def quarters(officer):
    """A 2025 contract reported quarterly, due 10 days after each quarter:
    Q1 due Apr 10, Q2 due Jul 10, Q3 due Oct 10, Q4 due 2026-01-10."""
    contract = ContractFactory(
        start_date=date(2025, 1, 1),
        end_date=date(2025, 12, 31),
        reporting_frequency=ReportingFrequency.QUARTERLY,
        report_grace_days=10,
    )
    SocialClauseFactory(contract=contract, metric=Metric.PLACEMENTS, target=Decimal(4))
    user = ContractorUserFactory(username="sen", contractor=contract.contractor)
    # Q1: came five days late, then approved; a correction later neither moves nor hides it.
    q1 = _send(contract, 0, user, date(2025, 4, 15))
    services.report_approve(report=q1, user=officer)
    with _at(date(2025, 6, 1)):
        correction = services.report_correct(report=q1, user=user, reason="Fel timmar.")
        services.report_submit(report=correction, user=user)
        services.report_approve(report=correction, user=officer)
    # Q2: on its due day, late in the evening (local time: the day is still the due date).
    _send(contract, 1, user, date(2025, 7, 10), hour=23)
    # Q3: sent on time but rejected; sent again after the due date: late.
    q3 = _send(contract, 2, user, date(2025, 10, 5))
    services.report_reject(report=q3, user=officer, comment="Saknar rader.")
    _send(contract, 2, user, date(2025, 10, 20))
    return contract, user


def test_the_schedule_gives_the_day_the_report_first_came_and_whether_it_was_late(quarters):
    contract, _user = quarters
    entries = contract_schedule(contract, as_of=date(2025, 12, 31))
    assert [(e.state, e.received_on, e.late) for e in entries] == [
        ("received", date(2025, 4, 15), True),
        ("received", date(2025, 7, 10), False),
        ("received", date(2025, 10, 20), True),
        ("upcoming", None, False),
    ]


def test_the_api_schedule_exposes_the_received_day_and_late(quarters):
    contract, user = quarters
    client = APIClient()
    client.force_authenticate(user)
    response = client.get(f"/api/v1/contracts/{contract.pk}/schedule/?as_of=2025-12-31")
    assert response.status_code == 200
    assert [(p["received_on"], p["late"]) for p in response.json()] == [
        ("2025-04-15", True),
        ("2025-07-10", False),
        ("2025-10-20", True),
        (None, False),
    ]


def test_the_schema_documents_the_received_day_and_late(client):
    schema = client.get("/api/schema/?format=json").json()
    fields = schema["components"]["schemas"]["ScheduleEntry"]["properties"]
    assert fields["received_on"]["format"] == "date" and fields["received_on"]["nullable"]
    assert fields["late"]["type"] == "boolean"
    assert fields["late"]["description"]


@pytest.mark.usefixtures("quarters")
def test_the_annual_report_counts_the_same_periods_late():
    report = annual_report(year=2025, today=date(2026, 3, 1), contracts=Contract.objects.all())
    due = report.reports
    assert list(zip(due["received"], due["state"], strict=True)) == [
        (date(2025, 4, 15), "late"),
        (date(2025, 7, 10), "on_time"),
        (date(2025, 10, 20), "late"),
    ]
    summary = dict(
        zip(report.reports_summary["state"], report.reports_summary["reports"], strict=True)
    )
    assert summary == {"on_time": 1, "late": 2, "missing": 0, "not_due": 0}


def test_the_portal_says_received_late(quarters, client):
    contract, user = quarters
    client.force_login(user)
    with _at(date(2025, 12, 31)):
        page = client.get(
            reverse("portal:contract", args=[contract.pk]), HTTP_ACCEPT_LANGUAGE="sv"
        ).content.decode()
    assert page.count("inkommen sent") == 2
