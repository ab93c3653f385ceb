"""The matching organisation in a real browser (Playwright driving Debian's Chromium), issue 14:
the matcher confirms rows and disputes one on /matchning/ (also at phone width); the officer's
review page shows each row's verification and the verified figure changing; the contractor sees
the dispute and its comment on the report. Screenshots go to ``test-artifacts/screenshots/``."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from contracts.choices import Metric
from contracts.models import SocialClause
from internships.choices import ReportStatus, Verification
from internships.models import PlacementRow
from procurement.models import LabourMarketUnit, LabourMarketUnitMembership
from tests.factories import (
    ContractFactory,
    ContractorFactory,
    ContractorUserFactory,
    ReportFactory,
    RowFactory,
    UserFactory,
)
from tests.web.test_browser import SHOTS, _ensure_reference_data, _login, _page

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _slow_page(browser, *, width: int = 1280):
    """A page that waits longer than the default: the machine running the suite may be busy."""
    page = _page(browser, width=width)
    page.set_default_timeout(60_000)
    return page


def _overflow(page) -> int:
    return page.evaluate(
        "Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"
        " - document.documentElement.clientWidth"
    )


def _world():
    _ensure_reference_data()
    unit = LabourMarketUnit.objects.create(name="Arbetsmarknadsenheten")
    matcher = UserFactory(username="matchare-maja", first_name="Maja")
    LabourMarketUnitMembership.objects.create(user=matcher, unit=unit)
    officer = UserFactory(username="officer-olle", groups=["officers"], is_staff=True)
    contractor = ContractorFactory(name="Vätterbygg AB")
    contractor_user = ContractorUserFactory(username="bygg-anna", contractor=contractor)
    contract = ContractFactory(
        reference="K-MATCH-1",
        contractor=contractor,
        matcher=unit,
        start_date=date(2024, 1, 1),
        end_date=date(2026, 12, 31),
    )
    SocialClause.objects.create(
        contract=contract,
        metric=Metric.HOURS,
        target=Decimal(1000),
        requires_matcher_confirmation=True,
    )
    period = contract.reporting_periods()[0]
    report = ReportFactory(
        contract=contract,
        period_start=period.start,
        period_end=period.end,
        status=ReportStatus.SUBMITTED,
    )
    rows = [
        RowFactory(report=report, participant_ref=f"MATCH-{n}", hours=Decimal(100))
        for n in range(3)
    ]
    return matcher, officer, contractor_user, report, rows


@pytest.mark.parametrize("width", [1280, 390])
def test_matcher_confirms_and_disputes_officer_and_contractor_see_it(
    browser, live_server, compiled_catalogue, width
):
    matcher, officer, contractor_user, report, rows = _world()
    base = live_server.url

    # The officer's review page before: every row unconfirmed.
    staff = _slow_page(browser, width=width)
    _login(staff, base, officer.username)
    review = f"{base}{reverse('admin:internships_placementreport_review', args=[report.pk])}"
    staff.goto(review)
    assert staff.locator("#report-rows .verification-unconfirmed").count() == 3

    # The matcher lands on its page, confirms two rows at once and disputes the third.
    page = _slow_page(browser, width=width)
    _login(page, base, matcher.username)
    page.wait_for_url("**/matchning/")
    assert page.locator("#waiting-rows tbody tr").count() == 3
    page.check(f"#row-{rows[0].pk}")
    page.check(f"#row-{rows[1].pk}")
    page.click("#confirm-form button[type=submit]")
    page.wait_for_selector(".message-success")
    assert page.locator("#waiting-rows tbody tr").count() == 1
    # A dispute without a comment is refused, and the chosen row stays chosen.
    page.select_option("#id_row", str(rows[2].pk))
    page.click("#dispute-form button[type=submit]")
    assert "Ange varför raden ifrågasätts." in page.locator("#dispute-form").inner_text()
    assert page.input_value("#id_row") == str(rows[2].pk)
    page.fill("#id_comment", "Deltagaren har inte varit på arbetsplatsen.")
    page.click("#dispute-form button[type=submit]")
    page.wait_for_selector(".message-success")
    assert page.locator("#waiting-rows").count() == 0
    assert page.locator("#decided-rows .verification-disputed").count() == 1
    assert _overflow(page) <= 1, "the matcher page scrolls sideways"
    page.screenshot(path=str(SHOTS / f"matching-{width}.png"), full_page=True)
    assert {row.verification for row in PlacementRow.objects.filter(report=report)} == {
        Verification.CONFIRMED,
        Verification.DISPUTED,
    }

    # The officer's review page now shows the matcher's word on each row, and the comment.
    staff.goto(review)
    assert staff.locator("#report-rows .verification-confirmed").count() == 2
    assert staff.locator("#report-rows .verification-disputed").count() == 1
    assert (
        "Deltagaren har inte varit på arbetsplatsen." in staff.locator("#report-rows").inner_text()
    )
    staff.screenshot(path=str(SHOTS / f"matching-review-{width}.png"), full_page=True)

    # The contractor sees the dispute and its comment on the report.
    portal = _slow_page(browser, width=width)
    _login(portal, base, contractor_user.username)
    portal.goto(f"{base}/portal/reports/{report.pk}/")
    rows_text = portal.locator("#report-rows").inner_text()
    assert "Ifrågasatt" in rows_text or "ifrågasatt" in rows_text
    assert "Deltagaren har inte varit på arbetsplatsen." in rows_text
    portal.screenshot(path=str(SHOTS / f"matching-portal-{width}.png"), full_page=True)
    assert _overflow(portal) <= 1, "the report page scrolls sideways"
    for context in (staff.context, page.context, portal.context):
        context.close()


def test_the_review_page_shows_verified_change_with_the_matchers_word(
    browser, live_server, compiled_catalogue
):
    from matching import services

    matcher, officer, _contractor_user, report, rows = _world()
    page = _slow_page(browser)
    _login(page, live_server.url, officer.username)
    review = (
        f"{live_server.url}{reverse('admin:internships_placementreport_review', args=[report.pk])}"
    )
    verified = page.locator("#report-effect tbody tr td").nth(4)
    page.goto(review)
    # Nothing confirmed yet: approving would verify none of the 300 hours reported.
    assert verified.inner_text().split("→")[-1].strip().startswith("0")
    services.rows_confirm(row_ids=[rows[0].pk, rows[1].pk], user=matcher)
    services.row_dispute(row_id=rows[2].pk, user=matcher, comment="Okänd")
    page.goto(review)
    # Approved, the two confirmed rows are verified: 200 hours.
    assert verified.inner_text().split("→")[-1].strip().startswith("200")
    page.context.close()
