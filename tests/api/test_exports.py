"""CSV and XLSX exports of compliance figures and report rows (docs/API.md, issue points 7)."""

from __future__ import annotations

import codecs
import csv
import io
from datetime import date, datetime
from decimal import Decimal

import pytest
from django.http import StreamingHttpResponse
from django.utils import translation
from openpyxl import load_workbook
from rest_framework.test import APIClient

from contracts import exports
from contracts.choices import Metric
from contracts.models import TargetGroup
from internships.choices import ReportStatus
from tests.factories import (
    ContractFactory,
    ContractorFactory,
    ContractorUserFactory,
    ReportFactory,
    RowFactory,
    SocialClauseFactory,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("compiled_catalogue")]

COMPLIANCE = "/api/v1/compliance/"
ROWS = "/api/v1/compliance/rows/"
AS_OF = "2024-08-15"
DECIMAL_KEYS = {
    "target",
    "expected",
    "reported",
    "verified",
    "shortfall",
    "projected_total",
    "penalty_sek",
}
#: Empty in a CSV where the JSON has null (a dialogue clause has no target; first_start is null
#: without the option).
NULLABLE_KEYS = {"forecast_date", "first_start", "target", "expected", "shortfall", "forecast"}
#: The clause options of the Swedish model: in the files, not in the JSON evaluations.
OPTION_KEYS = {
    "kind",
    "employment_types",
    "full_time_hours_per_week",
    "first_start_within_days",
    "requires_matcher_confirmation",
}
COMPLIANCE_KEYS = [column.key for column in exports.COMPLIANCE_COLUMNS]
ROW_KEYS = [column.key for column, _path in exports.ROW_COLUMNS]
Q1 = (date(2024, 1, 1), date(2024, 3, 31))
Q2 = (date(2024, 4, 1), date(2024, 6, 30))


@pytest.fixture
def api() -> APIClient:
    return APIClient()


def _report(contract, period, status, rows=()):
    report = ReportFactory(
        contract=contract, period_start=period[0], period_end=period[1], status=status
    )
    for row in rows:
        RowFactory(report=report, **row)
    return report


@pytest.fixture
def world():
    """Two contractors with a contract each; reports in several statuses."""
    ours = ContractorFactory(name="Åby Bygg & Måleri AB")
    theirs = ContractorFactory(name="Österängens Bygg AB")
    user = ContractorUserFactory(username="ours-user", contractor=ours)
    contract = ContractFactory(contractor=ours, reference="K-ÅBY-1")
    other = ContractFactory(contractor=theirs, reference="K-ÖST-1")
    SocialClauseFactory(contract=contract, metric=Metric.PLACEMENTS, target=Decimal(6))
    SocialClauseFactory(
        contract=contract,
        metric=Metric.HOURS,
        target=Decimal("1500.50"),
        target_groups=["newly_arrived", "youth"],
        penalty_per_unit_sek=Decimal("12.50"),
    )
    SocialClauseFactory(contract=other, metric=Metric.PLACEMENT_WEEKS, target=Decimal(40))
    youth = TargetGroup.objects.get(code="youth")
    _report(
        contract,
        Q1,
        ReportStatus.APPROVED,
        [
            {"participant_ref": "D-1", "hours": Decimal("120.25"), "role": "Snickare"},
            {"participant_ref": "D-2", "hours": Decimal(80), "target_group": youth},
        ],
    )
    _report(
        contract,
        Q2,
        ReportStatus.SUBMITTED,
        [{"participant_ref": "D-3", "hours": Decimal("33.5"), "notes": "Målare, halvtid"}],
    )
    _report(other, Q1, ReportStatus.APPROVED, [{"participant_ref": "X-1", "hours": Decimal(10)}])
    _report(other, Q2, ReportStatus.DRAFT, [{"participant_ref": "X-2", "hours": Decimal(5)}])
    return {"user": user, "contract": contract, "other": other}


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


