"""The annual integration report (issue 7, first part): its totals equal the compliance engine's
for the same dates, and it is written as XLSX and HTML."""

from __future__ import annotations

import io
from datetime import date

import openpyxl
import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from contracts.annual import annual_report
from contracts.models import Contract
from contracts.selectors import evaluate_clauses
from core.demo import seed_demo
from tests.factories import ContractFactory, SocialClauseFactory

pytestmark = pytest.mark.django_db


def test_every_total_equals_the_engine_on_the_demo_data():
    seed_demo()
    year = timezone.localdate().year - 1
    report = annual_report(year=year)
    contracts = Contract.objects.filter(
        start_date__lte=date(year, 12, 31), end_date__gte=date(year, 1, 1), clauses__isnull=False
    ).distinct()
    end = evaluate_clauses(as_of=date(year, 12, 31), contracts=Contract.objects.all())
    start = evaluate_clauses(as_of=date(year - 1, 12, 31), contracts=Contract.objects.all())
    ids = set(contracts.values_list("id", flat=True))
    for metric, line in report.by_metric.set_index("metric").iterrows():
        now = [
            e.evaluation
            for e in end
            if e.clause.contract_id in ids and e.evaluation.metric == metric
        ]
        then = {e.clause.id: e.evaluation for e in start}
        delivered = sum(e.reported for e in now) - sum(
            then[e.clause.id].reported
            for e in end
            if e.clause.contract_id in ids and e.evaluation.metric == metric
        )
        assert line["delivered"] == delivered, metric
        assert line["clauses"] == len(now)
    assert report.contracts == len(ids)
    # Breakdowns add up to the whole.
    for table in (report.by_district, report.by_contractor):
        assert table["delivered"].sum() == report.by_metric["delivered"].sum()
    assert set(report.reports["state"]) <= {"on_time", "late", "missing", "not_due"}


def test_the_report_takes_the_same_number_of_queries_for_2_and_8_contracts():
    counts = []
    for total in (2, 8):
        while Contract.objects.count() < total:
            SocialClauseFactory(contract=ContractFactory(start_date=date(2024, 1, 1)))
        with CaptureQueriesContext(connection) as queries:
            annual_report(year=2025, today=date(2026, 6, 1))
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


def test_the_command_writes_an_xlsx_workbook_and_an_html_page(tmp_path):
    seed_demo()
    year = timezone.localdate().year - 1
    xlsx = tmp_path / "r.xlsx"
    call_command(
        "integration_report", year=year, format="xlsx", output=str(xlsx), stdout=io.StringIO()
    )
    workbook = openpyxl.load_workbook(xlsx)
    assert "Per metric" in workbook.sheetnames and "Per district" in workbook.sheetnames
    assert all(sheet.freeze_panes == "A2" for sheet in workbook.worksheets)
    html = tmp_path / "r.html"
    call_command(
        "integration_report", year=year, format="html", output=str(html), stdout=io.StringIO()
    )
    page = html.read_text()
    assert page.count("<table") == 6 and str(year) in page
