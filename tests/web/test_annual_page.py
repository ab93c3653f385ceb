"""The annual integration report on the web and in the API (issue 7): who may read it, that it
shows the engine's figures in Swedish and English, its downloads, and clear errors."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import openpyxl
import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from contracts.annual import annual_report
from contracts.api.serializers import ANNUAL_TABLES
from contracts.models import BenchmarkBand, Contract
from internships.demo import seed_demo

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("compiled_catalogue")]
API = "/api/v1/analytics/annual/"


@pytest.fixture
def year() -> int:
    seed_demo()
    return timezone.localdate().year - 1


def test_the_page_shows_the_report_in_swedish_and_english(client, manager, year):
    client.force_login(manager)
    url = reverse("dashboard:annual", args=[year])
    swedish = client.get(url, HTTP_ACCEPT_LANGUAGE="sv").content.decode()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = client.get(url).content.decode()
    assert f"Integrationsrapport {year}" in swedish and "Utrikesfödda kvinnor" in swedish
    assert f"Integration report {year}" in english and "Foreign-born women" in english
    report = annual_report(year=year)
    assert f"{report.contracts} contracts with social clauses" in english
    assert english.count("<svg") == 4
    # Links to both downloads and the neighbouring years.
    assert reverse("dashboard:annual-file", args=[year, "pdf"]) in english
    assert reverse("dashboard:annual", args=[year - 1]) in english
    # The dashboard links to its year's report.
    assert (
        reverse("dashboard:annual", args=[timezone.localdate().year])
        in client.get(reverse("dashboard:index")).content.decode()
    )


def test_the_downloads_are_an_excel_workbook_and_a_pdf(client, officer, year):
    client.force_login(officer)
    xlsx = client.get(reverse("dashboard:annual-file", args=[year, "xlsx"]))
    assert xlsx.status_code == 200
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    assert f"{year}.xlsx" in xlsx["Content-Disposition"]
    import io

    workbook = openpyxl.load_workbook(io.BytesIO(xlsx.content))
    assert len(workbook.sheetnames) == len(annual_report(year=year).tables())
    pdf = client.get(reverse("dashboard:annual-file", args=[year, "pdf"]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert client.get(reverse("dashboard:annual-file", args=[year, "docx"])).status_code == 404


def test_the_page_is_for_officers_and_managers(client, contractor_user, year):
    url = reverse("dashboard:annual", args=[year])
    assert client.get(url).status_code == 302  # to the login page
    client.force_login(contractor_user)
    assert client.get(url).status_code == 403
    assert client.get(reverse("dashboard:annual-file", args=[year, "pdf"])).status_code == 403


def test_a_year_without_a_report_is_not_found(client, officer):
    client.force_login(officer)
    assert client.get(reverse("dashboard:annual", args=[1999])).status_code == 404
    future = timezone.localdate().year + 1
    assert client.get(reverse("dashboard:annual", args=[future])).status_code == 404
    latest = client.get(reverse("dashboard:annual-latest"))
    assert latest.status_code == 302
    assert latest["Location"] == reverse("dashboard:annual", args=[timezone.localdate().year - 1])


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_the_api_gives_every_table_with_the_reports_figures(manager, year):
    response = _api(manager).get(API, {"year": year}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    body = response.json()
    report = annual_report(year=year)
    assert body["year"] == year and body["contracts"] == report.contracts
    assert set(body["tables"]) == {key for key, _title, _frame in report.tables()}
    by_metric = {row["metric"]: row for row in body["tables"]["by_metric"]["rows"]}
    for line in report.by_metric.to_dict("records"):
        assert Decimal(by_metric[line["metric"]]["delivered"]) == line["delivered"]
        assert Decimal(by_metric[line["metric"]]["expected"]) == line["expected"]
    fbw = body["tables"]["foreign_born_women"]
    assert fbw["title"] == "Foreign-born women"
    assert {row["metric"] for row in fbw["rows"]} <= {"placements", "placement_weeks", "hours"}
    clause = body["tables"]["clauses"]["rows"][0]
    assert clause["forecast"] in {"reached", "on_time", "late", "unknown"}
    benchmark = body["tables"]["benchmarks"]["rows"][0]
    assert benchmark["band"] and "placements_target_per_msek" in benchmark


def test_the_api_gives_only_the_tables_asked_for(officer, year):
    body = _api(officer).get(API, {"year": year, "tables": "by_metric, foreign_born_women"}).json()
    assert set(body["tables"]) == {"by_metric", "foreign_born_women"}
    assert list(ANNUAL_TABLES) == [key for key, _t, _f in annual_report(year=year).tables()]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"year": "2024", "tables": "by_metric,per_planet"}, "Unknown table: per_planet."),
        ({"year": "2024", "tables": ","}, "Unknown table: –."),
        ({}, "This field is required."),
        ({"year": "1999"}, "greater than or equal to 2000"),
        ({"year": "tjugo"}, "A valid integer is required."),
        ({"year": str(date.today().year + 1)}, "still to come"),
    ],
)
def test_the_api_answers_a_bad_year_with_a_field_error(officer, query, message):
    response = _api(officer).get(API, query, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    errors = response.json()
    assert message in " ".join(errors.get("year", []) + errors.get("tables", []))


def test_contractors_may_not_read_the_portfolio_report(contractor_user):
    assert _api(contractor_user).get(API, {"year": 2025}).status_code == 403
    assert APIClient().get(API, {"year": 2025}).status_code == 401


def test_the_contract_page_shows_its_benchmark_and_the_band_is_edited_in_the_admin(
    client, officer, year
):
    officer.is_staff = True
    officer.save()
    client.force_login(officer)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    contract = Contract.objects.filter(clauses__metric="placements").first()
    page = client.get(reverse("admin:contracts_contract_change", args=[contract.pk]))
    text = page.content.decode()
    assert "Benchmark per MSEK" in text and "a realistic target is" in text
    assert "per MSEK reported so far" in text

    band = BenchmarkBand.objects.order_by("from_msek").first()
    url = reverse("admin:contracts_benchmarkband_change", args=[band.pk])
    response = client.post(
        url,
        {
            "from_msek": "0",
            "placements_low": "0.50",
            "placements_high": "0.20",  # lower than the low end
            "weeks_low": "4",
            "weeks_high": "10",
            "note": "",
        },
    )
    assert response.status_code == 200
    assert "Must not be lower than the low end." in response.content.decode()
    band.refresh_from_db()
    assert band.placements_high != Decimal("0.20")
