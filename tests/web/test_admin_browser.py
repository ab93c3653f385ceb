"""The officers' admin pages in a real browser (Playwright driving Debian's Chromium): the
compliance column of the contract and clause lists is on screen at 1366 px, and the review page
and the work queue fit a 390 px phone. Screenshots go to ``test-artifacts/screenshots/``."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from contracts.choices import ContractStatus, Metric
from contracts.services import compliance_run
from internships.choices import ReportStatus
from tests.factories import (
    ContractFactory,
    ContractorFactory,
    ReportFactory,
    RowFactory,
    SocialClauseFactory,
    UserFactory,
)
from tests.web.test_browser import SHOTS, _ensure_reference_data, _login, _page

#: The journey's Chromium fixture, shared (pytest finds fixtures by name in the module).

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

#: Where a column's header ends, and where the box it scrolls in ends (the visible part).
RIGHT_EDGES = """(selector) => {
    const header = document.querySelector(selector);
    const box = header.closest('.results') || document.documentElement;
    return [header.getBoundingClientRect().right, box.getBoundingClientRect().right];
}"""


def _portfolio():
    """An officer and a realistic admin: long titles and company names, two clauses per
    contract with snapshots, and a submitted report with wide rows."""
    _ensure_reference_data()
    officer = UserFactory(
        username="officer-browser", first_name="Olivia", groups=["officers"], is_staff=True
    )
    today = timezone.localdate()
    contractor = ContractorFactory(name="Norrahammar Mark & Anläggning Aktiebolag")
    contracts = []
    for n in range(6):
        contract = ContractFactory(
            reference=f"K-2025-{n:03d}",
            title=f"Huskvarna kv. Ekudden {n}, 120 lägenheter med garage och markarbeten",
            contractor=contractor,
            start_date=today - timedelta(days=400),
            end_date=today + timedelta(days=300),
            status=ContractStatus.ACTIVE,
        )
        SocialClauseFactory(contract=contract, metric=Metric.PLACEMENTS, target=Decimal(12))
        SocialClauseFactory(contract=contract, metric=Metric.HOURS, target=Decimal(8000))
        contracts.append(contract)
    period = contracts[0].reporting_periods()[1]
    report = ReportFactory(
        contract=contracts[0],
        period_start=period.start,
        period_end=period.end,
        status=ReportStatus.SUBMITTED,
        submitted_at=timezone.now(),
    )
    for n in range(4):
        RowFactory(
            report=report,
            participant_ref=f"pn-61a3457837894e1c9b{n}",
            role="Betongarbetare och armeringsarbetare",
            notes="Förlängd praktik efter avstämning med arbetsförmedlingen i Jönköping",
        )
    compliance_run(as_of=today)
    return officer, report


def test_compliance_column_is_on_screen_at_1366_px(browser, live_server):
    officer, _report = _portfolio()
    page = _page(browser, width=1366)
    page.set_viewport_size({"width": 1366, "height": 768})
    _login(page, live_server.url, officer.username)
    for name in ("contract", "socialclause"):
        page.goto(f"{live_server.url}{reverse(f'admin:contracts_{name}_changelist')}")
        page.wait_for_selector("#result_list td.field-compliance .badge")
        header_right, visible_right = page.evaluate(RIGHT_EDGES, "th.column-compliance")
        assert header_right <= min(visible_right, 1366), (name, header_right, visible_right)
        page.screenshot(path=str(SHOTS / f"admin-{name}-list-1366.png"))


def test_review_page_and_work_queue_fit_a_390_px_phone(browser, live_server):
    officer, report = _portfolio()
    page = _page(browser, width=390)
    _login(page, live_server.url, officer.username)
    assert page.url.endswith("/admin/work-queue/")
    page.wait_for_selector("#queue-review tbody tr")
    assert page.locator("#queue-review tbody tr").count() == 1
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(SHOTS / "admin-work-queue-390.png"), full_page=True)
    page.click(f"a[href='{reverse('admin:internships_placementreport_review', args=[report.pk])}']")
    page.wait_for_selector("#report-rows tbody tr")
    assert page.locator("#report-rows tbody tr").count() == 4
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    # The rows are all there: their table scrolls inside its own box.
    rows = page.locator("#report-rows")
    assert rows.evaluate("table => table.scrollWidth > table.clientWidth")
    page.screenshot(path=str(SHOTS / "admin-review-390.png"), full_page=True)
