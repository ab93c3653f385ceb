"""Fuzzing the file import (issue 6): random bytes, encodings, huge cells and spreadsheet formulas
never raise anything but a refusal, and never leave partial data; exports neutralise formulas."""

from __future__ import annotations

import csv
import io
from datetime import date

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contracts import exports
from internships.importing import ImportRefused, import_report
from internships.models import PlacementReport, PlacementRow
from tests.factories import ContractFactory, ContractorUserFactory, ReportFactory, RowFactory

pytestmark = pytest.mark.django_db
PERIOD = (date(2024, 1, 1), date(2024, 3, 31))
FORMULAS = [
    '=HYPERLINK("http://evil.example","klicka")',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1)",
    "=1+1",
    "\t=1",
]
HEADER = "deltagare;målgrupp;startdatum;slutdatum;timmar;roll;anteckning"


@pytest.fixture
def world():
    contract = ContractFactory(start_date=date(2024, 1, 1), end_date=date(2025, 12, 31))
    user = ContractorUserFactory(username="fuzz-bygg", contractor=contract.contractor)
    return contract, user


def _try(content: bytes, name: str, world) -> PlacementReport | None:
    contract, user = world
    before = (PlacementReport.objects.count(), PlacementRow.objects.count())
    try:
        return import_report(
            data={
                "file": SimpleUploadedFile(name, content),
                "contract": contract.pk,
                "period_start": PERIOD[0].isoformat(),
                "period_end": PERIOD[1].isoformat(),
            },
            user=user,
        )
    except ImportRefused as refused:
        assert refused.problems  # a refusal always says why
        assert (PlacementReport.objects.count(), PlacementRow.objects.count()) == before
        return None


SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@SETTINGS
@given(content=st.binary(max_size=3000), name=st.sampled_from(["r.csv", "r.xlsx", "r.txt"]))
def test_random_bytes_are_refused_or_imported_never_a_crash(world, content, name):
    report = _try(content, name, world)
    if report is not None:
        report.delete()


cell = st.one_of(
    st.text(max_size=40),
    st.sampled_from(FORMULAS),
    st.text(alphabet="0123456789-,.", max_size=12),
    st.just("x" * 20000),  # a huge cell
)


@SETTINGS
@given(
    rows=st.lists(st.lists(cell, min_size=0, max_size=9), max_size=6),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252", "latin-1"]),
    separator=st.sampled_from([";", ",", "\t"]),
)
def test_random_tables_in_any_encoding_are_refused_or_imported_whole(
    world, rows, encoding, separator
):
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=separator)
    writer.writerow(HEADER.split(";"))
    writer.writerows(rows)
    content = buffer.getvalue().encode(encoding, errors="replace")
    report = _try(content, "r.csv", world)
    if report is not None:
        assert report.rows.count() == len([r for r in rows if any(c.strip() for c in r)])
        report.delete()


def test_formulas_in_text_cells_are_kept_as_text_and_exported_neutralised(world):
    lines = [HEADER] + [
        f"F-{n};youth;2024-01-0{n + 1};2024-01-0{n + 1};4;{formula};{formula}"
        for n, formula in enumerate(FORMULAS[:4])
    ]
    report = _try("\n".join(lines).encode(), "r.csv", world)
    assert report is not None and report.rows.count() == 4
    # Every cell a user typed comes out of every export without a leading formula character.
    values = list(exports.report_row_values(report.rows.all()))
    for row in values:
        for value in row:
            if isinstance(value, str):
                cell_text = exports.csv_cell(value)
                assert not cell_text.startswith(exports.FORMULA_PREFIXES), cell_text


def test_xlsx_exports_neutralise_formulas(world):
    contract, _user = world
    report = ReportFactory(contract=contract, period_start=PERIOD[0], period_end=PERIOD[1])
    RowFactory(report=report, notes=FORMULAS[0], role=FORMULAS[3])
    values = exports.report_row_values(report.rows.all())
    columns = [column for column, _path in exports.ROW_COLUMNS]
    handle = exports.xlsx_file(columns, values, title="rader")
    sheet = openpyxl.load_workbook(handle).active
    texts = [c.value for row in sheet.iter_rows(min_row=2) for c in row if isinstance(c.value, str)]
    assert texts and not any(t.startswith(exports.FORMULA_PREFIXES) for t in texts)
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)