def _csv(response, sep: str = ";") -> tuple[list[str], list[list[str]]]:
    body = _body(response)
    assert body.startswith(codecs.BOM_UTF8)
    table = list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline=""), delimiter=sep))
    return table[0], table[1:]


def _xlsx(response):
    sheet = load_workbook(io.BytesIO(_body(response))).worksheets[0]
    table = [list(row) for row in sheet.iter_rows(values_only=True)]
    return sheet, table[0], table[1:]


def _labels(columns, language: str = "sv") -> list[str]:
    with translation.override(language):
        return [str(column.label) for column in columns]


def _json_rows(api, params: dict) -> list[dict]:
    response = api.get(COMPLIANCE, {**params, "page_size": 500})
    assert response.status_code == 200, response.content
    return response.json()["results"]


def _code(key: str, word: str, language: str = "sv") -> str:
    """The code the JSON API gives for a value the file writes as a word."""
    with translation.override(language):
        codes = {str(label): code for code, label in exports.CODE_WORDS[key].choices}
    return codes[word]


def _from_csv(key: str, text: str, decimal_separator: str = ","):
    """A CSV field read back into the type the JSON API uses for that column."""
    if key in NULLABLE_KEYS and text == "":  # a CSV has no null: an empty field stands for it
        return None
    if key in exports.CODE_WORDS:
        return _code(key, text)
    if key in DECIMAL_KEYS:
        return Decimal(text.replace(decimal_separator, "."))
    if key in {"clause", "contract"}:
        return int(text)
    if key in NULLABLE_KEYS and text == "":  # a CSV has no null: an empty field stands for it
        return None
    return text


def _from_json(key: str, value):
    return Decimal(value) if key in DECIMAL_KEYS and value is not None else value


def _json_figures(row: dict) -> dict:
    """An evaluation of the JSON API as the files have it: every figure column; a column the
    JSON does not have (``first_start`` before the engine reports it) as empty."""
    return {key: _from_json(key, row.get(key)) for key in COMPLIANCE_KEYS if key not in OPTION_KEYS}


def _from_xlsx(key: str, value):
    if value is None:
        return None
    if key in exports.CODE_WORDS:
        return _code(key, value)
    if key in DECIMAL_KEYS:
        return Decimal(str(value)).quantize(Decimal("0.01"))
    if isinstance(value, datetime):
        return value.date().isoformat()
    return value


FILTERS = [
    {"as_of": AS_OF},
    {"as_of": "2024-03-31", "metric": Metric.HOURS},
    {"as_of": "2026-01-15", "status": "breached"},
    {"as_of": AS_OF, "contractor": "OURS"},
    {"as_of": AS_OF, "contract": "OTHER"},
]


def _resolve(params: dict, world) -> dict:
    resolved = dict(params)
    if resolved.get("contractor") == "OURS":
        resolved["contractor"] = world["contract"].contractor_id
    if resolved.get("contract") == "OTHER":
        resolved["contract"] = world["other"].pk
    return resolved


# --- Compliance -----------------------------------------------------------------------------


@pytest.mark.parametrize("params", FILTERS)
def test_compliance_csv_has_the_json_figures_with_the_same_filters(api, officer, world, params):
    params = _resolve(params, world)
    api.force_authenticate(officer)
    expected = _json_rows(api, params)
    assert expected, "the filter should keep some clauses"

    response = api.get(COMPLIANCE, {**params, "format": "csv"})

    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    head, rows = _csv(response)
    assert head == _labels(exports.COMPLIANCE_COLUMNS)
    got = [
        {
            key: _from_csv(key, cell)
            for key, cell in zip(COMPLIANCE_KEYS, row, strict=True)
            if key not in OPTION_KEYS
        }
        for row in rows
    ]
    want = [_json_figures(row) for row in expected]
    assert got == want


