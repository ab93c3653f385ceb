"""Spreadsheet exports: compliance figures and placement-report rows as CSV or XLSX (docs/API.md).

The API negotiates these as formats (``?format=csv`` / ``?format=xlsx``, or an ``Accept`` header)
through the two renderer classes below; the views then answer with a streamed file instead of a
rendered ``Response``.

* **CSV** is UTF-8 with a byte-order mark, so that Excel reads å, ä and ö correctly. The default
  separator is ``;`` with a decimal comma, which is what Excel with Swedish regional settings opens
  directly (the semicolon is the list separator precisely because the comma is the decimal
  separator); ``sep=,`` gives comma-separated values with a decimal point. Rows are written through
  :func:`csv.writer` into a small buffer that is handed on and emptied every few kilobytes, so a
  file of any size streams in constant memory.
* **XLSX** is written by openpyxl in write-only mode (rows go to a temporary file as they come;
  only the table of distinct texts stays in memory) with a bold, frozen header row; numbers are
  numeric cells and dates are date cells. The finished workbook is sent from a temporary file.
* Text that a spreadsheet could take for a formula (it starts with ``=``, ``+``, ``-``, ``@``, a
  tab or a carriage return) gets a leading ``'`` in both formats (OWASP, "CSV injection"). Numbers
  are never touched: a negative number stays a number.
* Headers and the values that are codes in the JSON API are written in the request's language
  (Swedish by default): a metric, clause status, forecast or report status as its word ("i
  riskzonen" for ``at_risk``), a target group by its name ("Nyanlända" for ``newly_arrived``; the
  import reads names as well as codes). Numbers and dates are as in the JSON API (``2024-03-31``).
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import IO, Any

from django.db import models
from django.db.models import Q, QuerySet
from django.http import FileResponse, StreamingHttpResponse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from rest_framework.renderers import BaseRenderer

from internships.choices import AgeBand, BornAbroad, EmploymentType, Gender, ReportStatus
from internships.models import PlacementRow
from internships.selectors import report_list

from .choices import ClauseKind, ClauseStatus, FirstStart, Forecast, Metric
from .models import SocialClause, TargetGroup

CSV_MEDIA_TYPE = "text/csv"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: Separators a caller may choose with ``?sep=``; the first is the default.
SEPARATORS = (";", ",")
#: The first characters that make a spreadsheet read a cell as a formula (OWASP).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
#: Rows fetched from the database per round trip when streaming.
CHUNK_SIZE = 2000
#: The CSV buffer is handed to the server and emptied once it holds this many characters.
CSV_FLUSH_CHARS = 16 * 1024


class CSVRenderer(BaseRenderer):
    """Lets content negotiation accept ``format=csv``; the views stream the file themselves."""

    media_type = CSV_MEDIA_TYPE
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        # FileExportMixin renders every Response (errors) as JSON; files are streamed by the view.
        raise NotImplementedError("CSV files are streamed by the view, not rendered.")


class XLSXRenderer(BaseRenderer):
    """Lets content negotiation accept ``format=xlsx``; the views stream the file themselves."""

    media_type = XLSX_MEDIA_TYPE
    format = "xlsx"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        raise NotImplementedError("XLSX files are streamed by the view, not rendered.")


FILE_RENDERERS = (CSVRenderer, XLSXRenderer)
FILE_FORMATS = tuple(renderer.format for renderer in FILE_RENDERERS)


@dataclass(frozen=True)
class Column:
    """One column of an export: the key of its value and its translated header."""

    key: str
    label: str | Promise


COMPLIANCE_COLUMNS: tuple[Column, ...] = (
    Column("clause", _("clause")),
    Column("contract", _("contract")),
    Column("contract_reference", _("contract reference")),
    Column("metric", _("metric")),
    Column("target", _("target")),
    Column("expected", _("expected")),
    Column("reported", _("reported")),
    Column("verified", _("verified")),
    Column("shortfall", _("shortfall")),
    Column("status", _("status")),
    Column("projected_total", _("projected total")),
    Column("penalty_sek", _("penalty (SEK)")),
    Column("forecast", _("forecast")),
    Column("forecast_date", _("forecast date")),
    Column("first_start", _("first start")),
    Column("as_of", _("as of")),
    # The clause's options of the Swedish model (DESIGN.md §10.2).
    Column("kind", _("kind")),
    Column("employment_types", _("employment types")),
    Column("full_time_hours_per_week", _("full-time hours per week")),
    Column("first_start_within_days", _("first start within (days)")),
    Column("requires_matcher_confirmation", _("requires the matcher's confirmation")),
)

#: Report-row columns and the ``values_list`` path of each, in file order.
ROW_COLUMNS: tuple[tuple[Column, str], ...] = (
    (Column("report", _("report")), "report_id"),
    (Column("contract_reference", _("contract reference")), "report__contract__reference"),
    (Column("period_start", _("period start")), "report__period_start"),
    (Column("period_end", _("period end")), "report__period_end"),
    (Column("report_status", _("status")), "report__status"),
    (Column("participant_ref", _("participant reference")), "participant_ref"),
    # The group's name in the request's language (see report_row_values).
    (Column("target_group", _("target group")), "target_group__name_sv"),
    (Column("start_date", _("start date")), "start_date"),
    (Column("end_date", _("end date")), "end_date"),
    (Column("hours", _("hours")), "hours"),
    (Column("role", _("role")), "role"),
    (Column("notes", _("notes")), "notes"),
    # The Swedish model's facts of a row (DESIGN.md §10.1).
    (Column("employment_type", _("employment type")), "employment_type"),
    (Column("offered_on", _("offered on")), "offered_on"),
    (Column("ended_by_participant", _("ended by the participant")), "ended_by_participant"),
    (Column("gender", _("gender")), "gender"),
    (Column("born_abroad", _("born abroad")), "born_abroad"),
    (Column("age_band", _("age band")), "age_band"),
    (Column("home_district", _("home district")), "home_district__name"),
)


#: Columns whose values are codes, and the words they are written as.
CODE_WORDS: dict[str, type[models.TextChoices]] = {
    "metric": Metric,
    "status": ClauseStatus,
    "forecast": Forecast,
    "first_start": FirstStart,
    "report_status": ReportStatus,
    "kind": ClauseKind,
    "employment_type": EmploymentType,
    "gender": Gender,
    "born_abroad": BornAbroad,
    "age_band": AgeBand,
}
#: Columns that hold yes or no, written as the words.
YES_NO_COLUMNS = ("ended_by_participant", "requires_matcher_confirmation")


# --- Cell values ----------------------------------------------------------------------------


def neutralise(text: str) -> str:
    """``text`` made safe to open in a spreadsheet: a leading ``'`` when it could be a formula."""
    return f"'{text}" if text.startswith(FORMULA_PREFIXES) else text


