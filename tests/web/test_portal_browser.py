"""The contractor's report form and file upload in a real browser (Playwright driving Debian's
Chromium), as a new user meets them (issue 12):

* typing a row with a personnummer, adding a row and causing errors loses nothing that was typed;
  the personnummer comes back only as "personnummer angivet"; every error names its row and is
  marked on its field (``aria-invalid``, ``aria-describedby`` pointing at the message);
* at phone width (390 px) the upload's error table and the replacement question fit: the page
  never scrolls sideways.

Screenshots go to ``test-artifacts/screenshots/`` (git-ignored).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from internships.models import PlacementReport, PlacementRow
from internships.pseudonyms import parse_personnummer, pseudonym_for
from tests.factories import ReportFactory, RowFactory
from tests.web.test_browser import SHOTS, _ensure_reference_data

PERSONNUMMER = "19900101-0017"  # valid (Luhn)
PERIOD = "2025-01-01"

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def portal(browser, live_server, contractor_user, contract, compiled_catalogue):
    """A logged-in contractor's page, and a function that opens it at another width."""
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


def _overflow(page) -> int:
    """How far the page is wider than the window (0 when it never scrolls sideways)."""
    return page.evaluate(
        "Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"
        " - document.documentElement.clientWidth"
    )


def _described_text(page, selector: str) -> str:
    """The text of the elements the field's ``aria-describedby`` names."""
    ids = page.get_attribute(selector, "aria-describedby") or ""
    assert ids, f"{selector} has no aria-describedby"
    return " ".join(page.locator(f"[id='{name}']").inner_text() for name in ids.split())


@pytest.mark.parametrize("width", [1366, 390])
def test_report_form_keeps_everything_typed_through_add_row_and_errors(
    portal, live_server, contract, width
):
    page = portal(width)
    base = live_server.url
    page.goto(f"{base}/portal/contracts/{contract.pk}/periods/{PERIOD}/report/")

    # Row 1 by personnummer, then "Lägg till rad".
    page.fill("#id_rows-0-personnummer", PERSONNUMMER)
    page.select_option("#id_rows-0-target_group", "newly_arrived")
    page.fill("#id_rows-0-start_date", "2025-01-06")
    page.fill("#id_rows-0-end_date", "2025-02-28")
    page.fill("#id_rows-0-hours", "120,5")
    page.fill("#id_rows-0-role", "Snickare")
    page.click("button[name=add_row]")
    assert page.locator("#id_rows-1-participant_ref").count() == 1
    assert page.input_value("#id_rows-0-role") == "Snickare"
    assert page.input_value("#id_rows-0-hours") == "120,5"
    assert page.input_value("#id_rows-0-start_date") == "2025-01-06"
    assert page.input_value("#id_rows-0-personnummer") == ""  # never shown again …
    assert "personnummer angivet" in _described_text(page, "#id_rows-0-personnummer")  # … but kept

    # Row 2 with two errors: an end date after the period and more hours than the dates allow.
    page.fill("#id_rows-1-participant_ref", "D-2")
    page.select_option("#id_rows-1-target_group", "youth")
    page.fill("#id_rows-1-start_date", "2025-03-03")
    page.fill("#id_rows-1-end_date", "2025-04-15")
    page.fill("#id_rows-1-hours", "9999")
    page.click("button[name=save]")

    summary = page.locator("#error-summary").inner_text()
    assert summary.count("Rad 2") == 2 and "Rad 1" not in summary
    for name in ("end_date", "hours"):
        field = f"#id_rows-1-{name}"
        assert page.get_attribute(field, "aria-invalid") == "true"
        described = _described_text(page, field)
        assert described.startswith("Rad 2")
        assert page.locator(f"{field}_error").is_visible()
        # Marked by more than colour: the border is thicker than an unmarked field's.
        width_of = f"parseFloat(getComputedStyle(document.querySelector('{field}')).borderTopWidth)"
        assert page.evaluate(width_of) >= 2
    assert page.get_attribute("#id_rows-0-hours", "aria-invalid") is None
    # Everything typed is still there, in both rows.
    assert page.input_value("#id_rows-0-role") == "Snickare"
    assert "personnummer angivet" in page.locator("tbody tr").first.inner_text()
    assert page.input_value("#id_rows-1-participant_ref") == "D-2"
    assert page.input_value("#id_rows-1-end_date") == "2025-04-15"
    assert page.input_value("#id_rows-1-hours") == "9999"
    assert page.input_value("#id_rows-1-target_group") == "youth"
    html = page.content()
    assert PERSONNUMMER not in html and "9001010017" not in html
    page.screenshot(path=str(SHOTS / f"portal-form-errors-{width}.png"), full_page=True)
    if width == 390:
        assert _overflow(page) <= 0
    assert not PlacementReport.objects.exists()

    # Corrected and saved: the personnummer typed before the two round trips is in the draft.
    page.fill("#id_rows-1-end_date", "2025-03-28")
    page.fill("#id_rows-1-hours", "40")
    page.click("button[name=save]")
    page.wait_for_url("**/portal/reports/*/")
    rows = dict(PlacementRow.objects.values_list("participant_ref", "hours"))
    assert rows == {
        pseudonym_for(parse_personnummer(PERSONNUMMER)): Decimal("120.5"),
        "D-2": Decimal(40),
    }