@pytest.mark.parametrize("params", FILTERS)
def test_compliance_xlsx_has_the_json_figures_with_the_same_filters(api, officer, world, params):
    params = _resolve(params, world)
    api.force_authenticate(officer)
    expected = _json_rows(api, params)

    response = api.get(COMPLIANCE, {**params, "format": "xlsx"})

    assert response.status_code == 200
    assert response["Content-Type"] == exports.XLSX_MEDIA_TYPE
    sheet, head, rows = _xlsx(response)
    assert head == _labels(exports.COMPLIANCE_COLUMNS)
    assert sheet.freeze_panes == "A2"
    assert all(cell.font.bold for cell in sheet[1])
    assert not any(cell.font.bold for cell in sheet[2])
    # Figures are numbers, not text, so Excel can sum them.
    assert isinstance(rows[0][COMPLIANCE_KEYS.index("target")], int | float)
    got = [
        {
            key: _from_xlsx(key, value)
            for key, value in zip(COMPLIANCE_KEYS, row, strict=True)
            if key not in OPTION_KEYS
        }
        for row in rows
    ]
    want = [_json_figures(row) for row in expected]
    assert got == want


def test_compliance_csv_is_semicolon_separated_with_decimal_comma_by_default(api, officer, world):
    api.force_authenticate(officer)

    response = api.get(COMPLIANCE, {"as_of": AS_OF, "format": "csv", "metric": Metric.HOURS})

    text = _body(response).decode("utf-8-sig")
    assert text.splitlines()[0].count(";") == len(exports.COMPLIANCE_COLUMNS) - 1
    assert "1500,50" in text  # the hours clause's target
    assert response["Content-Disposition"] == f'attachment; filename="compliance-{AS_OF}.csv"'


def test_compliance_csv_with_comma_separator_uses_a_decimal_point(api, officer, world):
    api.force_authenticate(officer)
    expected = _json_rows(api, {"as_of": AS_OF})

    response = api.get(COMPLIANCE, {"as_of": AS_OF, "format": "csv", "sep": ","})

    _head, rows = _csv(response, sep=",")
    got = [_from_csv("target", row[COMPLIANCE_KEYS.index("target")], ".") for row in rows]
    assert got == [Decimal(row["target"]) for row in expected]


def test_files_are_not_paginated(api, officer, world):
    api.force_authenticate(officer)

    response = api.get(COMPLIANCE, {"as_of": AS_OF, "format": "csv", "page_size": 1})

    _head, rows = _csv(response)
    assert len(rows) == 3


def test_headers_follow_the_request_language(api, officer, world):
    api.force_authenticate(officer)

    swedish, _rows = _csv(api.get(COMPLIANCE, {"format": "csv"}))
    english, _rows = _csv(api.get(COMPLIANCE, {"format": "csv"}, HTTP_ACCEPT_LANGUAGE="en"))

    assert swedish == _labels(exports.COMPLIANCE_COLUMNS, "sv")
    assert swedish[:2] == ["krav", "avtal"]
    assert swedish[4] == "målvärde"
    assert english == _labels(exports.COMPLIANCE_COLUMNS, "en")
    assert english[4] == "target"


def test_a_contractor_exports_only_its_own_clauses(api, world):
    api.force_authenticate(world["user"])

    _head, rows = _csv(api.get(COMPLIANCE, {"as_of": AS_OF, "format": "csv"}))

    references = {row[COMPLIANCE_KEYS.index("contract_reference")] for row in rows}
    assert references == {"K-ÅBY-1"}


def test_bad_filters_answer_400_as_json_even_for_a_file(api, officer):
    api.force_authenticate(officer)

    response = api.get(COMPLIANCE, {"format": "csv", "as_of": "31/12/2024", "sep": "|"})

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert set(response.json()) == {"as_of", "sep"}


def test_an_unknown_format_is_400_naming_the_formats(api, officer):
    api.force_authenticate(officer)

    response = api.get(COMPLIANCE, {"format": "pdf"})

    assert response.status_code == 400
    assert "xlsx" in response.json()["format"][0]


