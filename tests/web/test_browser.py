"""The whole journey in a real browser (Playwright driving Debian's Chromium):

a contractor logs in, uploads a file with one bad row, sees the error, fixes it and submits; an
officer approves the report in the admin; the dashboard shows the new figures and draws its
charts. A screenshot of every page goes to ``test-artifacts/screenshots/`` (git-ignored).
"""

from __future__ import annotations

import importlib
import os
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from contracts.choices import PeriodState
from contracts.selectors import contract_schedules
from internships.choices import ReportStatus
from internships.demo import seed_demo
from internships.models import PlacementReport
from procurement.models import ContractorMembership

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
SHOTS = Path(settings.BASE_DIR) / "test-artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


#: Content-Security-Policy violations Chromium reported on any page of the test.
CSP_VIOLATIONS: list[str] = []


def _page(browser, *, width: int = 1280):
    context = browser.new_context(
        locale="sv-SE", viewport={"width": width, "height": 900}, timezone_id="Europe/Stockholm"
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.on(
        "console",
        lambda message: (
            CSP_VIOLATIONS.append(f"{page.url}: {message.text}")
            if "Content Security Policy" in message.text
            else None
        ),
    )
    return page


def _login(page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "demo1234")
    page.click("main button[type=submit]")


UNLABELLED = """() => Array.from(document.querySelectorAll('input, select, textarea'))
    .filter(el => el.type !== 'hidden' && el.type !== 'submit')
    .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label'))
    .map(el => el.name || el.id)"""


def _shot(page, name: str) -> None:
    """A screenshot, after checking that every input on the page has a label."""
    assert page.evaluate(UNLABELLED) == [], f"inputs without a label on {page.url}"
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _fbw_tile(page) -> tuple[int, int]:
    """(foreign-born women, all participants) from the dashboard's share tile."""
    text = page.locator(".tile", has=page.locator("[data-kpi=fbw]")).inner_text()
    people, total = re.findall(r"\((\d+)\D+(\d+)\)", text)[0]
    return int(people), int(total)


def _open_period(username: str):
    """A contract of ``username``'s company and an overdue period that has no report."""
    contractor_id = ContractorMembership.objects.get(user__username=username).contractor_id
    from contracts.models import Contract

    contracts = Contract.objects.filter(contractor_id=contractor_id)
    for contract, schedule in contract_schedules(contracts, as_of=timezone.localdate()):
        for entry in schedule:
            if entry.state == PeriodState.OVERDUE and entry.report is None:
                return contract, entry
    raise AssertionError("the demo data has no overdue period without a report")


def _ensure_reference_data() -> None:
    """The data migrations' rows (districts, target groups, role groups). A transactional test
    that ran before this one on in-memory SQLite can leave the database flushed (its serialized
    copy is not always restored there), so put them back the way the migrations do."""
    from django.apps import apps
    from django.contrib.auth.models import Group

    if Group.objects.filter(name="officers").exists():
        return
    # The migrations toggle ``models_module`` on the registry they are given; keep the real one's.
    modules = {config.label: config.models_module for config in apps.get_app_configs()}
    for module, function in [
        ("procurement.migrations.0002_seed_districts", "seed"),
        ("contracts.migrations.0002_seed_target_groups", "seed"),
        ("core.migrations.0001_role_groups", "create_groups"),
        ("core.migrations.0004_alert_permissions", "grant"),
    ]:
        getattr(importlib.import_module(module), function)(apps, None)
        for config in apps.get_app_configs():
            config.models_module = modules[config.label]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_contractor_uploads_fixes_and_submits_officer_approves_dashboard_updates(
    browser, live_server, tmp_path
):
    _ensure_reference_data()
    seed_demo()
    base = live_server.url
    contract, entry = _open_period("entreprenor1")
    year = entry.period_start.year
    day = entry.period_start.isoformat()
    header = "deltagare;målgrupp;startdatum;slutdatum;timmar"
    bad = tmp_path / "rapport.csv"
    bad.write_text(
        f"{header}\nBT-1;foreign_born_women;{day};{day};6\nBT-2;okänd grupp;{day};{day};6\n",
        encoding="utf-8",
    )
    good = tmp_path / "rapport-rättad.csv"
    good.write_text(
        f"{header}\nBT-1;foreign_born_women;{day};{day};6\nBT-2;foreign_born_women;{day};{day};6\n",
        encoding="utf-8",
    )

    # The manager's dashboard before: how many participants and foreign-born women.
    manager = _page(browser)
    _login(manager, base, "manager")
    assert manager.url.endswith("/dashboard/")
    manager.goto(f"{base}/dashboard/?year={year}")
    fbw_before, total_before = _fbw_tile(manager)

    # The contractor lands in the portal, opens the contract and uploads a file with a bad row.
    portal = _page(browser)
    _login(portal, base, "entreprenor1")
    assert portal.url.endswith("/portal/")
    assert portal.locator("html").get_attribute("lang") == "sv"
    _shot(portal, "01-portal")
    portal.click(f"a[href='/portal/contracts/{contract.pk}/']")
    _shot(portal, "02-contract")
    portal.click(f"a[href='/portal/contracts/{contract.pk}/upload/?period={day}']")
    portal.set_input_files("#id_file", str(bad))
    portal.click("main form button[type=submit]")
    portal.wait_for_selector("#import-errors tbody tr")  # count() does not wait for the page
    errors = portal.locator("#import-errors tbody tr")
    assert errors.count() == 1
    assert errors.first.locator("td").first.inner_text() == "3"  # the spreadsheet's row
    _shot(portal, "03-upload-error")
    assert not PlacementReport.objects.filter(contract=contract, period_start=entry.period_start)

    # Fixed file: a draft with both rows, then submit with a confirmation.
    portal.select_option("#id_period", day)
    portal.set_input_files("#id_file", str(good))
    portal.click("main form button[type=submit]")
    assert portal.locator("#report-rows tbody tr").count() == 2
    _shot(portal, "04-draft")
    portal.click("a[href$='/submit/']")
    _shot(portal, "05-confirm")
    portal.click("main form button[type=submit]")
    assert portal.locator(".badge.report-submitted").count() == 1
    _shot(portal, "06-submitted")
    report = PlacementReport.objects.get(contract=contract, period_start=entry.period_start)
    assert report.status == ReportStatus.SUBMITTED

    # The officer lands on the work queue in the admin and approves the report on its review page.
    officer = _page(browser)
    _login(officer, base, "officer")
    assert officer.url.endswith("/admin/work-queue/")
    officer.goto(f"{base}/admin/internships/placementreport/?status__exact=submitted")
    officer.click(f"a[href='/admin/internships/placementreport/{report.pk}/review/']")
    assert officer.locator("#report-effect tbody tr").count() >= 1
    _shot(officer, "07-review")
    officer.click("input[name=approve]")
    _shot(officer, "08-approved")
    report.refresh_from_db()
    assert report.status == ReportStatus.APPROVED

    # The dashboard counts the two new participants, both foreign-born women, and draws charts.
    manager.goto(f"{base}/dashboard/?year={year}")
    assert _fbw_tile(manager) == (fbw_before + 2, total_before + 2)
    assert manager.locator("svg[data-chart=line] polyline").count() == 3
    assert manager.locator("svg[data-chart=bar] rect").count() > 0
    _shot(manager, "09-dashboard")

    # From the dashboard to the year's integration report: its charts and tables are drawn.
    manager.click(f"a[href='/dashboard/annual/{year}/']")
    assert manager.url.endswith(f"/dashboard/annual/{year}/")
    assert manager.locator(".annual-chart svg[data-chart=bar]").count() == 4
    assert manager.locator("#table-by_target_group tbody tr").count() > 0
    with manager.expect_download() as download:
        manager.click("a[href$='report.xlsx']")
    assert download.value.suggested_filename.endswith(f"{year}.xlsx")
    _shot(manager, "10-annual-report")

    # Keyboard only: the first Tab reaches the skip link, and Tab alone gets to the upload link.
    keyboard = _page(browser)
    _login(keyboard, base, "entreprenor1")
    keyboard.goto(f"{base}/portal/contracts/{contract.pk}/")
    keyboard.keyboard.press("Tab")
    assert keyboard.evaluate("document.activeElement.className") == "skip-link"
    for _ in range(40):
        keyboard.keyboard.press("Tab")
        if keyboard.evaluate("document.activeElement.getAttribute('href') || ''").endswith(
            "/upload/"
        ):
            break
    else:
        raise AssertionError("the upload link cannot be reached with the keyboard")
    keyboard.keyboard.press("Enter")
    keyboard.wait_for_url(f"**/portal/contracts/{contract.pk}/upload/")

    # Phone-sized: the portal still fits the screen (no horizontal scrolling of the page).
    phone = _page(browser, width=375)
    _login(phone, base, "entreprenor1")
    phone.goto(f"{base}/portal/contracts/{contract.pk}/")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    _shot(phone, "10-portal-phone")

    # The whole journey ran under the production Content-Security-Policy without a violation.
    assert "default-src 'self'" in phone.evaluate(
        "fetch(location.href).then(r => r.headers.get('content-security-policy'))"
    )
    assert CSP_VIOLATIONS == []
