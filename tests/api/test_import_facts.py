"""The file import with the rows' facts of the Swedish model (DESIGN.md §10.1): Swedish and
English headers, values in Swedish or as codes, a district by name; a bad value is a row/column
problem and nothing is saved; files without the new columns import exactly as before."""

from __future__ import annotations

import io
from datetime import date

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from internships.models import PlacementReport, PlacementRow
from procurement.models import District
from tests.factories import ContractFactory, ContractorUserFactory

pytestmark = pytest.mark.django_db

IMPORT = "/api/v1/reports/import/"
PERIOD = (date(2024, 1, 1), date(2024, 3, 31))
PERSONNUMMER = "19811218-9876"
SWEDISH_HEADER = (
    "deltagare;målgrupp;startdatum;slutdatum;timmar;anställningsform;erbjuden;"
    "avbruten_av_deltagaren;kön;född_utomlands;åldersgrupp;bostadsområde"
)
ENGLISH_HEADER = (
    "participant_ref,target_group,start_date,end_date,hours,employment_type,offered_on,"
    "ended_by_participant,gender,born_abroad,age_band,home_district"
)


@pytest.fixture
def contract():
    return ContractFactory()


@pytest.fixture
def district():
    return District.objects.create(name="Öxnehaga Norra")


@pytest.fixture
def api(contract) -> APIClient:
    client = APIClient()
    client.force_authenticate(ContractorUserFactory(contractor=contract.contractor))
    return client


def _post(client, content: bytes, contract, *, name: str = "rader.csv", language: str = "sv"):
    form = {
        "file": SimpleUploadedFile(name, content),
        "contract": contract.id,
        "period_start": PERIOD[0].isoformat(),
        "period_end": PERIOD[1].isoformat(),
    }
    return client.post(IMPORT, form, format="multipart", HTTP_ACCEPT_LANGUAGE=language)


def _csv(*lines: str) -> bytes:
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def _counts() -> tuple[int, int]:
    return PlacementReport.objects.count(), PlacementRow.objects.count()


def _problems(response) -> list[dict]:
    assert response.status_code == 400, response.content
    return response.json()["errors"]


def _facts(row: dict) -> tuple:
    return (
        row["employment_type"],
        row["offered_on"],
        row["ended_by_participant"],
        row["gender"],
        row["born_abroad"],
        row["age_band"],
        row["home_district"],
    )


def test_swedish_headers_and_swedish_values(api, contract, district):
    content = _csv(
        SWEDISH_HEADER,
        "D-1;youth;2024-01-08;2024-02-29;120;Anställning;2024-01-02;Ja;Kvinna;ja;25–29;"
        "öxnehaga norra",
        "D-2;youth;2024-01-08;2024-02-29;120;lärling;;nej;man;Nej;16-24;",
        "D-3;youth;2024-01-08;2024-02-29;120;praktik;;;ej uppgivet;ej uppgivet;ej uppgivet;",
        "D-4;youth;2024-01-08;2024-02-29;120;;;;annat;;65+;",
    )

    response = _post(api, content, contract)

    assert response.status_code == 201, response.content
    rows = {row["participant_ref"]: row for row in response.json()["rows"]}
    assert _facts(rows["D-1"]) == (
        "employment",
        "2024-01-02",
        True,
        "woman",
        "yes",
        "25-29",
        district.pk,
    )
    assert _facts(rows["D-2"]) == (
        "apprenticeship",
        None,
        False,
        "man",
        "no",
        "16-24",
        None,
    )
    assert _facts(rows["D-3"]) == (
        "internship",
        None,
        False,
        "undisclosed",
        "undisclosed",
        "undisclosed",
        None,
    )
    # Blank cells are "not told": the defaults.
    assert _facts(rows["D-4"]) == ("internship", None, False, "other", "undisclosed", "65+", None)


def test_english_headers_and_codes(api, contract, district):
    content = _csv(
        ENGLISH_HEADER,
        f"D-1,youth,2024-01-08,2024-02-29,120,employment,2024-01-08,true,woman,yes,50-64,"
        f"{district.pk}",
        "D-2,youth,2024-01-08,2024-02-29,120,apprenticeship,,false,undisclosed,no,30-49,",
    )

    response = _post(api, content, contract, language="en")

    assert response.status_code == 201, response.content
    rows = {row["participant_ref"]: row for row in response.json()["rows"]}
    assert _facts(rows["D-1"]) == (
        "employment",
        "2024-01-08",
        True,
        "woman",
        "yes",
        "50-64",
        district.pk,
    )
    assert _facts(rows["D-2"])[:5] == ("apprenticeship", None, False, "undisclosed", "no")


