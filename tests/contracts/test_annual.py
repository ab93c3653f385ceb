"""The annual integration report (issue 7): its totals equal the compliance engine's for the same
dates on the demo data and on generated data, its breakdowns add up, and it is written as XLSX,
HTML and PDF in Swedish and English."""

from __future__ import annotations

import io
import random
from collections import Counter
from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

import openpyxl
import pandas as pd
import pypdf
import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from contracts import annual_output
from contracts.annual import _decimal, annual_report
from contracts.choices import Metric, ReportingFrequency
from contracts.models import Contract, TargetGroup
from contracts.selectors import evaluate_clauses
from contracts.totals import clause_group_totals, clause_totals
from internships.choices import ReportStatus
from internships.demo import seed_demo
from tests.factories import (
    ContractFactory,
    MilestoneFactory,
    ReportFactory,
    RowFactory,
    SocialClauseFactory,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("compiled_catalogue")]
GROUPS = ["long_term_unemployed", "newly_arrived", "foreign_born_women", "youth", "disability"]


def _round(value: Fraction) -> Decimal:
    return _decimal(value)


def _running(year: int):
    return Contract.objects.filter(
        start_date__lte=date(year, 12, 31), end_date__gte=date(year, 1, 1), clauses__isnull=False
    ).distinct()


def assert_reconciles(year: int, today: date) -> None:
    """Every figure of the report against the engine, evaluated here independently."""
    report = annual_report(year=year, today=today)
    as_of = min(today, date(year, 12, 31))
    contracts = _running(year)
    ids = set(contracts.values_list("id", flat=True))
    now = {e.clause.id: e for e in evaluate_clauses(as_of=as_of, contracts=contracts)}
    then = {
        e.clause.id: e for e in evaluate_clauses(as_of=date(year - 1, 12, 31), contracts=contracts)
    }
    exact_now = clause_totals(contracts, as_of=as_of)
    exact_then = clause_totals(contracts, as_of=date(year - 1, 12, 31))

    def delivered(clause_id: int) -> Fraction:
        zero = Fraction(0)
        a, b = exact_now.get(clause_id), exact_then.get(clause_id)
        return (a.reported if a else zero) - (b.reported if b else zero)

    assert report.contracts == len(ids)
    assert report.value_msek == sum(
        (Decimal(v) / 1_000_000 for v in contracts.values_list("value_sek", flat=True)),
        Decimal(0),
    ).quantize(Decimal("0.01"))
    assert len(report.clauses) == len(now)
    for metric in Metric.values:
        mine = [c for c, e in now.items() if e.evaluation.metric == metric]
        line = report.by_metric[report.by_metric["metric"] == metric]
        if not mine:
            assert line.empty
            continue
        (line,) = line.to_dict("records")
        assert line["clauses"] == len(mine)
        assert line["delivered"] == _round(sum((delivered(c) for c in mine), Fraction(0)))
        # A dialogue clause has no target and no expected figure: it adds to neither.
        numeric = [c for c in mine if now[c].evaluation.target is not None]
        assert line["expected"] == sum(
            (now[c].evaluation.expected - then[c].evaluation.expected for c in numeric),
            Decimal(0),
        )
        assert line["target"] == sum((now[c].evaluation.target for c in numeric), Decimal(0))
    # Status and forecast at year end are the engine's, clause by clause.
    assert Counter(report.clauses["status"]) == Counter(e.evaluation.status for e in now.values())
    for line in report.clauses.to_dict("records"):
        evaluation = now[line["clause"]].evaluation
        assert line["reported_to_date"] == evaluation.reported
        forecast = None if pd.isna(line["forecast"]) else line["forecast"]  # a dialogue clause
        assert (forecast, line["forecast_date"]) == (
            evaluation.forecast,
            evaluation.forecast_date,
        )
        assert line["delivered"] == _round(delivered(line["clause"]))
    assert dict(zip(report.by_status["status"], report.by_status["clauses"], strict=True)) == (
        Counter(e.evaluation.status for e in now.values())
    )
    # Breakdowns add up to the whole (exact values, each shown rounded to a cent).
    for table in (report.by_district, report.by_contractor, report.by_target_group):
        for metric in Metric.values:
            part = table[table["metric"] == metric]["delivered"]
            whole = report.by_metric[report.by_metric["metric"] == metric]["delivered"]
            assert abs(sum(part, Decimal(0)) - sum(whole, Decimal(0))) <= Decimal("0.005") * max(
                1, len(part)
            )
    assert {now[c].clause.contract_id for c in report.clauses["clause"]} <= ids


def test_every_total_equals_the_engine_on_the_demo_data():
    seed_demo()
    today = timezone.localdate()
    for year in (today.year - 1, today.year):
        assert_reconciles(year, today)


