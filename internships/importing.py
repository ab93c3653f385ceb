"""File import of placement reports (docs/API.md "Reports").

A contractor uploads a CSV or XLSX file with one line per placement row. :func:`read_table` turns it
into plain text values by field, keeping for each line the row number the user sees in the
spreadsheet (the header is row 1) and for each column the header as the user wrote it.
:func:`import_report` checks those rows with the API's own serializers and saves them as one new
draft report, all or nothing. Every problem is reported as a :class:`Problem` (row, column,
message), so that the user can find it in the file.

Reading rules:

* CSV: comma, semicolon or tab (the most frequent in the header line wins); UTF-8 with or without
  BOM, else Windows-1252 (what Swedish Excel saves as "CSV"); UTF-16 with BOM (Excel's "Unicode
  text"). Read by pandas as text only (``dtype=str, keep_default_na=False``): nothing is guessed.
* XLSX: the first sheet, read with openpyxl directly rather than through ``pandas.read_excel``,
  which would turn date cells into "2024-01-15 00:00:00" and formulas into their cached result
  (or nothing, in a file that no spreadsheet program has saved). Here a date cell is a date and a
  formula is the text of the formula: it is never evaluated. Reading stops after
  ``MAX_BLANK_GAP`` blank rows in a row (sheets are often formatted far below their data).
* Headers are matched trimmed and case-insensitively, in English or Swedish; blank rows are
  skipped (their numbers still count); a decimal comma is accepted ("7,5"); dates are
  ``YYYY-MM-DD`` or date cells; a target group may be given by code or by its Swedish or English
  name.

Limits: ``settings.IMPORT_MAX_BYTES`` (default 5 MB) and ``settings.IMPORT_MAX_ROWS`` (default
5000). No message ever repeats a personnummer.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import PurePath
from typing import Any

import openpyxl
import pandas as pd
from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils import translation
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from openpyxl.styles import Font

from contracts.models import TargetGroup
from procurement.models import District

from . import services
from .api.serializers import ImportFormSerializer, ReportSerializer
from .choices import AgeBand, BornAbroad, EmploymentType, Gender
from .models import PlacementReport

DEFAULT_MAX_BYTES = 5 * 1024 * 1024
DEFAULT_MAX_ROWS = 5000
#: An XLSX file is a zip archive: its contents may be at most this many times the file limit.
XLSX_MAX_EXPANSION = 50
#: Columns of a sheet that are read at all (the template has fifteen).
MAX_COLUMNS = 64
#: After this many blank rows in a row, the rest of a sheet is not read.
MAX_BLANK_GAP = 1000

CSV_MEDIA_TYPE = "text/csv"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TEMPLATE_FORMATS = ("csv", "xlsx")
TEMPLATE_LANGUAGES = ("sv", "en")
TEMPLATE_NAMES = {"sv": "rapportmall", "en": "report-template"}

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # the old binary .xls
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_TEXT_SUFFIXES = {"", ".csv", ".txt", ".tsv"}
_XLSX_SUFFIXES = {".xlsx", ".xlsm"}
_SEPARATORS = (";", ",", "\t")
_DECIMAL_COMMA = re.compile(r"[+-]?\d*,\d+")
_MIDNIGHT = re.compile(r"(\d{4}-\d{2}-\d{2})[ T]00:00(?::00(?:\.0+)?)?")
# Anything shaped like a personnummer (10 or 12 digits, maybe a "-" or "+"): masked in every
# message as a last line of defence, whatever produced the message.
_PERSONNUMMER_LIKE = re.compile(r"(?<!\d)(?:\d{2})?\d{6}[-+\u2010-\u2015\u2212]?\d{4}(?!\d)")


@dataclass(frozen=True)
class Column:
    """A column of the import file: the field it fills and its Swedish header."""

    field: str
    swedish: str

    def header(self, language: str) -> str:
        return self.field if language == "en" else self.swedish


COLUMNS = (
    Column("participant_ref", "deltagare"),
    Column("personnummer", "personnummer"),
    Column("target_group", "målgrupp"),
    Column("start_date", "startdatum"),
    Column("end_date", "slutdatum"),
    Column("hours", "timmar"),
    Column("role", "roll"),
    Column("notes", "anteckning"),
    # The Swedish model's facts (DESIGN.md §10.1): all optional, so old files import as before.
    Column("employment_type", "anställningsform"),
    Column("offered_on", "erbjuden"),
    Column("ended_by_participant", "avbruten_av_deltagaren"),
    Column("gender", "kön"),
    Column("born_abroad", "född_utomlands"),
    Column("age_band", "åldersgrupp"),
    Column("home_district", "bostadsområde"),
)
_BY_FIELD = {column.field: column for column in COLUMNS}
#: Columns every file needs, besides ``participant_ref`` or ``personnummer``.
REQUIRED_FIELDS = ("target_group", "start_date", "end_date", "hours")
_PARTICIPANT_FIELDS = ("participant_ref", "personnummer")


def _header_key(text: str) -> str:
    """A header as it is matched: NFC (macOS writes "å" as two characters), trimmed,
    case-insensitive, with spaces and hyphens read as underscores."""
    text = unicodedata.normalize("NFC", text).strip().casefold()
    return re.sub(r"[\s-]+", "_", text)


_FIELD_BY_HEADER = {
    _header_key(name): column.field for column in COLUMNS for name in (column.field, column.swedish)
}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an import.

    ``row`` is the spreadsheet row (the header is row 1), or None for the file or form as a whole;
    ``column`` is the header as written in the file (or a form field such as ``contract``), or
    None when no single column is at fault.
    """

    row: int | None
    column: str | None
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "message": self.message}


