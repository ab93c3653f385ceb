"""File import of placement reports: ``POST reports/import/`` and ``GET reports/import-template/``
(docs/API.md "Reports").

Every refusal answers 400 ``{"errors": [{"row", "column", "message"}]}`` and saves nothing; ``row``
is the row number the user sees in the spreadsheet (the header is row 1).
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from core.api.throttling import ImportRateThrottle
from internships.models import PlacementReport, PlacementRow
from internships.pseudonyms import PSEUDONYM_PREFIX
from tests.factories import (
    ContractFactory,
    ContractorUserFactory,
    ReportFactory,
    RowFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

REPORTS = "/api/v1/reports/"
IMPORT = f"{REPORTS}import/"
TEMPLATE = f"{REPORTS}import-template/"
#: The first reporting period of a ContractFactory contract (quarterly from 2024-01-01).
PERIOD = (date(2024, 1, 1), date(2024, 3, 31))
PERSONNUMMER = "19811218-9876"  # valid (Luhn)
BAD_PERSONNUMMER = "19811218-9875"
#: Forms of the same number that must never appear in an answer or in the database.
PERSONNUMMER_FORMS = ("19811218-9876", "198112189876", "811218-9876", "8112189876")
BAD_FORMS = ("19811218-9875", "198112189875", "811218-9875", "8112189875")

HEADER = "participant_ref,target_group,start_date,end_date,hours,role,notes"


@pytest.fixture
def contract():
    return ContractFactory()


@pytest.fixture
def contractor_user(contract):
    return ContractorUserFactory(contractor=contract.contractor)


@pytest.fixture
def api(contractor_user) -> APIClient:
    client = APIClient()
    client.force_authenticate(contractor_user)
    return client


def _post(client, content: bytes, contract, *, name: str = "rader.csv", period=PERIOD):
    form = {
        "file": SimpleUploadedFile(name, content),
        "contract": contract.id,
        "period_start": period[0].isoformat(),
        "period_end": period[1].isoformat(),
    }
    return client.post(IMPORT, form, format="multipart")


def _csv(*lines: str, encoding: str = "utf-8") -> bytes:
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def _xlsx(rows: list[list]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _counts() -> tuple[int, int]:
    return PlacementReport.objects.count(), PlacementRow.objects.count()


def _errors(response) -> list[tuple]:
    assert response.status_code == 400, response.content
    body = response.json()
    assert set(body) == {"errors"}
    for error in body["errors"]:
        assert set(error) == {"row", "column", "message"}
        assert isinstance(error["message"], str)
        assert error["message"]
    return [(error["row"], error["column"]) for error in body["errors"]]


def _created(api, response) -> dict:
    """The 201 body, checked to be the new draft exactly as GET reports/{id}/ shows it."""
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "draft"
    assert api.get(f"{REPORTS}{body['id']}/").json() == body
    return body


# --- Formats ----------------------------------------------------------------------------------


def test_csv_with_commas_in_utf8_creates_a_draft_report(api, contract):
    content = _csv(
        HEADER,
        "D-001,newly_arrived,2024-01-08,2024-02-29,120,Snickare,Första veckan på bygget",
        "D-002,youth,2024-02-01,2024-03-31,7.5,,",
    )

    body = _created(api, _post(api, content, contract))

    assert body["contract"] == contract.id
    assert (body["period_start"], body["period_end"]) == ("2024-01-01", "2024-03-31")
    rows = {row["participant_ref"]: row for row in body["rows"]}
    assert rows["D-001"]["target_group"] == "newly_arrived"
    assert rows["D-001"]["hours"] == "120.00"
    assert rows["D-001"]["notes"] == "Första veckan på bygget"
    assert (rows["D-002"]["start_date"], rows["D-002"]["end_date"]) == ("2024-02-01", "2024-03-31")
    assert rows["D-002"]["hours"] == "7.50"
    assert PlacementReport.objects.get().status == "draft"


def test_semicolon_windows_1252_swedish_headers_names_and_decimal_comma(api, contract):
    content = _csv(
        " Deltagare ;MÅLGRUPP;Startdatum;Slutdatum;Timmar;Roll;Anteckning",
        "D-001;Nyanlända;2024-01-08;2024-02-29;37,5;Målare;Arbetar på Råslätt, öppen för mer",
        "D-002;long-term unemployed;2024-01-01;2024-01-31;0,5;Snickare;",
        encoding="cp1252",
    )
    assert "å".encode() not in content  # really Windows-1252, not UTF-8

    body = _created(api, _post(api, content, contract))

    rows = {row["participant_ref"]: row for row in body["rows"]}
    assert rows["D-001"]["target_group"] == "newly_arrived"
    assert rows["D-001"]["hours"] == "37.50"
    assert rows["D-001"]["role"] == "Målare"
    assert rows["D-001"]["notes"] == "Arbetar på Råslätt, öppen för mer"
    assert rows["D-002"]["target_group"] == "long_term_unemployed"
    assert rows["D-002"]["hours"] == "0.50"


def test_utf8_with_bom(api, contract):
    content = b"\xef\xbb\xbf" + _csv(HEADER, "D-001,youth,2024-01-01,2024-01-31,40,Målare,")

    body = _created(api, _post(api, content, contract))

    assert [row["participant_ref"] for row in body["rows"]] == ["D-001"]
    assert body["rows"][0]["role"] == "Målare"


def test_utf16_tab_separated_unicode_text(api, contract):
    """What Excel saves as "Unicode text"."""
    content = "\r\n".join(
        [
            "deltagare\tmålgrupp\tstartdatum\tslutdatum\ttimmar",
            "D-001\tUnga\t2024-01-01\t2024-01-31\t7,5",
        ]
    ).encode("utf-16")

    body = _created(api, _post(api, content, contract, name="rader.txt"))

    assert (body["rows"][0]["target_group"], body["rows"][0]["hours"]) == ("youth", "7.50")


def test_xlsx_with_date_cells_and_numbers(api, contract):
    content = _xlsx(
        [
            ["deltagare", "målgrupp", "startdatum", "slutdatum", "timmar", "roll", "anteckning"],
            ["D-001", "Young people", datetime(2024, 1, 8), datetime(2024, 2, 29), 37.5, "Målare"],
            ["D-002", "youth", date(2024, 3, 1), "2024-03-31", 40, None, "Textdatum fungerar"],
            [12345, "Unga", datetime(2024, 2, 1), datetime(2024, 2, 7), "7,5", None, None],
        ]
    )

    body = _created(api, _post(api, content, contract, name="rader.xlsx"))

    rows = {row["participant_ref"]: row for row in body["rows"]}
    assert set(rows) == {"D-001", "D-002", "12345"}
    assert rows["D-001"]["start_date"] == "2024-01-08"
    assert rows["D-001"]["end_date"] == "2024-02-29"
    assert rows["D-001"]["hours"] == "37.50"
    assert rows["D-002"]["hours"] == "40.00"
    assert rows["12345"]["hours"] == "7.50"
    assert {row["target_group"] for row in rows.values()} == {"youth"}


def test_blank_lines_are_ignored_and_row_numbers_still_match_the_sheet(api, contract):
    content = _csv(
        HEADER,
        "D-001,youth,2024-01-01,2024-01-31,40,,",
        "",
        ",,,,,,",
        "D-002,youth,2024-01-01,2024-01-31,abc,,",  # row 5 of the sheet
        "",
        "",
    )

    assert _errors(_post(api, content, contract)) == [(5, "hours")]

    fixed = content.replace(b",abc,", b",40,")
    body = _created(api, _post(api, fixed, contract))
    assert len(body["rows"]) == 2


def test_a_multi_line_cell_is_one_row(api, contract):
    content = _csv(
        HEADER,
        'D-001,youth,2024-01-01,2024-01-31,40,,"rad ett',
        'rad två"',
        "D-002,youth,2024-01-01,2024-01-31,-1,,",  # row 3 of the sheet, line 4 of the file
    )

    assert _errors(_post(api, content, contract)) == [(3, "hours")]


# --- Participants and personnummer --------------------------------------------------------------


def test_personnummer_and_participant_ref_columns_mixed(api, contract):
    content = _csv(
        "deltagare,personnummer,målgrupp,startdatum,slutdatum,timmar",
        f",{PERSONNUMMER},youth,2024-01-01,2024-01-31,40",
        "D-001,,youth,2024-01-01,2024-01-31,40",
        f",{PERSONNUMMER.replace('-', '')},youth,2024-02-01,2024-02-29,40",  # the same person
    )

    response = _post(api, content, contract)

    body = _created(api, response)
    refs = sorted(row["participant_ref"] for row in body["rows"])
    assert refs[0] == "D-001"
    assert refs[1].startswith(PSEUDONYM_PREFIX)
    assert refs[1] == refs[2]  # one pseudonym for one person, however the number is written
    stored = list(PlacementRow.objects.values_list("participant_ref", "role", "notes"))
    for form in PERSONNUMMER_FORMS:
        assert form not in response.content.decode()
        assert not any(form in value for row in stored for value in row)


@pytest.mark.parametrize("column", ["personnummer", "deltagare", "målgrupp", "timmar"])
def test_a_personnummer_is_never_echoed_in_an_error(column, api, contract):
    headers = ["deltagare", "personnummer", "målgrupp", "startdatum", "slutdatum", "timmar"]
    values = {
        "deltagare": "D-001",
        "personnummer": "",
        "målgrupp": "youth",
        "startdatum": "2024-01-01",
        "slutdatum": "2024-01-31",
        "timmar": "40",
    }
    if column in ("personnummer", "deltagare"):
        values["deltagare"] = ""
    values[column] = BAD_PERSONNUMMER
    content = _csv(",".join(headers), ",".join(values[name] for name in headers))
    before = _counts()

    response = _post(api, content, contract)

    assert _errors(response) == [(2, column)]
    text = response.content.decode()
    for form in BAD_FORMS:
        assert form not in text
    assert _counts() == before


def test_a_file_without_its_header_row_does_not_echo_the_first_row(api, contract):
    content = _csv(f"{PERSONNUMMER},youth,2024-01-01,2024-01-31,40,,")

    response = _post(api, content, contract)

    assert _errors(response) == [(None, None)]
    assert "startdatum" in response.json()["errors"][0]["message"]
    for form in PERSONNUMMER_FORMS:
        assert form not in response.content.decode()


def test_an_unknown_column_named_like_a_personnummer_is_not_echoed(api, contract):
    content = _csv(f"{HEADER},{PERSONNUMMER}", "D-001,youth,2024-01-01,2024-01-31,40,,,")

    response = _post(api, content, contract)

    assert _errors(response) == [(None, "***")]
    for form in PERSONNUMMER_FORMS:
        assert form not in response.content.decode()


def test_a_valid_personnummer_in_the_wrong_column_is_not_echoed(api, contract):
    content = _csv(HEADER, f"D-001,{PERSONNUMMER},2024-01-01,2024-01-31,40,,")

    response = _post(api, content, contract)

    assert _errors(response) == [(2, "target_group")]
    for form in PERSONNUMMER_FORMS:
        assert form not in response.content.decode()


# --- All or nothing, every error listed ---------------------------------------------------------


def test_one_bad_row_among_good_ones_saves_nothing(api, contract):
    ReportFactory(contract=contract, period_start=date(2024, 4, 1), period_end=date(2024, 6, 30))
    before = _counts()
    content = _csv(
        HEADER,
        "D-001,youth,2024-01-01,2024-01-31,40,,",
        "D-002,youth,2024-01-01,2024-01-31,40,,",
        "D-003,youth,2024-01-01,2024-01-31,fyrtio,,",
        "D-004,youth,2024-01-01,2024-01-31,40,,",
    )

    response = _post(api, content, contract)

    assert _errors(response) == [(4, "hours")]
    assert _counts() == before


def test_every_error_of_every_row_is_listed_at_once(api, contract):
    content = _csv(
        "Deltagare;Målgrupp;Startdatum;Slutdatum;Timmar",
        "D-001;youth;2024-01-01;2024-01-31;40",
        "D-002;pensionärer;2024-01-01;2024-01-31;40",  # unknown group
        "D-003;youth;2024-13-01;2024-01-31;fyrtio",  # bad date and bad number
        "D-004;youth;2023-12-01;2024-01-31;40",  # outside the period (found with the others)
        ";youth;2024-01-01;;40",  # no participant, no end date
        "D-001;youth;2024-01-15;2024-02-15;40",  # overlaps row 2
    )
    before = _counts()

    response = _post(api, content, contract)

    assert _errors(response) == [
        (3, "Målgrupp"),
        (4, "Startdatum"),
        (4, "Timmar"),
        (5, "Startdatum"),
        (6, "Deltagare"),
        (6, "Slutdatum"),
        (7, "Startdatum"),
    ]
    assert _counts() == before


def test_overlapping_rows_of_one_participant(api, contract):
    content = _csv(
        HEADER,
        "D-001,youth,2024-01-01,2024-01-31,40,,",
        "D-002,youth,2024-01-01,2024-01-31,40,,",
        "D-001,youth,2024-01-31,2024-02-15,40,,",
    )

    response = _post(api, content, contract)

    assert _errors(response) == [(4, "start_date")]
    assert _counts() == (0, 0)


def test_dates_outside_the_period(api, contract):
    content = _csv(
        HEADER,
        "D-001,youth,2023-12-31,2024-01-31,40,,",
        "D-002,youth,2024-03-01,2024-04-01,40,,",
        "D-003,youth,2024-03-10,2024-03-01,40,,",  # ends before it starts
    )

    response = _post(api, content, contract)

    assert _errors(response) == [(2, "start_date"), (3, "end_date"), (4, "end_date")]
    assert _counts() == (0, 0)


def test_hours_above_60_per_started_week(api, contract):
    content = _csv(
        HEADER,
        "D-001,youth,2024-01-01,2024-01-07,60,,",  # one week: 60 is the most
        "D-002,youth,2024-01-01,2024-01-08,120,,",  # two started weeks: 120
        "D-003,youth,2024-01-01,2024-01-07,60.5,,",
        "D-004,youth,2024-01-01,2024-01-08,121,,",
    )

    response = _post(api, content, contract)

    assert _errors(response) == [(4, "hours"), (5, "hours")]
    assert "60" in response.json()["errors"][0]["message"]


def test_unknown_target_group_lists_what_is_accepted(api, contract):
    content = _csv(HEADER, "D-001,pensionärer,2024-01-01,2024-01-31,40,,")

    response = _post(api, content, contract, period=PERIOD)

    assert _errors(response) == [(2, "target_group")]
    message = response.json()["errors"][0]["message"]
    assert "newly_arrived" in message
    assert "pensionärer" not in message


def test_messages_are_in_the_callers_language(api, contract):
    content = _csv(HEADER, "D-001,youth,2024-01-01,2024-01-31,fyrtio,,")

    swedish = _post(api, content, contract)
    english = api.post(
        IMPORT,
        {
            "file": SimpleUploadedFile("rader.csv", content),
            "contract": contract.id,
            "period_start": "2024-01-01",
            "period_end": "2024-03-31",
        },
        format="multipart",
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert english.json()["errors"][0]["message"] == "A valid number is required."
    assert swedish.json()["errors"][0]["message"] != "A valid number is required."


# --- The file as a whole ------------------------------------------------------------------------


def test_missing_required_columns_are_named(api, contract):
    content = _csv("deltagare;målgrupp;startdatum", "D-001;youth;2024-01-01")

    response = _post(api, content, contract)

    assert _errors(response) == [(None, "slutdatum"), (None, "timmar")]
    assert _counts() == (0, 0)


def test_missing_participant_column(api, contract):
    content = _csv("target_group,start_date,end_date,hours", "youth,2024-01-01,2024-01-31,40")

    response = _post(api, content, contract, period=PERIOD)

    assert _errors(response) == [(None, "deltagare")]
    assert "personnummer" in response.json()["errors"][0]["message"]


def test_unknown_and_repeated_columns_are_refused(api, contract):
    content = _csv(
        "participant_ref,target_group,start_date,end_date,hours,timmar,namn",
        "D-001,youth,2024-01-01,2024-01-31,40,40,Anna",
    )

    response = _post(api, content, contract)

    assert _errors(response) == [(None, "timmar"), (None, "namn")]


def test_a_value_in_a_column_without_header_is_refused(api, contract):
    content = _csv(
        "participant_ref;target_group;start_date;end_date;hours",
        "D-001;youth;2024-01-01;2024-01-31;40;extra",
    )

    assert _errors(_post(api, content, contract)) == [(2, None)]


def test_a_decimal_comma_unquoted_in_a_comma_separated_file_is_explained(api, contract):
    content = _csv(
        "participant_ref,target_group,start_date,end_date,hours",
        "D-001,youth,2024-01-01,2024-01-31,40",
        "D-002,youth,2024-01-01,2024-01-31,7,5",
    )

    response = _post(api, content, contract)

    assert _errors(response) == [(3, None)]


@pytest.mark.parametrize(
    "content",
    [b"", b"\r\n\r\n  \r\n", b"\xef\xbb\xbf", _csv(HEADER), _csv(HEADER, ",,,,,,", "")],
    ids=["zero-bytes", "blank-lines", "bom-only", "header-only", "header-and-blank-rows"],
)
def test_an_empty_file_is_refused(content, api, contract):
    response = _post(api, content, contract)

    assert _errors(response) == [(None, "file")]
    assert _counts() == (0, 0)


def test_an_empty_workbook_is_refused(api, contract):
    response = _post(api, _xlsx([]), contract, name="tom.xlsx")

    assert _errors(response) == [(None, "file")]


def test_too_many_rows(api, contract, settings):
    settings.IMPORT_MAX_ROWS = 3
    lines = [f"D-{n:03d},youth,2024-01-01,2024-01-31,40,," for n in range(4)]

    response = _post(api, _csv(HEADER, *lines), contract)

    assert _errors(response) == [(None, "file")]
    assert "3" in response.json()["errors"][0]["message"]
    assert _counts() == (0, 0)
    # exactly the limit is fine, and blank lines do not count
    assert _post(api, _csv(HEADER, *lines[:3], "", ""), contract).status_code == 201


def test_too_many_rows_in_a_workbook(api, contract, settings):
    settings.IMPORT_MAX_ROWS = 3
    rows = [["deltagare", "målgrupp", "startdatum", "slutdatum", "timmar"]]
    rows += [[f"D-{n}", "youth", date(2024, 1, 1), date(2024, 1, 31), 40] for n in range(10)]

    response = _post(api, _xlsx(rows), contract, name="rader.xlsx")

    assert _errors(response) == [(None, "file")]


def test_too_large_a_file(api, contract, settings):
    content = _csv(HEADER, *[f"D-{n:03d},youth,2024-01-01,2024-01-31,40,," for n in range(20)])
    settings.IMPORT_MAX_BYTES = len(content) - 1

    response = _post(api, content, contract)

    assert _errors(response) == [(None, "file")]
    assert _counts() == (0, 0)
    settings.IMPORT_MAX_BYTES = len(content)
    assert _post(api, content, contract).status_code == 201


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("rader.pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"),
        ("rader.csv", b"\x00\x01\x02binary\x00data"),
        ("rader.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100),
        ("rader.xlsx", b"this is not a workbook"),
        ("rader.xlsx", b"PK\x03\x04 a broken zip"),
    ],
    ids=["pdf", "binary-csv", "old-xls", "text-as-xlsx", "broken-zip"],
)
def test_a_file_that_is_not_csv_or_xlsx_is_refused(name, content, api, contract):
    response = _post(api, content, contract, name=name)

    assert _errors(response) == [(None, "file")]


def test_formula_cells_are_plain_text(api, contract):
    content = _xlsx(
        [
            ["participant_ref", "target_group", "start_date", "end_date", "hours", "notes"],
            ["D-001", "youth", date(2024, 1, 1), date(2024, 1, 31), 40, '=HYPERLINK("x","y")'],
        ]
    )

    body = _created(api, _post(api, content, contract, name="rader.xlsx"))

    assert body["rows"][0]["notes"] == '=HYPERLINK("x","y")'


def test_formula_cells_where_values_are_expected_are_row_errors(api, contract):
    content = _xlsx(
        [
            ["participant_ref", "target_group", "start_date", "end_date", "hours"],
            ["D-001", "youth", date(2024, 1, 1), "=DATE(2024,1,31)", "=SUM(A1:A3)"],
            ['=HYPERLINK("http://x","D-2")', "youth", date(2024, 1, 1), date(2024, 1, 31), 40],
        ]
    )

    response = _post(api, content, contract, name="rader.xlsx")

    assert _errors(response) == [(2, "end_date"), (2, "hours")]
    csv_content = _csv(HEADER, 'D-001,youth,2024-01-01,2024-01-31,40,,"=HYPERLINK(""x"",""y"")"')
    body = _created(api, _post(api, csv_content, contract))
    assert body["rows"][0]["notes"] == '=HYPERLINK("x","y")'


# --- The form: contract and period --------------------------------------------------------------


def test_contractor_cannot_import_to_another_contractors_contract(api, contract):
    other = ContractFactory()
    content = _csv(HEADER, "D-001,youth,2024-01-01,2024-01-31,40,,")
    before = _counts()

    response = _post(api, content, other)

    assert _errors(response) == [(None, "contract")]
    assert _counts() == before
    assert not PlacementReport.objects.filter(contract=other).exists()


def test_a_period_that_is_not_one_of_the_contracts_is_refused(api, contract):
    content = _csv(HEADER, "D-001,youth,2024-01-01,2024-01-31,40,,")

    response = _post(api, content, contract, period=(date(2024, 1, 1), date(2024, 1, 31)))

    assert _errors(response) == [(None, "period_start")]
    assert _counts() == (0, 0)


def test_a_period_that_already_has_a_report_is_refused(api, contract):
    ReportFactory(contract=contract)
    before = _counts()
    content = _csv(HEADER, "D-001,youth,2024-01-01,2024-01-31,40,,")

    response = _post(api, content, contract)

    assert _errors(response) == [(None, None)]
    assert _counts() == before


@pytest.mark.parametrize("contract_id", [2**64, -1, 0, "abc"])
def test_a_contract_id_out_of_range_is_400_not_500(contract_id, api):
    form = {
        "file": SimpleUploadedFile(
            "rader.csv", _csv(HEADER, "D-1,youth,2024-01-01,2024-01-31,1,,")
        ),
        "contract": contract_id,
        "period_start": "2024-01-01",
        "period_end": "2024-03-31",
    }

    imported = api.post(IMPORT, form, format="multipart")
    created = api.post(
        REPORTS,
        {"contract": contract_id, "period_start": "2024-01-01", "period_end": "2024-03-31"},
        format="json",
    )

    assert _errors(imported) == [(None, "contract")]
    assert created.status_code == 400
    assert "contract" in created.json()


def test_missing_form_fields_are_named(api):
    response = api.post(IMPORT, {}, format="multipart")

    assert sorted(_errors(response)) == sorted(
        [(None, "file"), (None, "contract"), (None, "period_start"), (None, "period_end")]
    )


def test_json_is_not_accepted(api, contract):
    response = api.post(IMPORT, {"contract": contract.id}, format="json")

    assert response.status_code == 415


# --- Who may import -----------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["officers", "managers"])
def test_officers_and_managers_cannot_import(role, contract):
    client = APIClient()
    client.force_authenticate(UserFactory(groups=[role]))
    content = _csv(HEADER, "D-001,youth,2024-01-01,2024-01-31,40,,")

    response = _post(client, content, contract)

    assert response.status_code == 403
    assert set(response.json()) == {"detail"}
    assert _counts() == (0, 0)


def test_anonymous_cannot_import(contract):
    response = _post(APIClient(), _csv(HEADER, "D-001,youth,2024-01-01,2024-01-31,40,,"), contract)

    assert response.status_code == 401
    assert _counts() == (0, 0)


def test_a_superuser_may_import(contract):
    client = APIClient()
    client.force_authenticate(UserFactory(is_superuser=True, is_staff=True))

    response = _post(client, _csv(HEADER, "D-001,youth,2024-01-01,2024-01-31,40,,"), contract)

    assert response.status_code == 201, response.content


def test_imports_have_their_own_rate_limit(api, contract, monkeypatch):
    monkeypatch.setattr(
        ImportRateThrottle,
        "THROTTLE_RATES",
        {**ImportRateThrottle.THROTTLE_RATES, "imports": "2/hour"},
    )
    content = _csv(HEADER, "D-001,youth,2024-01-01,2024-01-31,fyrtio,,")

    statuses = [_post(api, content, contract).status_code for _attempt in range(3)]

    assert statuses == [400, 400, 429]


def test_a_large_import_uses_a_bounded_number_of_queries(
    api, contract, django_assert_max_num_queries
):
    lines = [f"D-{n:04d},youth,2024-01-01,2024-01-31,40,Snickare," for n in range(500)]
    content = _csv(HEADER, *lines)

    # About 30 whatever the number of rows (SQLite inserts them in a few batches): never one
    # query per row.
    with django_assert_max_num_queries(45):
        response = _post(api, content, contract)

    assert response.status_code == 201, response.content
    assert PlacementRow.objects.count() == 500


# --- The template -------------------------------------------------------------------------------


def _fill_period(line: list[str]) -> list[str]:
    """The example row of a template with its dates moved into PERIOD."""
    return [
        "2024-01-08" if value == "2026-01-12" else "2024-01-26" if value == "2026-01-30" else value
        for value in line
    ]


def test_csv_template_in_swedish_by_default(api, contract):
    response = api.get(TEMPLATE, {"format": "csv"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith("attachment")
    assert ".csv" in response["Content-Disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert lines[0] == [
        "deltagare",
        "personnummer",
        "målgrupp",
        "startdatum",
        "slutdatum",
        "timmar",
        "roll",
        "anteckning",
        "anställningsform",
        "erbjuden",
        "avbruten_av_deltagaren",
        "kön",
        "född_utomlands",
        "åldersgrupp",
        "bostadsområde",
    ]
    assert len(lines) == 2
    assert "," in lines[1][5]  # decimal comma, as Swedish Excel writes it

    filled = "\r\n".join(";".join(line) for line in [lines[0], _fill_period(lines[1])])
    body = _created(api, _post(api, filled.encode("utf-8-sig"), contract))
    assert body["rows"][0]["participant_ref"] == lines[1][0]


def test_csv_template_in_english(api, contract):
    by_parameter = api.get(TEMPLATE, {"format": "csv", "lang": "en"})
    by_language = api.get(TEMPLATE, HTTP_ACCEPT_LANGUAGE="en")

    assert by_parameter.content == by_language.content
    lines = list(csv.reader(io.StringIO(by_parameter.content.decode("utf-8-sig"))))
    assert lines[0][:6] == [
        "participant_ref",
        "personnummer",
        "target_group",
        "start_date",
        "end_date",
        "hours",
    ]
    filled = "\r\n".join(",".join(line) for line in [lines[0], _fill_period(lines[1])])
    _created(api, _post(api, filled.encode(), contract))


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_xlsx_template(lang, api, contract):
    response = api.get(TEMPLATE, {"format": "xlsx", "lang": lang})

    assert response.status_code == 200
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert response["Content-Disposition"].startswith("attachment")
    assert ".xlsx" in response["Content-Disposition"]
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    sheet = workbook.worksheets[0]
    header, example = list(sheet.iter_rows(values_only=True))
    assert header[2] == ("målgrupp" if lang == "sv" else "target_group")
    assert isinstance(example[3], datetime)  # a real date cell
    assert "newly_arrived" in [row[0] for row in workbook.worksheets[1].iter_rows(values_only=True)]

    sheet["D2"] = datetime(2024, 1, 8)
    sheet["E2"] = datetime(2024, 1, 26)
    buffer = io.BytesIO()
    workbook.save(buffer)
    body = _created(api, _post(api, buffer.getvalue(), contract, name="mall.xlsx"))
    (row,) = body["rows"]
    assert (row["start_date"], row["end_date"]) == ("2024-01-08", "2024-01-26")
    assert Decimal(row["hours"]) == Decimal(str(example[5]))


def test_template_defaults_to_csv_and_refuses_unknown_formats(api):
    assert api.get(TEMPLATE)["Content-Type"].startswith("text/csv")
    response = api.get(TEMPLATE, {"format": "pdf", "lang": "de"})
    assert _errors(response) == [(None, "format"), (None, "lang")]


def test_template_format_may_be_a_url_suffix(api):
    response = api.get(f"{REPORTS}import-template.xlsx")

    assert response.status_code == 200
    assert response["Content-Type"].endswith("spreadsheetml.sheet")


def test_actions_answer_under_a_format_suffix(api, contract):
    """The router also routes ``…/import.json``, ``…/submit.json``: the actions take the
    ``format`` argument instead of failing with a 500."""
    content = _csv(HEADER, "D-001,youth,2024-01-01,2024-01-31,40,,")
    form = {
        "file": SimpleUploadedFile("rader.csv", content),
        "contract": contract.id,
        "period_start": "2024-01-01",
        "period_end": "2024-03-31",
    }
    created = api.post(f"{REPORTS}import.json", form, format="multipart")
    assert created.status_code == 201, created.content

    submitted = api.post(f"{REPORTS}{created.json()['id']}/submit.json")
    assert submitted.status_code == 200, submitted.content


def test_template_needs_a_login():
    assert APIClient().get(TEMPLATE, {"format": "csv"}).status_code == 401


def test_the_api_never_replaces_a_drafts_rows(api, contract):
    """Only the portal replaces a draft's rows, and only after asking; the API refuses."""
    draft = ReportFactory(contract=contract)
    RowFactory(report=draft, participant_ref="KEEP")
    content = _csv(HEADER, "D-001,youth,2024-01-01,2024-01-31,40,,")

    response = _post(api, content, contract)

    assert response.status_code == 400
    assert list(draft.rows.values_list("participant_ref", flat=True)) == ["KEEP"]