@pytest.mark.parametrize(
    ("url", "params"),
    [
        (COMPLIANCE, {"format": "csv"}),
        (COMPLIANCE, {"format": "xlsx"}),
        (ROWS, {"format": "csv"}),
        (ROWS, {"format": "xlsx"}),
        (ROWS, {}),
    ],
)
def test_anonymous_callers_get_401_as_json(api, url, params):
    response = api.get(url, params)

    assert response.status_code == 401
    assert response["Content-Type"] == "application/json"
    assert "detail" in response.json()


def _contracts_with_rows(count: int) -> None:
    for number in range(count):
        contract = ContractFactory(reference=f"K-SIZE-{number:03d}")
        SocialClauseFactory(contract=contract, metric=Metric.PLACEMENTS)
        SocialClauseFactory(contract=contract, metric=Metric.HOURS, target=Decimal(500))
        _report(
            contract,
            Q1,
            ReportStatus.APPROVED,
            [{"participant_ref": f"P-{number}-{index}"} for index in range(3)],
        )


@pytest.mark.parametrize("size", [1, 12])
def test_compliance_csv_takes_a_constant_number_of_queries(
    api, officer, size, django_assert_num_queries
):
    _contracts_with_rows(size)
    api.force_authenticate(officer)

    # The caller's groups, then evaluate_clauses: the three aggregates over the rows, the
    # clauses and their milestones; then the clauses' options (issue 14) for the file.
    with django_assert_num_queries(7):
        response = api.get(COMPLIANCE, {"as_of": AS_OF, "format": "csv"})
        _head, rows = _csv(response)

    assert len(rows) == 2 * size


# --- Report rows ----------------------------------------------------------------------------


def test_rows_export_streams_every_visible_row_as_csv_by_default(api, officer, world):
    api.force_authenticate(officer)

    response = api.get(ROWS)

    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="report-rows-')
    head, rows = _csv(response)
    assert head == _labels(col for col, _path in exports.ROW_COLUMNS)
    got = [dict(zip(ROW_KEYS, row, strict=True)) for row in rows]
    assert [(row["contract_reference"], row["participant_ref"]) for row in got] == [
        ("K-ÅBY-1", "D-1"),
        ("K-ÅBY-1", "D-2"),
        ("K-ÅBY-1", "D-3"),
        ("K-ÖST-1", "X-1"),
        ("K-ÖST-1", "X-2"),
    ]
    first = got[0]
    assert first["period_start"] == "2024-01-01"
    assert first["period_end"] == "2024-03-31"
    # Codes are written as words: the status in Swedish, the target group by its Swedish name.
    assert first["report_status"] == "godkänd"
    assert first["target_group"] == TargetGroup.objects.get(code="newly_arrived").name_sv
    assert first["start_date"] == "2024-01-01"
    assert first["end_date"] == "2024-03-31"
    assert first["hours"] == "120,25"
    assert first["role"] == "Snickare"
    assert got[1]["target_group"] == TargetGroup.objects.get(code="youth").name_sv
    assert got[2]["notes"] == "Målare, halvtid"


def test_exports_write_codes_as_words_in_the_language_asked_for(api, officer, world):
    api.force_authenticate(officer)

    _head, rows = _csv(api.get(ROWS, {"sep": ","}, HTTP_ACCEPT_LANGUAGE="en"), sep=",")
    first = dict(zip(ROW_KEYS, rows[0], strict=True))
    assert first["report_status"] == "approved"
    assert first["target_group"] == TargetGroup.objects.get(code="newly_arrived").name_en
    assert first["target_group"] != TargetGroup.objects.get(code="newly_arrived").name_sv

    english = api.get(COMPLIANCE, {"as_of": AS_OF, "format": "xlsx"}, HTTP_ACCEPT_LANGUAGE="en")
    swedish = api.get(COMPLIANCE, {"as_of": AS_OF, "format": "xlsx"}, HTTP_ACCEPT_LANGUAGE="sv")
    index = COMPLIANCE_KEYS.index("metric")
    in_english = {row[index] for row in _xlsx(english)[2]}
    in_swedish = {row[index] for row in _xlsx(swedish)[2]}
    codes = {metric.value for metric in Metric}
    with translation.override("en"):
        assert in_english <= {str(metric.label) for metric in Metric}
    with translation.override("sv"):
        assert in_swedish <= {str(metric.label) for metric in Metric}
    assert in_swedish and not in_swedish & codes
    assert in_english and in_english != in_swedish