class ImportRefused(Exception):
    """The import was refused and nothing was saved; ``problems`` say why."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = [
            Problem(
                problem.row,
                None if problem.column is None else _redact(problem.column),
                _redact(problem.message),
            )
            for problem in problems
        ]
        super().__init__(f"{len(self.problems)} problem(s)")

    def as_data(self) -> dict[str, list[dict[str, Any]]]:
        """The answer's body: ``{"errors": [{"row", "column", "message"}, …]}``."""
        return {"errors": [problem.as_dict() for problem in self.problems]}


def _redact(message: str) -> str:
    return _PERSONNUMMER_LIKE.sub("***", str(message))


@dataclass(frozen=True)
class SourceRow:
    """A non-blank line of the file: its spreadsheet row number and its values by field."""

    number: int
    values: dict[str, str]


@dataclass
class Table:
    """What :func:`read_table` found: the rows, and for each field the header as written."""

    headers: dict[str, str]  # field -> header as the user wrote it
    positions: dict[str, int]  # header as written -> 0-based column position
    rows: list[SourceRow]
    problems: list[Problem] = field(default_factory=list)  # row-level, found while reading

    def column_for(self, field_name: str, row: SourceRow | None = None) -> str | None:
        """The header to show for an error on ``field_name`` (of ``row``)."""
        if field_name in ("non_field_errors", "__all__"):
            return None
        if field_name == "participant_ref":
            # The serializer reports a bad personnummer under participant_ref: point at the
            # column the user actually filled in.
            values = row.values if row else {}
            if values.get("personnummer") and not values.get("participant_ref"):
                return self.headers.get("personnummer")
            return self.headers.get("participant_ref") or self.headers.get("personnummer")
        return self.headers.get(field_name, field_name)