def test_xlsx_with_a_date_cell_for_the_offer(api, contract):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["deltagare", "målgrupp", "startdatum", "slutdatum", "timmar", "erbjuden", "kön"])
    sheet.append(
        ["D-1", "youth", date(2024, 1, 8), date(2024, 1, 31), 40, date(2023, 12, 15), "kvinna"]
    )
    buffer = io.BytesIO()
    workbook.save(buffer)

    response = _post(api, buffer.getvalue(), contract, name="rader.xlsx")

    assert response.status_code == 201, response.content
    (row,) = response.json()["rows"]
    assert (row["offered_on"], row["gender"]) == ("2023-12-15", "woman")


def test_bad_values_are_listed_by_row_and_column_and_nothing_is_saved(api, contract, district):
    content = _csv(
        SWEDISH_HEADER,
        "D-1;youth;2024-01-08;2024-02-29;120;praktik;2024-01-02;ja;kvinna;ja;25-29;",  # fine
        "D-2;youth;2024-01-08;2024-02-29;120;konsult;;kanske;;;;",  # type, ended
        "D-3;youth;2024-01-08;2024-02-29;120;;2024-01-09;;kvinnor;;18-25;Narnia",
        "D-4;youth;2024-01-08;2024-02-29;120;;igår;;;jo;;",
    )
    before = _counts()

    response = _post(api, content, contract)

    problems = _problems(response)
    assert [(p["row"], p["column"]) for p in problems] == [
        (3, "anställningsform"),
        (3, "avbruten_av_deltagaren"),
        (4, "erbjuden"),  # after the start
        (4, "kön"),
        (4, "åldersgrupp"),
        (4, "bostadsområde"),
        (5, "erbjuden"),  # not a date
        (5, "född_utomlands"),
    ]
    assert _counts() == before
    by_place = {(p["row"], p["column"]): p["message"] for p in problems}
    # A refused value is answered with what the column takes, in the caller's language.
    assert "lärling" in by_place[(3, "anställningsform")]
    assert "ja" in by_place[(3, "avbruten_av_deltagaren")]
    assert "kvinna" in by_place[(4, "kön")]
    assert "16-24" in by_place[(4, "åldersgrupp")]
    assert district.name in by_place[(4, "bostadsområde")]
    assert "Narnia" not in by_place[(4, "bostadsområde")]


def test_a_personnummer_in_a_fact_column_is_never_echoed(api, contract):
    content = _csv(
        SWEDISH_HEADER,
        f"D-1;youth;2024-01-08;2024-02-29;120;{PERSONNUMMER};{PERSONNUMMER};{PERSONNUMMER};"
        f"{PERSONNUMMER};{PERSONNUMMER};{PERSONNUMMER};{PERSONNUMMER}",
    )

    response = _post(api, content, contract)

    problems = _problems(response)
    assert len(problems) == 7
    assert PERSONNUMMER[2:8] not in response.content.decode()
    assert _counts() == (0, 0)


def test_a_file_without_the_new_columns_imports_as_before(api, contract):
    content = _csv(
        "deltagare;målgrupp;startdatum;slutdatum;timmar", "D-1;youth;2024-01-08;2024-01-31;40"
    )

    response = _post(api, content, contract)

    assert response.status_code == 201, response.content
    (row,) = response.json()["rows"]
    assert _facts(row) == (
        "internship",
        None,
        False,
        "undisclosed",
        "undisclosed",
        "undisclosed",
        None,
    )


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_on_postgresql_a_bad_fact_in_the_last_row_saves_nothing(contract):
    client = APIClient()
    client.force_authenticate(ContractorUserFactory(contractor=contract.contractor))
    lines = [f"D-{n};youth;2024-01-08;2024-01-31;40;praktik;;nej;man;nej;30-49;" for n in range(50)]
    lines.append("D-X;youth;2024-01-08;2024-01-31;40;praktik;;nej;robot;nej;30-49;")
    before = _counts()

    response = _post(client, _csv(SWEDISH_HEADER, *lines), contract)

    assert [(p["row"], p["column"]) for p in _problems(response)] == [(52, "kön")]
    assert _counts() == before
    # The same file without the bad row is saved whole, committed.
    response = _post(client, _csv(SWEDISH_HEADER, *lines[:-1]), contract)
    assert response.status_code == 201, response.content
    assert PlacementRow.objects.filter(gender="man", age_band="30-49").count() == 50


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_the_xlsx_template_lists_what_the_facts_columns_take(api, district, lang):
    response = api.get("/api/v1/reports/import-template/", {"format": "xlsx", "lang": lang})

    assert response.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    header, example = list(workbook.worksheets[0].iter_rows(values_only=True))
    values = dict(list(workbook.worksheets[2].iter_rows(values_only=True))[1:])
    facts = header[8:]
    assert list(values) == list(facts)
    assert district.name in values["bostadsområde" if lang == "sv" else "home_district"]
    if lang == "sv":
        assert facts[0] == "anställningsform" and example[8] == "praktik"
        assert "lärling" in values["anställningsform"]
        assert values["avbruten_av_deltagaren"].startswith("ja, nej")
    else:
        assert facts[0] == "employment_type" and example[8] == "internship"
        assert "apprenticeship" in values["employment_type"]
