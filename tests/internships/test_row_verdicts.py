"""Why a row does not count (issue 12, point 5): per row and clause, in the portal and on the
officer's review page, computed set-based."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from django.utils import translation

from contracts.choices import Metric
from internships.choices import ReportStatus
from internships.models import PlacementRow
from internships.selectors import report_row_verdicts
from tests.factories import (
    ContractFactory,
    ContractorUserFactory,
    ReportFactory,
    RowFactory,
    SocialClauseFactory,
)

pytestmark = pytest.mark.django_db
TODAY = date(2026, 6, 1)


@pytest.fixture(autouse=True)
def _today_in_english():
    """A fixed day; the texts in English unless a test asks a page for Swedish."""
    moment = datetime(2026, 6, 1, 12, tzinfo=ZoneInfo("Europe/Stockholm"))
    with time_machine.travel(moment), translation.override("en"):
        yield


@pytest.fixture
def report():
    """A submitted report on a contract with a placements clause (youth, at least 6 weeks) and a
    placement-weeks clause for everyone from March: P1 has 26 days in February (3.7 weeks),
    P2 60 days to March 2, P3 is not youth and has 14 of its 42 days in March."""
    contract = ContractFactory(start_date=date(2026, 1, 1), end_date=date(2026, 12, 31))
    SocialClauseFactory(
        contract=contract,
        metric=Metric.PLACEMENTS,
        target=Decimal(5),
        start_date=date(2026, 1, 1),
        due_date=date(2026, 12, 31),
        min_placement_weeks=Decimal(6),
        target_groups=["youth"],
    )
    SocialClauseFactory(
        contract=contract,
        metric=Metric.PLACEMENT_WEEKS,
        target=Decimal(50),
        start_date=date(2026, 3, 1),
        due_date=date(2026, 12, 31),
    )
    period = contract.reporting_periods()[0]
    report = ReportFactory(
        contract=contract,
        period_start=period.start,
        period_end=period.end,
        status=ReportStatus.SUBMITTED,
    )
    youth = {"target_group": _group("youth")}
    RowFactory(report=report, participant_ref="P1", **youth, **_span(2, 1, 2, 26))
    RowFactory(report=report, participant_ref="P2", **youth, **_span(1, 2, 3, 2))
    RowFactory(report=report, participant_ref="P3", **_span(2, 1, 3, 14))
    return report


def _group(code: str):
    from contracts.models import TargetGroup

    return TargetGroup.objects.get(code=code)


def _span(m1: int, d1: int, m2: int, d2: int) -> dict:
    return {"start_date": date(2026, m1, d1), "end_date": date(2026, m2, d2)}


def _texts(items) -> dict[str, list[str]]:
    return {item.row.participant_ref: [v.text for v in item.verdicts] for item in items}


def test_each_row_says_per_clause_whether_it_counts_and_why_not(report):
    items = report_row_verdicts(report, as_of=TODAY)
    assert _texts(items) == {
        "P1": ["under the minimum of 6 weeks so far: 3.7", "outside the clause window"],
        "P2": ["counts", "counts 2 of its 60 days (the rest is outside the clause window)"],
        "P3": [
            "target group not in the clause",
            "counts 14 of its 42 days (the rest is outside the clause window)",
        ],
    }


def test_a_draft_row_does_not_count_unless_judged_as_approved(report):
    report.status = ReportStatus.DRAFT
    report.save()
    items = report_row_verdicts(report, as_of=TODAY)
    assert {text for texts in _texts(items).values() for text in texts} == {
        "report not counted (draft)"
    }
    judged = report_row_verdicts(report, as_of=TODAY, as_approved=True)
    assert _texts(judged)["P2"][0] == "counts"


def test_a_pending_correction_is_judged_as_if_approved_on_the_review_page(report, officer):
    report.status = ReportStatus.APPROVED
    report.save()
    correction = ReportFactory(
        contract=report.contract,
        period_start=report.period_start,
        period_end=report.period_end,
        status=ReportStatus.SUBMITTED,
        corrects=report,
    )
    # The correction adds a week to P1's placement: 33 days, still under 6 weeks...
    RowFactory(
        report=correction, participant_ref="P1", target_group=_group("youth"), **_span(2, 1, 3, 5)
    )
    assert _texts(report_row_verdicts(correction, as_of=TODAY))["P1"][0] == (
        "report not counted (a correction counts once approved)"
    )
    # ... and as approved, it replaces the original's rows instead of adding to them.
    judged = _texts(report_row_verdicts(correction, as_of=TODAY, as_approved=True))
    assert judged["P1"][0] == "under the minimum of 6 weeks so far: 4.7"


def test_the_verdicts_take_the_same_queries_for_many_rows(report, django_assert_num_queries):
    # The clauses, the facts of the rows that may count (as tuples) and this report's rows.
    with django_assert_num_queries(5):
        report_row_verdicts(report, as_of=TODAY)
    youth = _group("youth")
    PlacementRow.objects.bulk_create(
        PlacementRow(
            report=report,
            participant_ref=f"Q{n}",
            target_group=youth,
            start_date=date(2026, 2, 1),
            end_date=date(2026, 2, 20),
            hours=Decimal(10),
        )
        for n in range(40)
    )
    with django_assert_num_queries(5):
        items = report_row_verdicts(report, as_of=TODAY)
    assert len(items) == 43


def test_the_portal_report_page_says_why_in_swedish(report, client):
    user = ContractorUserFactory(username="varför", contractor=report.contract.contractor)
    client.force_login(user)
    page = client.get(
        reverse("portal:report", args=[report.pk]), HTTP_ACCEPT_LANGUAGE="sv"
    ).content.decode()
    assert "under minimum på 6 veckor hittills: 3,7" in page
    assert "målgruppen ingår inte i kravet" in page
    assert "utanför kravets tidsperiod" in page
    assert "om varje rad räknas visas som om rapporten vore godkänd" in page


def test_the_review_page_says_why(report, officer, client):
    officer.is_staff = True
    officer.save()
    client.force_login(officer)
    url = reverse("admin:internships_placementreport_review", args=[report.pk])
    response = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    page = response.content.decode()
    assert "under the minimum of 6 weeks so far: 3.7" in page
    assert "target group not in the clause" in page
    assert "Whether each row counts is shown as if the report were approved." in page