def _limit(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


# --- Reading ----------------------------------------------------------------------------------


def read_table(upload: UploadedFile) -> Table:
    """Read an uploaded CSV or XLSX file into rows of text values by field.

    Raises :class:`ImportRefused` when the file cannot be used at all: too large, empty, of an
    unknown type, unreadable, with too many rows, or with missing, unknown or repeated columns.
    """
    max_bytes = _limit("IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES)
    if upload.size is not None and upload.size > max_bytes:
        raise _too_large(max_bytes)
    upload.seek(0)
    data = upload.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise _too_large(max_bytes)
    if not data.strip():
        raise ImportRefused([Problem(None, "file", _("The file is empty."))])
    suffix = PurePath(upload.name or "").suffix.lower()
    max_rows = _limit("IMPORT_MAX_ROWS", DEFAULT_MAX_ROWS)
    if data.startswith(_ZIP_MAGIC):
        grid = _xlsx_grid(data, max_bytes=max_bytes, max_rows=max_rows)
    elif data.startswith(_OLE_MAGIC) or suffix == ".xls":
        raise ImportRefused(
            [
                Problem(
                    None,
                    "file",
                    _("Old Excel files (.xls) cannot be read: save the file as .xlsx or CSV."),
                )
            ]
        )
    elif suffix in _XLSX_SUFFIXES:
        raise _unreadable_xlsx()
    elif suffix in _TEXT_SUFFIXES and (data.startswith(_UTF16_BOMS) or b"\x00" not in data):
        grid = _csv_grid(data)
    else:
        raise ImportRefused(
            [Problem(None, "file", _("Unknown file type: upload a CSV or XLSX file."))]
        )
    return _table(grid, max_rows=max_rows)


def _too_large(max_bytes: int) -> ImportRefused:
    return ImportRefused(
        [
            Problem(
                None,
                "file",
                _("The file is too large: at most %(size)s can be imported at once.")
                % {"size": filesizeformat(max_bytes)},
            )
        ]
    )


def _unreadable_xlsx() -> ImportRefused:
    return ImportRefused(
        [Problem(None, "file", _("The file could not be read as an Excel workbook (.xlsx)."))]
    )


def _decode(data: bytes) -> str:
    if data.startswith(_UTF16_BOMS):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    else:
        for encoding in ("utf-8-sig", "cp1252"):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError:
                continue
    raise ImportRefused(
        [
            Problem(
                None,
                "file",
                _("The text of the file could not be read: save it as CSV UTF-8, or as XLSX."),
            )
        ]
    )


def _separator(text: str) -> str:
    """The separator that occurs most often in the header line (a comma when none does)."""
    header = next((line for line in text.splitlines() if line.strip()), "")
    counts = {separator: header.count(separator) for separator in _SEPARATORS}
    best = max(_SEPARATORS, key=lambda separator: counts[separator])
    return best if counts[best] else ","


def _csv_grid(data: bytes) -> list[list[str]]:
    text = _decode(data)
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            sep=_separator(text),
            header=None,
            dtype=str,
            keep_default_na=False,
            # Blank lines are kept (and skipped later) so that row numbers match the spreadsheet.
            skip_blank_lines=False,
        )
    except pd.errors.EmptyDataError:
        raise ImportRefused([Problem(None, "file", _("The file is empty."))]) from None
    except pd.errors.ParserError as error:
        # "Expected 7 fields in line 5, saw 8": pandas counts records, as a spreadsheet does.
        found = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(error))
        if found is None:
            raise ImportRefused(
                [Problem(None, "file", _("The file could not be read as CSV."))]
            ) from None
        raise ImportRefused(
            [
                Problem(
                    int(found[2]),
                    None,
                    _(
                        "This row has %(found)s cells but the header has %(expected)s. In a "
                        'comma-separated file, a decimal comma needs quotes ("7,5"); or '
                        "separate the columns with semicolons."
                    )
                    % {"found": found[3], "expected": found[1]},
                )
            ]
        ) from None
    return [[str(value) for value in line] for line in frame.fillna("").to_numpy().tolist()]


def _xlsx_grid(data: bytes, *, max_bytes: int, max_rows: int) -> list[list[str]]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile:
        raise _unreadable_xlsx() from None
    if unpacked > max_bytes * XLSX_MAX_EXPANSION:
        raise _too_large(max_bytes)
    try:
        # data_only=False: a formula is read as its text, never evaluated (see the module's doc).
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception:  # openpyxl fails on broken files with many kinds of exception
        raise _unreadable_xlsx() from None
    try:
        if not workbook.worksheets:
            raise ImportRefused([Problem(None, "file", _("The file is empty."))])
        return list(_sheet_lines(workbook.worksheets[0], max_rows=max_rows))
    except ImportRefused:
        raise
    except Exception:  # a damaged sheet shows only while it is read
        raise _unreadable_xlsx() from None
    finally:
        workbook.close()


def _sheet_lines(sheet, *, max_rows: int) -> Iterator[list[str]]:
    """The sheet's rows as text; stops once there are clearly too many (``_table`` says so)."""
    blank_run = 0
    filled = 0
    for values in sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True):
        line = [_cell_text(value) for value in values]
        if any(line):
            blank_run = 0
            filled += 1
            if filled > max_rows + 1:  # the header and one row too many are enough to know
                yield line
                return
        else:
            blank_run += 1
            if blank_run >= MAX_BLANK_GAP:
                return
        yield line