@pytest.mark.parametrize("width", [1366, 390])
def test_upload_errors_and_the_replacement_question_fit_the_screen(
    portal, live_server, contract, tmp_path, width
):
    page = portal(width)
    base = live_server.url
    draft = ReportFactory(contract=contract)
    for number in range(4):
        RowFactory(report=draft, participant_ref=f"OLD-{number}")
    header = "deltagare;målgrupp;startdatum;slutdatum;timmar"
    bad = tmp_path / "rapport.csv"
    bad.write_text(
        f"{header};en_mycket_lång_kolumnrubrik_utan_mellanslag_som_ingen_känner_igen\n"
        "D-1;okänd grupp;2025-01-06;2025-02-28;12;x\n"
        "D-2;youth;2025-13-40;2025-02-28;tolv;y\n",
        encoding="utf-8",
    )
    good = tmp_path / "rapport-rättad.csv"
    good.write_text(
        header
        + "\n"
        + "".join(f"N-{number};youth;2025-01-06;2025-02-28;12\n" for number in range(7)),
        encoding="utf-8",
    )

    page.goto(f"{base}/portal/contracts/{contract.pk}/upload/?period={PERIOD}")
    page.set_input_files("#id_file", str(bad))
    page.click("main form button[type=submit]")
    assert page.locator("#import-errors tbody tr").count() >= 1
    page.screenshot(path=str(SHOTS / f"portal-upload-errors-{width}.png"), full_page=True)
    assert _overflow(page) <= 0, "the page scrolls sideways"
    table = page.locator("#import-errors").bounding_box()
    assert table["x"] >= 0 and table["x"] + table["width"] <= width

    # Unknown column fixed: now the row errors, with the long list of target groups.
    page.set_input_files("#id_file", str(_rows_only(bad, tmp_path)))
    page.click("main form button[type=submit]")
    assert page.locator("#import-errors tbody tr").count() >= 3
    page.screenshot(path=str(SHOTS / f"portal-upload-row-errors-{width}.png"), full_page=True)
    assert _overflow(page) <= 0, "the page scrolls sideways"

    # A good file for the period whose draft has 4 rows: asked first, with both counts.
    page.set_input_files("#id_file", str(good))
    page.click("main form button[type=submit]")
    question = page.locator(".confirm-question").inner_text()
    assert question == "Utkastet för perioden har 4 rader. Ersätt dem med filens 7 rader?"
    assert draft.rows.count() == 4
    page.screenshot(path=str(SHOTS / f"portal-upload-confirm-{width}.png"), full_page=True)
    assert _overflow(page) <= 0
    page.click("button[name=confirm][value=replace]")
    page.wait_for_url(f"**/portal/reports/{draft.pk}/")
    assert page.locator("#report-rows tbody tr").count() == 7
    assert sorted(draft.rows.values_list("participant_ref", flat=True)) == [
        f"N-{number}" for number in range(7)
    ]
    assert draft.rows.first().start_date == date(2025, 1, 6)


def _rows_only(path, tmp_path):
    """The bad file without its unknown column."""
    lines = path.read_text(encoding="utf-8").splitlines()
    fixed = tmp_path / "rapport-utan-kolumn.csv"
    fixed.write_text("\n".join(line.rsplit(";", 1)[0] for line in lines) + "\n", encoding="utf-8")
    return fixed
