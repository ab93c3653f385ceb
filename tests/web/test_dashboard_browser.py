"""The dashboard and the annual report page in a real browser (Playwright driving Debian's
Chromium), in Swedish at desktop (1366 px) and phone (390 px) width: key figures lead to their
lists, acknowledging an alert keeps the reader where they were, the filters fit a phone and wide
tables scroll inside their box, reachable by keyboard. Screenshots go to
``test-artifacts/screenshots/``."""

from __future__ import annotations

import pytest
from django.utils import timezone

from contracts.services import compliance_run
from internships.demo import seed_demo
from tests.web.test_browser import (
    SHOTS,
    _ensure_reference_data,
    _login,
    _page,
)

#: Elements that scroll sideways but cannot take the keyboard focus, or have no name: what
#: axe's rule scrollable-region-focusable reports (a keyboard user could not scroll them).
UNREACHABLE_SCROLLERS = """() => Array.from(document.querySelectorAll('body *'))
    .filter(el => ['auto', 'scroll'].includes(getComputedStyle(el).overflowX)
                  && el.scrollWidth > el.clientWidth + 1)
    .filter(el => !(el.tabIndex >= 0
                    && (el.getAttribute('aria-label') || el.getAttribute('aria-labelledby'))))
    .map(el => el.outerHTML.slice(0, 80))"""
PAGE_WIDTH = "document.documentElement.scrollWidth"


def _shot(page, name: str) -> None:
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.fixture
def demo(live_server):
    _ensure_reference_data()
    seed_demo()
    compliance_run(as_of=timezone.localdate())  # today's snapshots and open alerts
    return live_server.url


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_key_figures_lead_to_their_lists_and_acknowledging_keeps_the_place(browser, demo):
    page = _page(browser, width=1366)
    _login(page, demo, "manager")
    page.goto(f"{demo}/dashboard/")
    _shot(page, "dashboard-1366")

    # "Clauses behind: N" opens the list of exactly those N clauses, scrolled to it.
    behind = int(page.locator("[data-kpi=behind]").inner_text())
    assert behind > 0
    page.click("a.tile:has([data-kpi=behind])")
    assert "status=behind" in page.url and page.url.endswith("#clauses")
    assert page.locator("#clauses tbody tr").count() == behind
    assert page.evaluate("document.getElementById('clauses').getBoundingClientRect().top") < 50
    # A row of the list opens its contract.
    contract = page.locator("#clauses tbody tr a").first
    reference = contract.inner_text()
    contract.click()
    assert "/admin/contracts/contract/" in page.url
    assert reference in page.content()

    # A district bar opens the dashboard filtered by that district.
    page.goto(f"{demo}/dashboard/")
    bar = page.locator("#districts svg a.chart-link").first
    district = bar.get_attribute("aria-label").split(":")[0]
    bar.click()
    assert "district=" in page.url
    assert page.locator("#id_district option:checked").inner_text() == district

    # Acknowledge an alert far down the page: the page comes back at the alert list.
    page.goto(f"{demo}/dashboard/")
    alerts = page.locator("#alert-list tbody tr[id^=alert-]")
    count = alerts.count()
    assert count > 0
    row_id = alerts.first.get_attribute("id")
    alerts.first.locator("button").click()
    page.wait_for_load_state()
    assert page.url.endswith("#alerts")
    assert page.evaluate("window.scrollY") > 400
    top = page.evaluate("document.getElementById('alerts').getBoundingClientRect().top")
    assert 0 <= top < 450, top  # in view (at the top unless the page ends before)
    assert page.locator(f"#{row_id}").count() == 0
    assert page.locator("#alert-list tbody tr[id^=alert-]").count() == count - 1
    _shot(page, "dashboard-acknowledged-1366")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_dashboard_filters_fit_a_phone(browser, demo):
    page = _page(browser, width=390)
    _login(page, demo, "manager")
    page.goto(f"{demo}/dashboard/")
    assert page.locator("html").get_attribute("lang") == "sv"
    assert page.evaluate(PAGE_WIDTH) <= 390
    for select in page.locator("form.filters select").all():
        box = select.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390, select.get_attribute("name")
    assert page.evaluate(UNREACHABLE_SCROLLERS) == []
    _shot(page, "dashboard-390")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("width", [1366, 390])
def test_annual_report_tables_scroll_inside_their_box(browser, demo, width):
    year = timezone.localdate().year - 1
    page = _page(browser, width=width)
    _login(page, demo, "manager")
    page.goto(f"{demo}/dashboard/annual/{year}/")
    assert page.evaluate(PAGE_WIDTH) <= width  # the page itself never scrolls sideways
    wide = page.locator("#table-benchmarks .table-scroll")
    assert wide.evaluate("el => el.scrollWidth > el.clientWidth")  # the table scrolls in its box
    assert page.evaluate(UNREACHABLE_SCROLLERS) == []
    # The keyboard reaches the box and scrolls it.
    wide.focus()
    assert page.evaluate("document.activeElement.closest('#table-benchmarks') !== null")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    wide.evaluate("el => new Promise(done => setTimeout(done, 300))")  # smooth scrolling
    assert wide.evaluate("el => el.scrollLeft") > 0
    _shot(page, f"annual-{width}")