def _cell_text(value: Any) -> str:
    """A cell's value as the text the user sees (dates as YYYY-MM-DD, no float noise)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else format(value, ".15g")
    text = getattr(value, "text", None)  # an array formula: its text
    return str(text if isinstance(text, str) else value).strip()


def _table(grid: list[list[str]], *, max_rows: int) -> Table:
    """Headers and rows from the file's cells (row 1 is the header)."""
    if not any(cell.strip() for line in grid for cell in line):
        raise ImportRefused([Problem(None, "file", _("The file is empty."))])
    header_line = [cell.strip() for cell in grid[0]]
    if not any(_header_key(header) in _FIELD_BY_HEADER for header in header_line):
        # Most likely the header row was left out: one clear message rather than one "unknown
        # column" per cell of the first data row.
        raise ImportRefused(
            [
                Problem(
                    None,
                    None,
                    _("The first row must hold the column headers: %(columns)s.")
                    % {"columns": ", ".join(_column_names())},
                )
            ]
        )
    headers: dict[str, str] = {}
    positions: dict[str, int] = {}
    fields_at: dict[int, str] = {}
    problems: list[Problem] = []
    for position, header in enumerate(header_line):
        if not header:
            continue
        positions.setdefault(header, position)
        field_name = _FIELD_BY_HEADER.get(_header_key(header))
        if field_name is None:
            problems.append(
                Problem(
                    None,
                    header,
                    _("Unknown column. The columns are: %(columns)s.")
                    % {"columns": ", ".join(_column_names())},
                )
            )
        elif field_name in headers:
            problems.append(
                Problem(
                    None,
                    header,
                    _("This column is already in the file as “%(other)s”.")
                    % {"other": headers[field_name]},
                )
            )
        else:
            headers[field_name] = header
            fields_at[position] = field_name
    if not any(name in headers for name in _PARTICIPANT_FIELDS):
        problems.append(
            Problem(
                None,
                _column_name("participant_ref"),
                _("A column “%(participant)s” or “%(personnummer)s” is required.")
                % {
                    "participant": _column_name("participant_ref"),
                    "personnummer": _column_name("personnummer"),
                },
            )
        )
    for name in REQUIRED_FIELDS:
        if name not in headers:
            problems.append(
                Problem(
                    None,
                    _column_name(name),
                    _("The column “%(column)s” is required.") % {"column": _column_name(name)},
                )
            )
    if problems:
        raise ImportRefused(problems)

    rows: list[SourceRow] = []
    for number, line in enumerate(grid[1:], start=2):
        cells = [cell.strip() for cell in line]
        if not any(cells):
            continue  # blank lines, wherever they are, carry nothing
        if len(rows) == max_rows:
            raise ImportRefused(
                [
                    Problem(
                        None,
                        "file",
                        _("Too many rows: at most %(max)s rows can be imported at once.")
                        % {"max": max_rows},
                    )
                ]
            )
        values = dict.fromkeys(headers, "")
        for position, cell in enumerate(cells):
            if position in fields_at:
                values[fields_at[position]] = cell
        if any(cell for position, cell in enumerate(cells) if position not in fields_at):
            problems.append(
                Problem(number, None, _("This row has a value in a column without a header."))
            )
        rows.append(SourceRow(number=number, values=values))
    if not rows:
        raise ImportRefused([Problem(None, "file", _("The file has no rows below the header."))])
    return Table(headers=headers, positions=positions, rows=rows, problems=problems)


def _language() -> str:
    return "en" if (translation.get_language() or "sv").startswith("en") else "sv"


def _column_name(field_name: str) -> str:
    return _BY_FIELD[field_name].header(_language())


def _column_names() -> list[str]:
    return [column.header(_language()) for column in COLUMNS]


# --- Checking and saving ----------------------------------------------------------------------


class _TargetGroups:
    """Target groups by code, Swedish or English name (users type names), case-insensitive."""

    def __init__(self) -> None:
        self.groups = list(TargetGroup.objects.order_by("code"))
        self.codes: dict[str, str] = {}
        for group in self.groups:
            for key in (group.name_sv, group.name_en, group.code):
                self.codes[_name_key(key)] = group.code

    def code(self, text: str) -> str:
        return self.codes.get(_name_key(text), text)

    def listing(self) -> str:
        return ", ".join(f"{group.code} ({group.name})" for group in self.groups)