def test_rows_export_as_xlsx_has_typed_cells(api, officer, world):
    api.force_authenticate(officer)

    response = api.get(ROWS, {"format": "xlsx", "contract": world["contract"].pk})

    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)  # a FileResponse, read from disk
    sheet, head, rows = _xlsx(response)
    assert head == _labels(col for col, _path in exports.ROW_COLUMNS)
    assert sheet.freeze_panes == "A2"
    assert all(cell.font.bold for cell in sheet[1])
    first = dict(zip(ROW_KEYS, rows[0], strict=True))
    assert first["hours"] == 120.25
    assert first["start_date"] == datetime(2024, 1, 1)
    assert first["report"] == world["contract"].reports.get(period_start=Q1[0]).pk
    assert len(rows) == 3


@pytest.mark.parametrize(
    ("params", "participants"),
    [
        ({"status": "approved"}, ["D-1", "D-2", "X-1"]),
        ({"status": "draft"}, ["X-2"]),
        ({"period_start": "2024-04-01"}, ["D-3", "X-2"]),
        ({"period_from": "2024-04-01", "period_to": "2024-12-31"}, ["D-3", "X-2"]),
        ({"period_to": "2024-03-31"}, ["D-1", "D-2", "X-1"]),
        ({"contract": "OTHER"}, ["X-1", "X-2"]),
        ({"contract": "OTHER", "status": "approved"}, ["X-1"]),
    ],
)
def test_rows_export_filters(api, officer, world, params, participants):
    if params.get("contract") == "OTHER":
        params = {**params, "contract": world["other"].pk}
    api.force_authenticate(officer)

    _head, rows = _csv(api.get(ROWS, params))

    assert [row[ROW_KEYS.index("participant_ref")] for row in rows] == participants


def test_rows_export_rejects_a_reversed_period_range(api, officer):
    api.force_authenticate(officer)

    response = api.get(ROWS, {"period_from": "2024-12-31", "period_to": "2024-01-01"})

    assert response.status_code == 400
    assert "period_to" in response.json()


def test_a_contractor_gets_only_its_own_rows(api, world):
    api.force_authenticate(world["user"])

    _head, rows = _csv(api.get(ROWS))
    _head, foreign = _csv(api.get(ROWS, {"contract": world["other"].pk}))
    _sheet, _head, xlsx_rows = _xlsx(api.get(ROWS, {"format": "xlsx"}))

    assert {row[ROW_KEYS.index("contract_reference")] for row in rows} == {"K-ÅBY-1"}
    assert len(rows) == 3
    assert foreign == []
    assert len(xlsx_rows) == 3


def test_rows_export_has_no_json_format(api, officer):
    api.force_authenticate(officer)

    response = api.get(ROWS, {"format": "json"})

    assert response.status_code == 400
    assert list(response.json()) == ["format"]


