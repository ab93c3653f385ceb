"""In a real browser (Swedish, desktop and phone width): the portal's report page says per row
and clause whether it counts and why not, the contract page marks a period received late, and the
officer's review page shows the same verdicts. Screenshots go to ``test-artifacts/screenshots/``.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.utils import timezone

from contracts.choices import Metric, ReportingFrequency
from contracts.models import TargetGroup
from internships.choices import ReportStatus
from tests.factories import (
    ContractFactory,
    ContractorUserFactory,
    ReportFactory,
    RowFactory,
    SocialClauseFactory,
    UserFactory,
)
from tests.web.test_browser import SHOTS, _ensure_reference_data, _page

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def world():
    _ensure_reference_data()  # a transactional test before this one may have flushed them
    today = timezone.localdate()
    start = date(today.year, 1, 1) if today.month > 3 else date(today.year - 1, 1, 1)
    contract = ContractFactory(
        reference="K-SEN-1",
        start_date=start,
        end_date=start + timedelta(days=729),
        reporting_frequency=ReportingFrequency.QUARTERLY,
        report_grace_days=10,
    )
    SocialClauseFactory(
        contract=contract,
        metric=Metric.PLACEMENTS,
        target=Decimal(5),
        start_date=start,
        due_date=start + timedelta(days=729),
        min_placement_weeks=Decimal(6),
        target_groups=["youth"],
    )
    SocialClauseFactory(
        contract=contract,
        metric=Metric.HOURS,
        target=Decimal(900),
        start_date=start + timedelta(days=14),
        due_date=start + timedelta(days=729),
    )
    first = contract.reporting_periods()[0]
    report = ReportFactory(
        contract=contract,
        period_start=first.start,
        period_end=first.end,
        status=ReportStatus.SUBMITTED,
        # Five days after the due date: received late.
        submitted_at=timezone.make_aware(
            datetime.combine(first.due_date + timedelta(days=5), datetime.min.time())
        ),
    )
    youth = TargetGroup.objects.get(code="youth")
    RowFactory(
        report=report,
        participant_ref="B-0042",
        target_group=youth,
        start_date=start + timedelta(days=31),
        end_date=start + timedelta(days=56),
    )
    RowFactory(report=report, participant_ref="B-0051", target_group=youth)
    RowFactory(report=report, participant_ref="B-0063")
    user = ContractorUserFactory(username="sen-anna", contractor=contract.contractor)
    officer = UserFactory(username="handläggare", groups=["officers"], is_staff=True)
    return contract, report, user, officer


def _as(client, user, live_server, page) -> None:
    client.force_login(user)
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )


def _fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


@pytest.mark.parametrize("width", [1366, 390])
def test_pages_say_why_a_row_counts_and_that_a_report_came_late(
    browser,
    live_server,
    client,
    world,
    width,
):
    contract, report, user, officer = world
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = _page(browser, width=width)
    _as(client, user, live_server, page)

    page.goto(f"{live_server.url}/portal/contracts/{contract.pk}/")
    assert page.locator("text=inkommen sent").count() == 1
    page.screenshot(path=SHOTS / f"rules-contract-{width}.png", full_page=True)
    assert _fits(page)

    page.goto(f"{live_server.url}/portal/reports/{report.pk}/")
    rows = page.locator("#report-rows")
    assert rows.get_by_text("under minimum på 6 veckor hittills: 3,7").is_visible()
    assert rows.get_by_text("målgruppen ingår inte i kravet").count() == 1
    page.screenshot(path=SHOTS / f"rules-report-{width}.png", full_page=True)
    assert _fits(page)

    page = _page(browser, width=width)
    _as(client, officer, live_server, page)
    page.goto(f"{live_server.url}/admin/internships/placementreport/{report.pk}/review/")
    assert page.locator("#report-rows").get_by_text("under minimum på 6 veckor hittills: 3,7")
    page.screenshot(path=SHOTS / f"rules-review-{width}.png", full_page=True)