def _generate(seed: int) -> None:
    """Contracts over 2023–2025 with clauses of every metric, some limited to target groups,
    some with milestones, and reports of every status with rows of every group."""
    rng = random.Random(seed)
    groups = list(TargetGroup.objects.filter(code__in=GROUPS))
    for number in range(6):
        start = date(2023, rng.randint(1, 12), 1)
        contract = ContractFactory(
            start_date=start,
            end_date=start + timedelta(days=rng.randint(400, 900)),
            value_sek=Decimal(rng.randint(5, 300) * 1_000_000),
            reporting_frequency=rng.choice(list(ReportingFrequency.values)),
        )
        for metric in rng.sample(Metric.values, rng.randint(1, 3)):
            clause = SocialClauseFactory(
                contract=contract,
                metric=metric,
                target=Decimal(rng.randint(2, 400)),
                min_placement_weeks=Decimal(rng.choice([0, 0, 2, 4])),
                target_groups=rng.sample(GROUPS, rng.randint(0, 2)),
            )
            if rng.random() < 0.3:
                MilestoneFactory(
                    clause=clause,
                    date=clause.start_date + timedelta(days=200),
                    cumulative_target=clause.target / 3,
                )
        people = [f"P-{number}-{i}" for i in range(rng.randint(2, 6))]
        for period in contract.reporting_periods():
            status = rng.choice(
                [ReportStatus.APPROVED] * 3 + [ReportStatus.SUBMITTED, ReportStatus.REJECTED]
            )
            if period.start > date(2026, 3, 1) or rng.random() < 0.15:
                continue
            report = ReportFactory(
                contract=contract,
                period_start=period.start,
                period_end=period.end,
                status=status,
                submitted_at=timezone.make_aware(
                    datetime.combine(
                        period.due_date + timedelta(days=rng.randint(-8, 6)), datetime.min.time()
                    )
                ),
            )
            for person in rng.sample(people, rng.randint(1, len(people))):
                first = period.start + timedelta(days=rng.randint(0, 10))
                RowFactory(
                    report=report,
                    participant_ref=person,
                    target_group=rng.choice(groups),
                    start_date=min(first, period.end),
                    end_date=period.end - timedelta(days=rng.randint(0, 5))
                    if period.end - timedelta(days=5) > first
                    else period.end,
                    hours=Decimal(rng.randint(0, 40)),
                )


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_total_equals_the_engine_on_generated_data(seed):
    _generate(seed)
    for year in (2024, 2025):
        assert_reconciles(year, date(2026, 6, 30))
    assert_reconciles(2026, date(2026, 6, 30))  # the current year: as of today


@pytest.mark.parametrize("seed", [1, 2])
def test_target_group_totals_add_up_exactly_to_the_clause_totals(seed):
    _generate(seed)
    for as_of in (date(2024, 6, 30), date(2025, 12, 31)):
        whole = clause_totals(Contract.objects.all(), as_of=as_of)
        split = clause_group_totals(Contract.objects.all(), as_of=as_of)
        parts: dict[int, list[Fraction]] = {}
        for (clause_id, _group), value in split.groups.items():
            total = parts.setdefault(clause_id, [Fraction(0), Fraction(0)])
            total[0] += value.reported
            total[1] += value.verified
        exact = {c: (t.reported, t.verified) for c, t in whole.items()}
        assert exact == {c: tuple(t) for c, t in parts.items()}
        assert exact == {c: (t.reported, t.verified) for c, t in split.clauses.items()}
        assert len({group for _clause, group in split.groups}) > 1


def test_the_previous_year_column_is_last_years_report():
    _generate(4)
    this = annual_report(year=2025, today=date(2026, 6, 30)).year_over_year
    last = annual_report(year=2024, today=date(2026, 6, 30)).year_over_year
    assert list(this["figure"]) == list(last["figure"]) or set(last["figure"]) <= set(
        this["figure"]
    )
    previous = dict(zip(this["figure"], this["previous_year"], strict=True))
    for figure, value in zip(last["figure"], last["this_year"], strict=True):
        assert previous[figure] == value, figure
    change = this.set_index("figure")
    line = change.loc["contracts"]
    assert line["change"] == line["this_year"] - line["previous_year"]