def test_spreadsheet_formulas_in_text_are_neutralised(api, officer, world):
    report = _report(world["other"], (date(2024, 7, 1), date(2024, 9, 30)), ReportStatus.DRAFT)
    RowFactory(
        report=report,
        participant_ref='=HYPERLINK("http://x")',
        role="+SUM(A1:A9)",
        notes='@cmd|"/c calc"!A1',
    )
    RowFactory(report=report, participant_ref="-1+2", role="", notes="\tTAB\rCR")
    api.force_authenticate(officer)

    _head, rows = _csv(api.get(ROWS, {"period_start": "2024-07-01"}))
    _sheet, _head, cells = _xlsx(api.get(ROWS, {"period_start": "2024-07-01", "format": "xlsx"}))

    for table in (rows, cells):
        by_ref = {row[ROW_KEYS.index("participant_ref")]: row for row in table}
        hyperlink = by_ref['\'=HYPERLINK("http://x")']
        assert hyperlink[ROW_KEYS.index("role")] == "'+SUM(A1:A9)"
        assert hyperlink[ROW_KEYS.index("notes")] == '\'@cmd|"/c calc"!A1'
        minus = by_ref["'-1+2"]
        # (An XML parser reads the carriage return back as a line feed.)
        assert minus[ROW_KEYS.index("notes")] in {"'\tTAB\rCR", "'\tTAB\nCR"}
    # openpyxl would store text starting with "=" as a formula: it is plain text here.
    sheet = load_workbook(
        io.BytesIO(_body(api.get(ROWS, {"period_start": "2024-07-01", "format": "xlsx"})))
    ).worksheets[0]
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


@pytest.mark.parametrize("prefix", ["=", "+", "-", "@", "\t", "\r"])
def test_text_starting_like_a_formula_gets_a_quote(prefix):
    assert exports.neutralise(f"{prefix}1") == f"'{prefix}1"
    assert exports.csv_cell(f"{prefix}1") == f"'{prefix}1"
    assert exports.xlsx_value(f"{prefix}1") == f"'{prefix}1"


def test_numbers_stay_numbers_even_when_negative():
    assert exports.csv_cell(Decimal("-3.50")) == "-3,50"
    assert exports.csv_cell(Decimal("-3.50"), decimal_separator=".") == "-3.50"
    assert exports.csv_cell(-7) == "-7"
    assert exports.csv_cell(Decimal("1E+3")) == "1000"
    assert exports.xlsx_value(Decimal("-3.50")) == Decimal("-3.50")
    assert exports.xlsx_value(-7) == -7
    assert exports.csv_cell("Snickare") == "Snickare"
    assert exports.csv_cell(None) == ""
    assert exports.csv_cell(date(2024, 1, 31)) == "2024-01-31"


def test_negative_numbers_are_numeric_cells_in_xlsx():
    columns = [exports.Column("n", "n"), exports.Column("t", "t")]
    sheet = load_workbook(
        exports.xlsx_file(columns, [[Decimal("-2.5"), "-2.5"]], title="T")
    ).worksheets[0]

    number, text = sheet[2]
    assert number.value == -2.5
    assert number.data_type == "n"
    assert text.value == "'-2.5"


def test_control_characters_that_xlsx_cannot_hold_are_dropped():
    assert exports.xlsx_value("a\x00b\x1fc") == "abc"


