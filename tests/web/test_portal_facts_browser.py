"""The report form's row facts (DESIGN.md §10.1) in a real browser, at desktop and phone width:
the facts part of a row opens, an error in it keeps it open with everything typed, the
"Remove" column stays in view at 1366 px and nothing scrolls sideways at 390 px.

Screenshots go to ``test-artifacts/screenshots/`` (git-ignored).
"""

from __future__ import annotations

from datetime import date

import pytest

from internships.models import PlacementReport, PlacementRow
from tests.web.test_browser import SHOTS, _ensure_reference_data
from tests.web.test_portal_browser import _described_text, _overflow

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PERIOD = "2025-01-01"


@pytest.fixture
def page_at(browser, live_server, contractor_user, contract, compiled_catalogue):
    _ensure_reference_data()
    opened = []

    def open_at(width: int):
        context = browser.new_context(
            locale="sv-SE", viewport={"width": width, "height": 900}, timezone_id="Europe/Stockholm"
        )
        context.set_default_timeout(15_000)
        page = context.new_page()
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("#id_username", contractor_user.username)
        page.fill("#id_password", "demo1234")
        page.click("main button[type=submit]")
        page.wait_for_url("**/portal/")
        opened.append(context)
        return page

    yield open_at
    for context in opened:
        context.close()


@pytest.mark.parametrize("width", [1366, 390])
def test_row_facts_open_keep_what_was_typed_and_fit_the_screen(
    page_at, live_server, contract, width
):
    from procurement.models import District

    district = District.objects.order_by("name").first()
    page = page_at(width)
    page.goto(f"{live_server.url}/portal/contracts/{contract.pk}/periods/{PERIOD}/report/")

    assert not page.locator("#id_rows-0-gender").is_visible()  # closed at first
    if width == 1366:
        # The "Remove" box stays on screen with the facts part closed.
        right = page.evaluate(
            "document.querySelector('#id_rows-0-DELETE').getBoundingClientRect().right"
        )
        assert right <= 1366
    page.fill("#id_rows-0-participant_ref", "D-1")
    page.select_option("#id_rows-0-target_group", "youth")
    page.fill("#id_rows-0-start_date", "2025-01-06")
    page.fill("#id_rows-0-end_date", "2025-01-31")
    page.fill("#id_rows-0-hours", "80")
    page.click("tr:has(#id_rows-0-gender) summary")
    page.select_option("#id_rows-0-employment_type", "employment")
    page.fill("#id_rows-0-offered_on", "2025-01-10")  # after the start: refused
    page.check("#id_rows-0-ended_by_participant")
    page.select_option("#id_rows-0-gender", "woman")
    page.select_option("#id_rows-0-born_abroad", "yes")
    page.select_option("#id_rows-0-age_band", "25-29")
    page.select_option("#id_rows-0-home_district", str(district.pk))
    page.click("button[name=save]")

    assert "Rad 1" in page.locator("#error-summary").inner_text()
    assert page.locator("#id_rows-0-offered_on").is_visible()  # the part stands open
    assert page.get_attribute("#id_rows-0-offered_on", "aria-invalid") == "true"
    assert _described_text(page, "#id_rows-0-offered_on").count("Rad 1") == 1
    assert page.input_value("#id_rows-0-offered_on") == "2025-01-10"
    assert page.input_value("#id_rows-0-gender") == "woman"
    assert page.input_value("#id_rows-0-home_district") == str(district.pk)
    assert page.is_checked("#id_rows-0-ended_by_participant")
    page.screenshot(path=str(SHOTS / f"portal-facts-error-{width}.png"), full_page=True)
    if width == 390:
        assert _overflow(page) <= 0
    assert not PlacementReport.objects.exists()

    page.fill("#id_rows-0-offered_on", "2025-01-02")
    page.click("button[name=save]")
    page.wait_for_url("**/portal/reports/*/")
    row = PlacementRow.objects.get()
    assert (row.employment_type, row.offered_on, row.gender, row.home_district_id) == (
        "employment",
        date(2025, 1, 2),
        "woman",
        district.pk,
    )
    assert "Kvinna, född utomlands, 25–29 år" in page.locator("#report-rows").inner_text()
    page.screenshot(path=str(SHOTS / f"portal-facts-report-{width}.png"), full_page=True)
    if width == 390:
        assert _overflow(page) <= 0
        # Nor does the rows' table scroll inside its box: every value is in view.
        table = "document.querySelector('#report-rows')"
        wider = f"(t => t.scrollWidth - t.parentElement.clientWidth)({table})"
        assert page.evaluate(wider) <= 0