def test_foreign_born_women_and_the_reports_on_time():
    contract = ContractFactory(start_date=date(2025, 1, 1), end_date=date(2025, 12, 31))
    SocialClauseFactory(contract=contract, metric=Metric.PLACEMENTS, target=Decimal(10))
    periods = contract.reporting_periods()  # quarters, due 10 days after each
    sent = {
        0: periods[0].due_date,  # on the due date: on time
        1: periods[1].due_date + timedelta(days=3),  # late
        # the third is missing; the fourth is due in 2026
    }
    groups = {g.code: g for g in TargetGroup.objects.all()}
    for index, day in sent.items():
        report = ReportFactory(
            contract=contract,
            period_start=periods[index].start,
            period_end=periods[index].end,
            status=ReportStatus.APPROVED,
            submitted_at=timezone.make_aware(datetime.combine(day, datetime.min.time())),
        )
        for person, group in (("A", "foreign_born_women"), ("B", "youth"), ("C", "youth")):
            RowFactory(
                report=report, participant_ref=f"{person}{index}", target_group=groups[group]
            )

    report = annual_report(year=2025, today=date(2026, 2, 1))

    (fbw,) = report.foreign_born_women[report.foreign_born_women["metric"] == "placements"].to_dict(
        "records"
    )
    assert (fbw["delivered"], fbw["all_groups"], fbw["share_pct"]) == (
        Decimal("2.00"),
        Decimal("6.00"),
        Decimal("33.3"),
    )
    summary = dict(
        zip(report.reports_summary["state"], report.reports_summary["reports"], strict=True)
    )
    assert summary == {"on_time": 1, "late": 1, "missing": 1, "not_due": 0}
    assert report.year_over_year.set_index("figure").loc["reports_on_time_pct", "this_year"] == (
        Decimal("33.3")
    )
    # Reports due in 2025 are those of the first three quarters (the fourth is due in 2026).
    assert len(report.reports) == 3
    # As of August the third quarter is not yet due.
    early = annual_report(year=2025, today=date(2025, 8, 1)).reports_summary
    assert dict(zip(early["state"], early["reports"], strict=True)) == {
        "on_time": 1,
        "late": 1,
        "missing": 0,
        "not_due": 1,
    }


def test_a_report_due_in_january_counts_in_that_year_though_its_contract_ended():
    ended = ContractFactory(start_date=date(2024, 1, 1), end_date=date(2024, 12, 31))
    SocialClauseFactory(contract=ended)
    last = ended.reporting_periods()[-1]
    assert last.due_date == date(2025, 1, 10)
    ReportFactory(
        contract=ended,
        period_start=last.start,
        period_end=last.end,
        status=ReportStatus.SUBMITTED,
        submitted_at=timezone.make_aware(datetime(2025, 1, 12, 9)),
    )
    report = annual_report(year=2025, today=date(2026, 1, 1))
    assert report.contracts == 0  # it did not run in 2025
    assert report.reports.to_dict("records") == [
        {
            "contract": ended.reference,
            "period_start": last.start,
            "period_end": last.end,
            "due_date": last.due_date,
            "received": date(2025, 1, 12),
            "state": "late",
        }
    ]
    assert len(annual_report(year=2024, today=date(2026, 1, 1)).reports) == 3


def test_the_report_takes_the_same_number_of_queries_for_2_and_8_contracts():
    counts = []
    for total in (2, 8):
        while Contract.objects.count() < total:
            contract = ContractFactory(start_date=date(2024, 1, 1))
            clause = SocialClauseFactory(contract=contract, target_groups=["youth"])
            report = ReportFactory(contract=contract, status=ReportStatus.APPROVED)
            RowFactory(report=report)
            MilestoneFactory(clause=clause)
        with CaptureQueriesContext(connection) as queries:
            annual_report(year=2025, today=date(2026, 6, 1))
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


def test_a_year_without_contracts_gives_empty_tables_not_an_error(tmp_path):
    report = annual_report(year=2019, today=date(2026, 6, 1))
    assert report.contracts == 0 and report.clauses.empty and report.by_metric.empty
    assert annual_output.render_xlsx(report)[:2] == b"PK"
    with translation.override("en"):
        assert "Nothing to show" in annual_output.render_html(report)


@pytest.mark.parametrize(
    ("language", "title", "sheet", "heading"),
    [
        ("sv", "Integrationsrapport", "Per stadsdel", "levererat under året"),
        ("en", "Integration report", "Per district", "delivered in the year"),
    ],
)
def test_the_command_writes_xlsx_html_and_pdf_in_either_language(
    tmp_path, language, title, sheet, heading
):
    seed_demo()
    year = timezone.localdate().year - 1
    files = {}
    for fmt in ("xlsx", "html", "pdf"):
        files[fmt] = tmp_path / f"r.{fmt}"
        call_command(
            "integration_report",
            year=year,
            format=fmt,
            language=language,
            output=str(files[fmt]),
            stdout=io.StringIO(),
        )
    workbook = openpyxl.load_workbook(files["xlsx"])
    assert sheet in workbook.sheetnames
    for ws in workbook.worksheets:
        assert ws.freeze_panes == "A2"
        assert all(cell.font.bold for cell in ws[1] if cell.value)
    district = workbook[sheet]
    assert heading in [cell.value for cell in district[1]]
    page = files["html"].read_text()
    assert f"{title} {year}" in page
    with translation.override(language):  # wide tables are printed in parts
        printed = annual_output.context(annual_report(year=year), printed=True)["tables"]
    assert page.count("<svg") == 4
    assert page.count("<table") == sum(1 for table in printed if table.rows)
    pdf = pypdf.PdfReader(files["pdf"])
    text = "\n".join(p.extract_text() for p in pdf.pages)
    assert f"{title} {year}" in text and heading in text