@pytest.mark.parametrize("size", [3, 60])
def test_rows_csv_takes_a_constant_number_of_queries(api, officer, size, django_assert_num_queries):
    contract = ContractFactory()
    periods = contract.reporting_periods()
    per_report = max(1, size // 3)
    for index in range(3):
        period = (periods[index].start, periods[index].end)
        _report(
            contract,
            period,
            ReportStatus.SUBMITTED,
            [{"participant_ref": f"P-{index}-{n}"} for n in range(per_report)],
        )
    api.force_authenticate(officer)

    # The caller's groups; the read log (membership, first ids, count, insert); then one query
    # for every row (fetched in chunks from one cursor).
    with django_assert_num_queries(6):
        _head, rows = _csv(api.get(ROWS))

    assert len(rows) == 3 * per_report


# --- The Swedish model (issue 14) -------------------------------------------------------------


def test_rows_export_has_the_row_facts_in_words(api, officer):
    from procurement.models import District

    contract = ContractFactory(reference="K-FAKTA-1")
    district = District.objects.create(name="Exportområdet")
    _report(
        contract,
        Q1,
        ReportStatus.APPROVED,
        [
            {
                "participant_ref": "F-1",
                "employment_type": "employment",
                "offered_on": date(2023, 12, 20),
                "ended_by_participant": True,
                "gender": "woman",
                "born_abroad": "yes",
                "age_band": "25-29",
                "home_district": district,
            },
            {"participant_ref": "F-2"},
        ],
    )
    api.force_authenticate(officer)

    _head, rows = _csv(api.get(ROWS, {"contract": contract.pk}))
    told, untold = (dict(zip(ROW_KEYS, row, strict=True)) for row in rows)
    assert (told["participant_ref"], untold["participant_ref"]) == ("F-1", "F-2")
    assert told["employment_type"] == "anställning"
    assert told["offered_on"] == "2023-12-20"
    assert told["ended_by_participant"] == "ja"
    assert told["gender"] == "kvinna"
    assert told["born_abroad"] == "ja"
    assert told["age_band"] == "25–29"
    assert told["home_district"] == "Exportområdet"
    assert untold["employment_type"] == "praktik"
    assert (untold["offered_on"], untold["home_district"]) == ("", "")
    assert untold["ended_by_participant"] == "nej"
    assert untold["gender"] == untold["born_abroad"] == untold["age_band"] == "ej uppgivet"

    _sheet, _head, cells = _xlsx(api.get(ROWS, {"contract": contract.pk, "format": "xlsx"}))
    first = dict(zip(ROW_KEYS, cells[0], strict=True))
    assert first["offered_on"] == datetime(2023, 12, 20)  # a date cell
    _head, english = _csv(
        api.get(ROWS, {"contract": contract.pk, "sep": ","}, HTTP_ACCEPT_LANGUAGE="en"), sep=","
    )
    in_english = dict(zip(ROW_KEYS, english[0], strict=True))
    assert (in_english["employment_type"], in_english["gender"]) == ("employment", "woman")
    assert in_english["ended_by_participant"] == "yes"


def test_compliance_export_has_the_clause_options(api, officer):
    contract = ContractFactory(reference="K-VAL-1")
    fte = SocialClauseFactory(
        contract=contract,
        metric=Metric.HOURS,
        target=Decimal(500),
        employment_types=["employment", "apprenticeship"],
        full_time_hours_per_week=Decimal("38.25"),
        first_start_within_days=183,
        requires_matcher_confirmation=True,
    )
    plain = SocialClauseFactory(contract=contract, metric=Metric.PLACEMENTS, target=Decimal(4))
    api.force_authenticate(officer)

    _head, rows = _csv(
        api.get(COMPLIANCE, {"as_of": AS_OF, "contract": contract.pk, "format": "csv"})
    )
    by_clause = {
        int(row[COMPLIANCE_KEYS.index("clause")]): dict(zip(COMPLIANCE_KEYS, row, strict=True))
        for row in rows
    }
    options = by_clause[fte.pk]
    assert options["kind"] == "numeriskt"
    assert options["employment_types"] == "anställning, lärling"
    assert options["full_time_hours_per_week"] == "38,25"
    assert options["first_start_within_days"] == "183"
    assert options["requires_matcher_confirmation"] == "ja"
    defaults = by_clause[plain.pk]
    assert defaults["employment_types"] == ""  # every type counts
    assert defaults["first_start_within_days"] == ""
    assert defaults["requires_matcher_confirmation"] == "nej"

    _sheet, _head, cells = _xlsx(
        api.get(COMPLIANCE, {"as_of": AS_OF, "contract": contract.pk, "format": "xlsx"}),
    )
    first = dict(zip(COMPLIANCE_KEYS, cells[0], strict=True))
    assert first["full_time_hours_per_week"] == 38.25  # a number
    assert first["first_start_within_days"] == 183