def _name_key(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


#: The facts' columns: a blank cell means "not told" (the field's default).
OPTIONAL_FACTS = (
    "employment_type",
    "offered_on",
    "ended_by_participant",
    "gender",
    "born_abroad",
    "age_band",
    "home_district",
)
#: The choices a fact's cell may name, besides the codes and the labels in Swedish and English.
_CHOICES = {
    "employment_type": EmploymentType,
    "gender": Gender,
    "born_abroad": BornAbroad,
    "age_band": AgeBand,
}
#: Words people write that are not the choices' labels (Swedish and English).
_SYNONYMS = {
    "employment_type": {
        "praktikplats": EmploymentType.INTERNSHIP,
        "lärlingsanställning": EmploymentType.APPRENTICESHIP,
        "apprentice": EmploymentType.APPRENTICESHIP,
        "anställd": EmploymentType.EMPLOYMENT,
        "las": EmploymentType.EMPLOYMENT,
        "anställning enligt las": EmploymentType.EMPLOYMENT,
    },
    "gender": {
        "k": Gender.WOMAN,
        "kvinna": Gender.WOMAN,
        "m": Gender.MAN,
        "annat": Gender.OTHER,
        "annan": Gender.OTHER,
        "female": Gender.WOMAN,
        "male": Gender.MAN,
    },
    "born_abroad": {},
    "age_band": {},
}
_UNDISCLOSED_WORDS = ("ej uppgivet", "ej uppgiven", "vill ej uppge", "okänt", "okänd", "unknown")
_TRUE_WORDS = ("ja", "j", "yes", "y", "true", "sant", "1", "x")
_FALSE_WORDS = ("nej", "n", "no", "false", "falskt", "0")


class _Facts:
    """The values a fact's cell may hold, read into the codes the API takes: codes, the labels
    in Swedish and English, common words ("praktik", "kvinna", "ja", "ej uppgivet"), and the
    home district by name (or id)."""

    def __init__(self) -> None:
        self.choices: dict[str, dict[str, str]] = {}
        for name, choices in _CHOICES.items():
            found: dict[str, str] = {}
            for code, label in choices.choices:
                found[_name_key(code)] = code
                for language in TEMPLATE_LANGUAGES:
                    with translation.override(language):
                        found.setdefault(_name_key(str(label)), code)
                found.setdefault(_name_key(str(label).replace("–", "-")), code)
            if "undisclosed" in choices.values:
                for word in _UNDISCLOSED_WORDS:
                    found.setdefault(_name_key(word), "undisclosed")
            for word, code in _SYNONYMS[name].items():
                found.setdefault(_name_key(word), code)
            self.choices[name] = found
        self.districts = list(District.objects.order_by("name"))
        self.district_ids: dict[str, str] = {}
        for district in self.districts:
            self.district_ids[_name_key(district.name)] = str(district.pk)
            self.district_ids.setdefault(str(district.pk), str(district.pk))

    def value(self, name: str, text: str) -> str:
        if name in self.choices:
            return self.choices[name].get(_name_key(text), text)
        if name == "ended_by_participant":
            key = _name_key(text)
            if key in _TRUE_WORDS:
                return "true"
            if key in _FALSE_WORDS:
                return "false"
            return text
        if name == "home_district":
            return self.district_ids.get(_name_key(text), text)
        return text

    def listing(self, name: str) -> str:
        """The words a cell of the fact ``name`` may hold, as the message of a refused value
        lists them (in the language of the request)."""
        if name == "ended_by_participant":
            return ", ".join(dict.fromkeys((_("yes"), _("no"), "ja", "nej")))
        if name == "home_district":
            return ", ".join(district.name for district in self.districts) or "–"
        choices = _CHOICES[name]
        return ", ".join(
            f"{label} ({code})" if str(label).replace("\u2013", "-") != code else code
            for code, label in choices.choices
        )


def _row_data(row: SourceRow, groups: _TargetGroups, facts: _Facts) -> dict[str, str]:
    """A file row as the API's row serializer takes it."""
    data: dict[str, str] = {}
    for name, value in row.values.items():
        if name == "hours":
            value = value.replace(" ", "").replace("\u00a0", "")
            if _DECIMAL_COMMA.fullmatch(value):
                value = value.replace(",", ".")
        elif name in ("start_date", "end_date", "offered_on"):
            midnight = _MIDNIGHT.fullmatch(value)
            value = midnight[1] if midnight else value
        elif name == "target_group":
            value = groups.code(value)
        elif name in OPTIONAL_FACTS and value:
            value = facts.value(name, value)
        if value == "" and (name in REQUIRED_FIELDS or name in OPTIONAL_FACTS):
            continue  # missing: "This field is required."; a blank fact: not told
        data[name] = value
    return data


def error_messages(detail: Any) -> Iterator[Any]:
    """The messages (ErrorDetail strings) in a serializer's error detail, flattened."""
    if isinstance(detail, Mapping):
        for value in detail.values():
            yield from error_messages(value)
    elif isinstance(detail, list | tuple):
        for value in detail:
            yield from error_messages(value)
    else:
        yield detail


def _form_problems(errors: Mapping[str, Any]) -> list[Problem]:
    """Problems with the form's own fields (``file``, ``contract``, ``period_*``)."""
    return [
        Problem(None, None if name in ("non_field_errors", "__all__") else name, str(message))
        for name, detail in errors.items()
        if name != "rows"
        for message in error_messages(detail)
    ]


def _row_problems(detail: Any, table: Table, groups: _TargetGroups, facts: _Facts) -> list[Problem]:
    """Problems of the rows (``errors["rows"]``), with spreadsheet rows and file headers."""
    if isinstance(detail, Mapping) and all(str(key).isdigit() for key in detail):
        by_index = {int(key): value for key, value in detail.items()}
    elif isinstance(detail, list) and all(isinstance(item, Mapping) for item in detail):
        by_index = dict(enumerate(detail))
    else:  # a message about the rows as a whole
        return [Problem(None, None, str(message)) for message in error_messages(detail)]
    problems = []
    for index, fields in sorted(by_index.items()):
        row = table.rows[index]
        for name, messages in fields.items():
            for message in error_messages(messages):
                text = str(message)
                if name == "target_group" and getattr(message, "code", "") == "does_not_exist":
                    text = _(
                        "Unknown target group. Write one of these codes or names: %(groups)s."
                    ) % {"groups": groups.listing()}
                elif name in OPTIONAL_FACTS and name != "offered_on" and _refused_value(message):
                    text = _("Unknown value. Write one of these: %(values)s.") % {
                        "values": facts.listing(name)
                    }
                problems.append(Problem(row.number, table.column_for(name, row), text))
    return problems


def _refused_value(message: Any) -> bool:
    """Whether a fact's message says its value is not one of those it may hold (rather than,
    say, that it is required)."""
    return getattr(message, "code", "") in ("invalid_choice", "invalid", "does_not_exist")


def _django_problems(error: DjangoValidationError) -> list[Problem]:
    if hasattr(error, "error_dict"):
        return _form_problems(error.message_dict)
    return [Problem(None, None, message) for message in error.messages]


def _sorted(problems: list[Problem], table: Table | None) -> list[Problem]:
    """File and form problems first, then by row and by column as they stand in the file."""
    positions = table.positions if table else {}

    def key(problem: Problem) -> tuple[int, int, int]:
        column = positions.get(problem.column or "", MAX_COLUMNS)
        return (problem.row is not None, problem.row or 0, column)

    return sorted(problems, key=key)


@dataclass(frozen=True)
class CheckedImport:
    """A file whose every row passed the checks, not saved yet: the report it fills (a new one,
    or the draft whose rows it replaces) and the rows as the serializer validated them."""

    report: PlacementReport
    rows: list[dict[str, Any]]


def import_check(
    *, data: Mapping[str, Any], user, into: PlacementReport | None = None
) -> CheckedImport:
    """Check an uploaded file, all of it, and save nothing.

    ``data`` is the submitted form: ``file``, ``contract`` (id of a contract ``user`` may see),
    ``period_start`` and ``period_end`` (one reporting period of the contract). The rows are
    checked with the API's serializers (one by one and together). Raises
    :class:`ImportRefused` listing every problem found.

    ``into`` is an existing draft (or rejected report) of that contract and period whose rows
    the file is to replace (the portal's "upload into this draft"); without it the period must
    have no report yet.
    """
    form = ImportFormSerializer(data=data, context={"user": user})
    problems: list[Problem] = []
    report: PlacementReport | None = None
    if form.is_valid():
        report = PlacementReport(
            contract=form.validated_data["contract"],
            period_start=form.validated_data["period_start"],
            period_end=form.validated_data["period_end"],
        )
        if into is not None and (
            into.contract_id,
            into.period_start,
            into.period_end,
        ) == (report.contract_id, report.period_start, report.period_end):
            report = into
        try:
            # Before reading the rows: a wrong period would make every row "outside the period".
            # Constraints after the fields: for a period of the contract, end >= start holds, so
            # the one that can fail is "one report per period".
            report.full_clean(validate_constraints=False)
            report.validate_constraints()
        except DjangoValidationError as error:
            problems += _django_problems(error)
    else:
        problems += _form_problems(form.errors)
    table: Table | None = None
    if "file" not in form.errors:
        try:
            table = read_table(data["file"])
        except ImportRefused as refused:
            problems += refused.problems
    if problems or table is None or report is None:
        raise ImportRefused(_sorted(problems, table))

    groups, facts = _TargetGroups(), _Facts()
    serializer = _report_serializer(
        report, [_row_data(row, groups, facts) for row in table.rows], user
    )
    problems = list(table.problems)
    if not serializer.is_valid():
        problems += _form_problems(serializer.errors)
        problems += _row_problems(serializer.errors.get("rows", []), table, groups, facts)
    if problems:
        raise ImportRefused(_sorted(problems, table))
    return CheckedImport(report=report, rows=serializer.validated_data["rows"])


def _report_serializer(report: PlacementReport, rows: list[dict[str, Any]], user):
    return ReportSerializer(
        instance=report if report.pk else None,
        data={
            "contract": report.contract_id,
            "period_start": report.period_start.isoformat(),
            "period_end": report.period_end.isoformat(),
            "rows": rows,
        },
        context={"user": user},
    )


def import_save(checked: CheckedImport, *, user) -> PlacementReport:
    """Save a checked file as the draft (a new one, or the draft's rows replaced)."""
    try:
        return services.report_save(report=checked.report, rows=checked.rows, user=user)
    except DjangoValidationError as error:  # e.g. another import of this period won the race
        raise ImportRefused(_django_problems(error)) from None


def import_report(
    *, data: Mapping[str, Any], user, into: PlacementReport | None = None
) -> PlacementReport:
    """Create a draft report from an uploaded file, all or nothing (:func:`import_check`, then
    :func:`import_save`): the rows are saved by :func:`internships.services.report_save`.
    Raises :class:`ImportRefused` listing every problem found; then nothing has been saved."""
    return import_save(import_check(data=data, user=user, into=into), user=user)


# --- Replacing a draft's rows, once the contractor has confirmed --------------------------------

#: How long a checked file waits for the contractor to confirm that it replaces a draft's rows.
PENDING_MAX_AGE = 60 * 60
_PENDING_SALT = "internships.importing.pending-replacement"


@dataclass(frozen=True)
class PendingReplacement:
    """A checked file that would replace the rows of an existing draft: the counts to show and
    a signed ``token`` that carries the checked rows to the confirmation (no file is kept on the
    server, and the rows hold pseudonyms only, never a personnummer)."""

    report: PlacementReport
    draft_rows: int
    file_rows: int
    token: str


class ConfirmReplacement(Exception):
    """The file's rows would replace the rows of a draft: ask the contractor first."""

    def __init__(self, pending: PendingReplacement) -> None:
        self.pending = pending
        super().__init__(f"{pending.draft_rows} rows would be replaced by {pending.file_rows}")


def _portable(row: Mapping[str, Any]) -> dict[str, Any]:
    """A validated row as the serializer takes it again (JSON only)."""
    return {
        "participant_ref": row["participant_ref"],
        "target_group": row["target_group"].code,
        "start_date": row["start_date"].isoformat(),
        "end_date": row["end_date"].isoformat(),
        "hours": str(row["hours"]),
        "role": row.get("role", ""),
        "notes": row.get("notes", ""),
        **_portable_facts(row),
    }


def _portable_facts(row: Mapping[str, Any]) -> dict[str, Any]:
    """The facts a validated row was given (JSON only); a fact not given stays out."""
    found: dict[str, Any] = {}
    for name in OPTIONAL_FACTS:
        if name not in row:
            continue
        value = row[name]
        if name == "offered_on":
            value = value.isoformat() if value else None
        elif name == "home_district":
            value = value.pk if value else None
        found[name] = value
    return found


def _pending(report: PlacementReport, rows: list[dict[str, Any]], user) -> PendingReplacement:
    draft_rows = report.rows.count()
    token = signing.dumps(
        {
            "user": user.pk,
            "report": report.pk,
            "draft_rows": draft_rows,
            "updated_at": report.updated_at.isoformat(),
            "rows": [_portable(row) for row in rows],
        },
        salt=_PENDING_SALT,
        compress=True,
    )
    return PendingReplacement(report, draft_rows, len(rows), token)


def import_into_draft(
    *, data: Mapping[str, Any], user, into: PlacementReport | None
) -> PlacementReport:
    """The portal's upload: like :func:`import_report`, but a file for a period whose draft
    already has rows is not saved: :class:`ConfirmReplacement` says how many rows the draft has
    and how many the file has; :func:`import_confirmed` then saves it."""
    checked = import_check(data=data, user=user, into=into)
    if checked.report.pk and checked.report.rows.exists():
        raise ConfirmReplacement(_pending(checked.report, checked.rows, user))
    return import_save(checked, user=user)


def import_confirmed(*, token: str, user, into: PlacementReport | None) -> PlacementReport:
    """Replace the rows of the draft ``into`` with the rows of a confirmed
    :class:`PendingReplacement`, checked again as any rows are.

    If the draft has changed since the contractor was asked (rows added, edited or removed),
    nothing is saved and :class:`ConfirmReplacement` asks again with the counts of now. Raises
    :class:`ImportRefused` when the confirmation has expired, is not this user's or this
    draft's, or its rows are no longer accepted.
    """
    try:
        pending = signing.loads(token, salt=_PENDING_SALT, max_age=PENDING_MAX_AGE)
    except signing.BadSignature:  # also SignatureExpired
        pending = None
    if (
        not isinstance(pending, dict)
        or into is None
        or pending.get("user") != user.pk
        or pending.get("report") != into.pk
    ):
        raise ImportRefused(
            [Problem(None, "file", _("The confirmation has expired: upload the file again."))]
        )
    with transaction.atomic():
        # Locked while it is compared and replaced, so that what the contractor confirmed is
        # what is replaced (report_save takes the same lock again in this transaction).
        current = PlacementReport.objects.select_for_update().get(pk=into.pk)
        serializer = _report_serializer(current, pending["rows"], user)
        if not serializer.is_valid():
            problems = _form_problems(serializer.errors)
            detail = serializer.errors.get("rows", [])
            problems += [Problem(None, None, str(message)) for message in error_messages(detail)]
            raise ImportRefused(problems)
        rows = serializer.validated_data["rows"]
        if (
            current.rows.count() != pending["draft_rows"]
            or current.updated_at.isoformat() != pending["updated_at"]
        ):
            raise ConfirmReplacement(_pending(current, rows, user))
        return import_save(CheckedImport(report=current, rows=rows), user=user)


# --- The template -----------------------------------------------------------------------------


@dataclass(frozen=True)
class TemplateFile:
    """A template to download: its bytes, media type and file name."""

    content: bytes
    media_type: str
    filename: str


def _example_row(language: str) -> list[Any]:
    """The template's one example line, by column (dates and hours as Python values)."""
    group = (
        TargetGroup.objects.filter(code="newly_arrived").values_list("code", flat=True).first()
        or TargetGroup.objects.order_by("code").values_list("code", flat=True).first()
        or ""
    )
    district = District.objects.order_by("name").values_list("name", flat=True).first() or ""
    with translation.override(language):
        role, note = _("Carpenter"), _("Example row: replace it with your own rows.")
        facts = [
            str(EmploymentType.INTERNSHIP.label),
            "",  # the offer: a date like the start date, left blank (not told) in the example
            _("no"),
            str(Gender.WOMAN.label),
            _("yes"),
            AgeBand.AGE_25_29.value,
            district,
        ]
    return ["D-001", "", group, date(2026, 1, 12), date(2026, 1, 30), 112.5, role, note, *facts]


def import_template(file_format: str, language: str) -> TemplateFile:
    """The import template: the headers in ``language`` ("sv" or "en") and one example row.

    CSV in Swedish is semicolon-separated with a decimal comma, as Swedish Excel reads it; in
    English comma-separated with a decimal point; both UTF-8 with BOM, so Excel shows "å" right.
    XLSX has real date cells, a second sheet listing the target groups and a third listing what
    the facts' columns take.
    """
    headers = [column.header(language) for column in COLUMNS]
    example = _example_row(language)
    basename = TEMPLATE_NAMES[language]
    with translation.override(language):
        groups_title = capfirst(TargetGroup._meta.verbose_name_plural)
        groups_headers = [
            str(TargetGroup._meta.get_field(name).verbose_name)
            for name in ("code", "name_sv", "name_en")
        ]
    if file_format == "csv":
        separator, decimal = (";", ",") if language == "sv" else (",", ".")
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=separator, lineterminator="\r\n")
        writer.writerow(headers)
        writer.writerow(
            [
                value.isoformat()
                if isinstance(value, date)
                else str(value).replace(".", decimal)
                if isinstance(value, float)
                else value
                for value in example
            ]
        )
        return TemplateFile(
            buffer.getvalue().encode("utf-8-sig"), CSV_MEDIA_TYPE, f"{basename}.csv"
        )
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = basename[:31]
    sheet.append(headers)
    sheet.append(example)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for cell in sheet[2]:
        if isinstance(cell.value, date | datetime):
            cell.number_format = "yyyy-mm-dd"
    for letter in "ABCDEFGHIJKLMNO"[: len(headers)]:
        sheet.column_dimensions[letter].width = 18
    sheet.freeze_panes = "A2"
    groups_sheet = workbook.create_sheet(groups_title[:31])
    groups_sheet.append(groups_headers)
    for cell in groups_sheet[1]:
        cell.font = Font(bold=True)
    for group in TargetGroup.objects.order_by("code"):
        groups_sheet.append([group.code, group.name_sv, group.name_en])
    for letter in "ABC":
        groups_sheet.column_dimensions[letter].width = 30
    # The facts' columns and what each takes (a district by its name), in the template's language.
    facts = _Facts()
    with translation.override(language):
        values_sheet = workbook.create_sheet(capfirst(_("values"))[:31])
        values_sheet.append([capfirst(_("column")), capfirst(_("values"))])
        for name in OPTIONAL_FACTS:
            listing = (
                _("a date (YYYY-MM-DD), not after the start date")
                if name == "offered_on"
                else facts.listing(name)
            )
            values_sheet.append([_BY_FIELD[name].header(language), listing])
    for cell in values_sheet[1]:
        cell.font = Font(bold=True)
    values_sheet.column_dimensions["A"].width = 26
    values_sheet.column_dimensions["B"].width = 90
    buffer = io.BytesIO()
    workbook.save(buffer)
    return TemplateFile(buffer.getvalue(), XLSX_MEDIA_TYPE, f"{basename}.xlsx")