def test_the_command_refuses_a_year_that_has_no_report():
    with pytest.raises(Exception, match="No report for the year 1999"):
        call_command("integration_report", year=1999, stdout=io.StringIO())


def test_translated_values_in_the_tables():
    seed_demo()
    report = annual_report(year=timezone.localdate().year - 1)
    with translation.override("sv"):
        swedish = {t.key: t for t in annual_output.tables(report)}
    with translation.override("en"):
        english = {t.key: t for t in annual_output.tables(report)}
    assert "praktikplatser" in [row[0] for row in swedish["by_metric"].rows]
    assert "placements" in [row[0] for row in english["by_metric"].rows]
    assert swedish["by_metric"].headings != english["by_metric"].headings


def test_long_detail_tables_stay_in_the_workbook_not_on_the_page(monkeypatch):
    _generate(5)
    report = annual_report(year=2025, today=date(2026, 6, 30))
    monkeypatch.setattr(annual_output, "PAGE_LINES", 3)
    with translation.override("en"):
        page = annual_output.render_html(report)
        workbook = openpyxl.load_workbook(io.BytesIO(annual_output.render_xlsx(report)))
    assert f"{len(report.reports)} lines: see the Excel workbook." in page
    assert f"{len(report.clauses)} lines: see the Excel workbook." in page
    assert workbook["Reports due"].max_row == len(report.reports) + 1
    assert workbook["Clauses"].max_row == len(report.clauses) + 1
    # The summaries are on the page whole.
    assert "Targets against the benchmark bands" in page


# The printed report (issue 12): no column runs off the paper, and page 1 is not left empty.


def _boxes(box):
    yield box
    for child in getattr(box, "children", None) or []:
        yield from _boxes(child)


def _overflowing_tables(report) -> list[tuple[int, float, float]]:
    """(page, right edge, page's right margin) of every table WeasyPrint lays out wider than
    the paper's printable width."""
    from weasyprint import HTML

    document = HTML(string=annual_output.render_html(report)).render()
    found = []
    for number, page in enumerate(document.pages, start=1):
        page_box = page._page_box
        limit = page_box.margin_width() - page_box.margin_right + 0.5
        for box in _boxes(page_box):
            if type(box).__name__ == "TableBox":
                right = box.position_x + box.margin_width()
                if right > limit:
                    found.append((number, right, limit))
    return found


@pytest.mark.parametrize("language", ["sv", "en"])
def test_no_printed_table_is_wider_than_the_paper(monkeypatch, language):
    seed_demo()
    report = annual_report(year=timezone.localdate().year - 1)
    with translation.override(language):
        assert _overflowing_tables(report) == []
        # The check can fail: the benchmark table printed whole runs off the page.
        monkeypatch.setattr(annual_output.Table, "print_parts", lambda table: [table])
        assert _overflowing_tables(report)


def test_wide_tables_print_in_parts_that_repeat_the_columns_naming_a_line():
    seed_demo()
    report = annual_report(year=timezone.localdate().year - 1)
    with translation.override("en"):
        tables = {table.key: table for table in annual_output.tables(report, page=True)}
        split = {key: table.print_parts() for key, table in tables.items()}
    for key, keys in (("benchmarks", 2), ("clauses", 2)):
        table, parts = tables[key], split[key]
        assert len(table.headings) > annual_output.PRINT_COLUMNS and len(parts) >= 2
        assert all(len(part.headings) <= annual_output.PRINT_COLUMNS for part in parts)
        assert all(part.headings[:keys] == parts[0].headings[:keys] for part in parts)
        assert {h for part in parts for h in part.headings} == set(table.headings)
        assert all(len(part.rows) == len(table.rows) for part in parts)
        assert parts[1].title == f"{table.title}, part 2 of {len(parts)}"
    assert parts[0].headings[:2] == ["contract", "metric"]
    assert split["by_metric"] == [tables["by_metric"]]


def test_the_first_printed_page_carries_the_charts_and_the_first_table():
    seed_demo()
    year = timezone.localdate().year - 1
    report = annual_report(year=year)
    with translation.override("sv"):
        pdf = pypdf.PdfReader(io.BytesIO(annual_output.render_pdf(report)))
        titles = [title for title, _chart in annual_output.report_charts(report)]
        first_table = annual_output.tables(report, page=True)[0].title
    first = pdf.pages[0].extract_text()
    assert f"Integrationsrapport {year}" in first
    for title in titles:
        assert title in first, title
    assert first_table in first