def csv_cell(value: Any, *, decimal_separator: str = ",") -> str:
    """One CSV field: numbers in plain notation with the given decimal separator, dates in ISO
    format, empty for None, and every other value as neutralised text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return neutralise(str(value))
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        return format(value, "f").replace(".", decimal_separator)
    if isinstance(value, float):
        return repr(value).replace(".", decimal_separator)
    if isinstance(value, date):
        return value.isoformat()
    return neutralise(str(value))


def xlsx_value(value: Any) -> Any:
    """One XLSX cell value: numbers and dates as they are, text neutralised and without the
    control characters the file format cannot hold."""
    if isinstance(value, str):
        # openpyxl would store text starting with "=" as a formula: neutralise first.
        return neutralise(ILLEGAL_CHARACTERS_RE.sub("", value))
    return value


# --- Files ----------------------------------------------------------------------------------


def words(columns: Sequence[Column]) -> dict[int, dict[str, str]]:
    """For each column that holds codes, by position: its codes and the words for them in the
    active language, evaluated now (as :func:`header`, for a body written after the view)."""
    result: dict[int, dict[Any, str]] = {}
    for index, column in enumerate(columns):
        if column.key in CODE_WORDS:
            result[index] = {code: str(label) for code, label in CODE_WORDS[column.key].choices}
        elif column.key in YES_NO_COLUMNS:
            result[index] = {True: str(_("yes")), False: str(_("no"))}
    return result


def _in_words(
    rows: Iterable[Sequence[Any]], by_column: dict[int, dict[str, str]]
) -> Iterator[Sequence[Any]]:
    for row in rows:
        if by_column:
            row = list(row)
            for index, words_of in by_column.items():
                row[index] = words_of.get(row[index], row[index])
        yield row


def header(columns: Sequence[Column]) -> list[str]:
    """The translated header row, evaluated now: a streamed body is written after the view has
    returned, when the request's language may no longer be active."""
    return [str(column.label) for column in columns]


def _csv_chunks(head: list[str], rows: Iterable[Sequence[Any]], *, sep: str) -> Iterator[bytes]:
    decimal_separator = "," if sep == ";" else "."
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=sep, lineterminator="\r\n")
    buffer.write("\ufeff")
    writer.writerow([neutralise(label) for label in head])
    for row in rows:
        writer.writerow([csv_cell(value, decimal_separator=decimal_separator) for value in row])
        if buffer.tell() >= CSV_FLUSH_CHARS:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def csv_response(
    columns: Sequence[Column], rows: Iterable[Sequence[Any]], *, filename: str, sep: str = ";"
) -> StreamingHttpResponse:
    """A streamed CSV attachment of ``rows`` (sequences in the order of ``columns``)."""
    if sep not in SEPARATORS:
        raise ValueError(f"Unsupported CSV separator: {sep!r}")
    response = StreamingHttpResponse(
        _csv_chunks(header(columns), rows, sep=sep),
        content_type=f"{CSV_MEDIA_TYPE}; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def xlsx_file(columns: Sequence[Column], rows: Iterable[Sequence[Any]], *, title: str) -> IO[bytes]:
    """An XLSX workbook of ``rows`` in a temporary file, positioned at its start."""
    workbook = Workbook(write_only=True)
    # Sheet titles are at most 31 characters and may not contain []:*?/\.
    sheet = workbook.create_sheet(title=title.translate(str.maketrans("", "", "[]:*?/\\"))[:31])
    sheet.freeze_panes = "A2"
    head = header(columns)
    for index, label in enumerate(head, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(12, len(label) + 4)
    bold = Font(bold=True)
    cells = []
    for label in head:
        cell = WriteOnlyCell(sheet, value=xlsx_value(label))
        cell.font = bold
        cells.append(cell)
    sheet.append(cells)
    for row in rows:
        sheet.append([xlsx_value(value) for value in row])
    # On disk, not in memory: the zip is written once all rows are known.
    output = tempfile.TemporaryFile()  # noqa: SIM115 - closed by the FileResponse
    workbook.save(output)
    output.seek(0)
    return output


def xlsx_response(
    columns: Sequence[Column], rows: Iterable[Sequence[Any]], *, filename: str, title: str
) -> FileResponse:
    """An XLSX attachment of ``rows``, streamed from a temporary file."""
    return FileResponse(
        xlsx_file(columns, rows, title=title),
        as_attachment=True,
        filename=filename,
        content_type=XLSX_MEDIA_TYPE,
    )


def file_response(
    export_format: str,
    columns: Sequence[Column],
    rows: Iterable[Sequence[Any]],
    *,
    basename: str,
    title: str,
    sep: str = ";",
) -> StreamingHttpResponse:
    """The CSV or XLSX attachment ``basename.<format>`` of ``rows``, codes written as words."""
    filename = f"{basename}.{export_format}"
    rows = _in_words(rows, words(columns))
    if export_format == CSVRenderer.format:
        return csv_response(columns, rows, filename=filename, sep=sep)
    if export_format == XLSXRenderer.format:
        return xlsx_response(columns, rows, filename=filename, title=title)
    raise ValueError(f"Unsupported export format: {export_format!r}")


# --- Data -----------------------------------------------------------------------------------


#: The clause options of the Swedish model in the compliance export, as SocialClause fields.
CLAUSE_OPTION_FIELDS = (
    "kind",
    "employment_types",
    "full_time_hours_per_week",
    "first_start_within_days",
    "requires_matcher_confirmation",
)


def clause_options(items: Sequence[Any]) -> dict[int, dict[str, Any]]:
    """The options of the Swedish model (DESIGN.md §10.2) of evaluated clauses and their
    first-start verdicts (None without the option), by clause id and column key: one query.
    ``items`` are evaluated clauses (``item.clause``, ``item.evaluation``)."""
    types = {code: str(label) for code, label in EmploymentType.choices}
    first_starts = {item.clause.id: getattr(item.evaluation, "first_start", None) for item in items}
    options: dict[int, dict[str, Any]] = {}
    for clause_id, *values in SocialClause.objects.filter(pk__in=list(first_starts)).values_list(
        "id", *CLAUSE_OPTION_FIELDS
    ):
        found = dict(zip(CLAUSE_OPTION_FIELDS, values, strict=True))
        # The types that count, as words; empty: every type.
        found["employment_types"] = ", ".join(
            types.get(code, code) for code in found["employment_types"] or []
        )
        found["first_start"] = first_starts[clause_id]
        options[clause_id] = found
    return options


def compliance_values(rows: Iterable[dict], items: Sequence[Any] = ()) -> Iterator[list[Any]]:
    """Evaluation rows (as ``EvaluationSerializer.row`` gives them) in column order, with the
    clause options of :func:`clause_options` of ``items`` (the evaluated clauses the rows were
    made of, matched by clause id)."""
    options = clause_options(items) if items else {}
    for row in rows:
        row = {**options.get(row["clause"], {}), **row}
        yield [row.get(column.key) for column in COMPLIANCE_COLUMNS]


def report_rows(
    *,
    user,
    contract: int | None = None,
    status: str | None = None,
    period_start: date | None = None,
    period_from: date | None = None,
    period_to: date | None = None,
) -> QuerySet[PlacementRow]:
    """The placement rows of the reports ``user`` may see, filtered, in file order.

    ``period_start`` picks one reporting period; ``period_from``/``period_to`` keep the reports
    whose period overlaps that date range (for instance one calendar year).
    """
    reports = report_list(user=user)
    if contract is not None:
        reports = reports.filter(contract_id=contract)
    if status:
        reports = reports.filter(status=status)
    if period_start is not None:
        reports = reports.filter(period_start=period_start)
    overlap = Q()
    if period_from is not None:
        overlap &= Q(period_end__gte=period_from)
    if period_to is not None:
        overlap &= Q(period_start__lte=period_to)
    reports = reports.filter(overlap)
    return PlacementRow.objects.filter(report__in=reports.values("id")).order_by(
        "report__contract__reference",
        "report__period_start",
        "report_id",
        "participant_ref",
        "start_date",
        "id",
    )


def report_row_values(rows: QuerySet[PlacementRow]) -> Iterator[tuple[Any, ...]]:
    """The rows as tuples in column order, fetched in chunks: memory stays flat at any size.
    The target group is named in the active language."""
    name = f"target_group__{TargetGroup.name_field()}"
    paths = [name if path == "target_group__name_sv" else path for _column, path in ROW_COLUMNS]
    return rows.values_list(*paths).iterator(chunk_size=CHUNK_SIZE)
