"""The annual integration report as people read it: translated headings and values, charts, and
the three files — an XLSX workbook, a printable HTML page and a PDF (issue 7).

:mod:`contracts.annual` builds the figures; this module only presents them, in the language that
is active (Swedish or English), so the command, the dashboard page and the API share one layout.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction

import pandas as pd
import xlsxwriter
from django.template.loader import render_to_string
from django.utils.formats import date_format, number_format
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import charts
from internships.choices import AgeBand, EmploymentType, Gender

from .annual import AnnualReport
from .benchmarks import VERDICTS
from .choices import ClauseStatus, Forecast, Metric
from .compliance import round_half_up
from .exports import xlsx_value

#: Column headings of every table.
COLUMNS = {
    "clause": gettext_lazy("clause"),
    "contract": gettext_lazy("contract"),
    "district": gettext_lazy("district"),
    "contractor": gettext_lazy("contractor"),
    "value_msek": gettext_lazy("value (MSEK)"),
    "metric": gettext_lazy("metric"),
    "status": gettext_lazy("status"),
    "forecast": gettext_lazy("forecast"),
    "forecast_date": gettext_lazy("forecast date"),
    "clauses": gettext_lazy("clauses"),
    "contracts": gettext_lazy("contracts"),
    "target": gettext_lazy("target"),
    "expected": gettext_lazy("expected in the year"),
    "delivered": gettext_lazy("delivered in the year"),
    "approved": gettext_lazy("approved in the year"),
    "reported_to_date": gettext_lazy("reported to date"),
    "target_group": gettext_lazy("target group"),
    "employment_type": gettext_lazy("employment type"),
    "gender": gettext_lazy("gender"),
    "age_band": gettext_lazy("age band"),
    "all_groups": gettext_lazy("all participants"),
    "share_pct": gettext_lazy("share (%)"),
    "period_start": gettext_lazy("period start"),
    "period_end": gettext_lazy("period end"),
    "due_date": gettext_lazy("due date"),
    "received": gettext_lazy("received"),
    "state": gettext_lazy("state"),
    "reports": gettext_lazy("reports"),
    "label": gettext_lazy("figure"),
    "this_year": gettext_lazy("this year"),
    "previous_year": gettext_lazy("previous year"),
    "change": gettext_lazy("change"),
    "change_pct": gettext_lazy("change (%)"),
    "band": gettext_lazy("band"),
    "verdict": gettext_lazy("target against band"),
    "median_target_per_msek": gettext_lazy("median target per MSEK"),
    "median_reported_per_msek": gettext_lazy("median reported per MSEK"),
    "placements_target": gettext_lazy("placements: target"),
    "placements_band_low": gettext_lazy("placements: band low"),
    "placements_band_high": gettext_lazy("placements: band high"),
    "placements_target_per_msek": gettext_lazy("placements: target per MSEK"),
    "placements_reported_per_msek": gettext_lazy("placements: reported per MSEK"),
    "placements_projected_per_msek": gettext_lazy("placements: projected per MSEK"),
    "placements_verdict": gettext_lazy("placements: target against band"),
    "weeks_target": gettext_lazy("placement weeks: target"),
    "weeks_band_low": gettext_lazy("placement weeks: band low"),
    "weeks_band_high": gettext_lazy("placement weeks: band high"),
    "weeks_target_per_msek": gettext_lazy("placement weeks: target per MSEK"),
    "weeks_reported_per_msek": gettext_lazy("placement weeks: reported per MSEK"),
    "weeks_projected_per_msek": gettext_lazy("placement weeks: projected per MSEK"),
    "weeks_verdict": gettext_lazy("placement weeks: target against band"),
}
#: Columns that are codes for the API only (the table shows their label beside them).
HIDDEN = {"figure", "target_group_code", "clause"}
REPORT_STATES = {
    "on_time": gettext_lazy("on time"),
    "late": gettext_lazy("late"),
    "missing": gettext_lazy("missing"),
    "not_due": gettext_lazy("not yet due"),
}
#: Translated values of the columns that hold codes.
VALUES = {
    "metric": dict(Metric.choices),
    "status": dict(ClauseStatus.choices),
    "forecast": dict(Forecast.choices),
    "state": REPORT_STATES,
    "employment_type": dict(EmploymentType.choices),
    "gender": dict(Gender.choices),
    "age_band": dict(AgeBand.choices),
    "placements_verdict": VERDICTS,
    "weeks_verdict": VERDICTS,
    "verdict": VERDICTS,
}
#: Tables with a line per contract, clause or report: on a page or in a PDF they are shown only
#: when short; the workbook and the API always have them whole.
DETAIL = {"clauses", "reports", "benchmarks"}
PAGE_LINES = 200
#: At most this many columns side by side on a printed (A4 landscape) page: a wider table is
#: printed in parts, each repeating the columns that say what a line is (:data:`KEY_COLUMNS`),
#: so no column runs off the paper. The page on screen scrolls the whole table instead.
PRINT_COLUMNS = 10
#: The columns that name a line, per table (default: the first column).
KEY_COLUMNS = {"clauses": ("contract", "metric"), "benchmarks": ("contract", "value_msek")}


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA


def cell_value(column: str, value: object) -> object:
    """A cell as the reader sees it: codes as words, exact values as 2-decimal numbers."""
    if _missing(value):
        return None
    if column in VALUES:
        return str(VALUES[column].get(value, value))
    if isinstance(value, Fraction):  # an exact figure: rounded as the engine rounds
        return round_half_up(value)
    if hasattr(value, "item") and not isinstance(value, (str, date)):  # numpy scalars
        return value.item()
    return value


def _text(value: object) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, date):
        return date_format(value, "SHORT_DATE_FORMAT")
    if isinstance(value, Decimal):  # as many decimals as it has: 142.4 %, 7.20 weeks, 6
        places = 0 if value == value.to_integral() else max(0, -value.as_tuple().exponent)
        return number_format(value, decimal_pos=places, use_l10n=True)
    if isinstance(value, (int, float)):
        return number_format(value, use_l10n=True)
    return str(value)


@dataclass(frozen=True)
class Table:
    key: str
    title: str
    headings: list[str]
    rows: list[list[object]]  # cell values (translated codes, numbers, dates, None)
    numeric: list[bool]  # per column: right-aligned in HTML
    omitted: int = 0  # lines left out of a page (they are in the workbook)
    columns: tuple[str, ...] = ()  # the column codes behind the headings

    @property
    def cells(self) -> list[list[tuple[str, bool]]]:
        """Each row's cells as ``(text, right-aligned)``."""
        return [
            [(_text(value), numeric) for value, numeric in zip(row, self.numeric, strict=True)]
            for row in self.rows
        ]

    def print_parts(self, width: int = PRINT_COLUMNS) -> list[Table]:
        """The table cut into parts of at most ``width`` columns for paper, each part repeating
        the key columns; a table that fits is one part, itself."""
        if len(self.headings) <= width or not self.rows:
            return [self]
        keys = [
            index
            for index, column in enumerate(self.columns)
            if column in KEY_COLUMNS.get(self.key, self.columns[:1])
        ] or [0]
        others = [index for index in range(len(self.headings)) if index not in keys]
        size = max(1, width - len(keys))
        groups = [others[start : start + size] for start in range(0, len(others), size)]
        parts = []
        for number, group in enumerate(groups, start=1):
            picked = keys + group
            title = _("%(title)s, part %(part)s of %(parts)s") % {
                "title": self.title,
                "part": number,
                "parts": len(groups),
            }
            parts.append(
                Table(
                    key=self.key if number == 1 else f"{self.key}-{number}",
                    title=title,
                    headings=[self.headings[index] for index in picked],
                    rows=[[row[index] for index in picked] for row in self.rows],
                    numeric=[self.numeric[index] for index in picked],
                    columns=tuple(self.columns[index] for index in picked),
                )
            )
        return parts


def tables(report: AnnualReport, *, page: bool = False) -> list[Table]:
    """Every table of the report with translated headings and values. For a ``page`` (HTML,
    PDF), a detail table longer than :data:`PAGE_LINES` is left out and says so."""
    result = []
    for key, title, frame in report.tables():
        columns = [column for column in frame.columns if column not in HIDDEN]
        if page and key in DETAIL and len(frame) > PAGE_LINES:
            headings = [str(COLUMNS.get(column, column)) for column in columns]
            result.append(
                Table(key, title, headings, [], [], omitted=len(frame), columns=tuple(columns))
            )
            continue
        rows = [
            [cell_value(column, value) for column, value in zip(columns, line, strict=True)]
            for line in frame[columns].itertuples(index=False, name=None)
        ]
        numeric = [
            any(isinstance(row[index], (int, float, Decimal)) for row in rows)
            for index in range(len(columns))
        ]
        headings = [str(COLUMNS.get(column, column)) for column in columns]
        result.append(Table(key, title, headings, rows, numeric, columns=tuple(columns)))
    return result


def report_charts(report: AnnualReport) -> list[tuple[str, SafeString]]:
    """The report's charts (SVG): delivery against expectation, districts, target groups and
    reports on time. Each table beside them holds the same figures."""
    year = report.year
    progress = [
        (
            str(Metric(line["metric"]).label),
            # Only dialogue clauses (no expected): nothing to compare with.
            Decimal(100) * line["delivered"] / line["expected"]
            if not _missing(line["expected"]) and line["expected"]
            else 0,
        )
        for _index, line in report.by_metric.iterrows()
    ]
    placements = report.by_district[report.by_district["metric"] == Metric.PLACEMENT_WEEKS]
    groups = report.by_target_group[report.by_target_group["metric"] == Metric.PLACEMENT_WEEKS]
    states = [
        (str(REPORT_STATES[line["state"]]), line["reports"])
        for _index, line in report.reports_summary.iterrows()
    ]
    specs = [
        (
            progress,
            _("Delivered as a share of expected (%%), %(year)s") % {"year": year},
            _("Per metric: delivered in the year divided by expected in the year."),
        ),
        (
            [(line["district"], line["delivered"]) for _i, line in placements.iterrows()],
            _("Placement weeks delivered by district, %(year)s") % {"year": year},
            _("Placement weeks delivered in the year towards placement-week clauses."),
        ),
        (
            [(line["target_group"], line["delivered"]) for _i, line in groups.iterrows()],
            _("Placement weeks delivered by target group, %(year)s") % {"year": year},
            _("Placement weeks delivered in the year, by the participants' group."),
        ),
        (
            states,
            _("Reports due in %(year)s") % {"year": year},
            _("Reports received on time, late, missing or not yet due."),
        ),
    ]
    return [
        (title, charts.bar_chart(items, title=title, description=description))
        for items, title, description in specs
    ]


def context(report: AnnualReport, *, printed: bool = False) -> dict:
    """What the page and the printable file show. ``printed``: wide tables in parts that fit
    the paper (:meth:`Table.print_parts`); on screen they scroll in their box."""
    shown = tables(report, page=True)
    if printed:
        shown = [part for table in shown for part in table.print_parts()]
    return {"report": report, "tables": shown, "charts": report_charts(report)}


def render_html(report: AnnualReport) -> str:
    """A standalone, printable HTML page (styles inline, no scripts, no external files)."""
    return render_to_string("contracts/integration_report.html", context(report, printed=True))


class PdfUnavailable(RuntimeError):
    """WeasyPrint cannot run here: its system libraries (Pango) are missing."""


def render_pdf(report: AnnualReport) -> bytes:
    """The printable page as a PDF (WeasyPrint), charts included."""
    try:
        from weasyprint import HTML  # imported here: it loads Pango, which only this needs
    except OSError as error:  # the shared libraries are not installed
        raise PdfUnavailable(
            _("The PDF cannot be made on this server: install Pango (see the README).")
        ) from error
    return HTML(string=render_html(report)).write_pdf()


def render_xlsx(report: AnnualReport) -> bytes:
    """A workbook with a formatted sheet per table: bold, filled, frozen headings, filters,
    column widths and number formats. Written with XlsxWriter, which streams a portfolio's tens
    of thousands of lines several times faster than openpyxl; text is never read as a formula
    or a link, and is neutralised as in every export (:func:`contracts.exports.xlsx_value`)."""
    output = io.BytesIO()
    workbook = xlsxwriter.Workbook(
        output,
        {
            "in_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )
    heading = workbook.add_format(
        {"bold": True, "bg_color": "#DCE6EC", "text_wrap": True, "valign": "top", "border": 1}
    )
    number = workbook.add_format({"num_format": "#,##0.00"})
    day = workbook.add_format({"num_format": "yyyy-mm-dd"})
    for table in tables(report):
        sheet = workbook.add_worksheet(table.title[:31])
        sample = table.rows[:200]
        for index, title in enumerate(table.headings):
            longest = max([len(title), *(len(_text(row[index])) for row in sample)])
            sheet.set_column(index, index, min(45, longest + 2))
        sheet.write_row(0, 0, table.headings, heading)
        sheet.freeze_panes(1, 0)
        for line, row in enumerate(table.rows, start=1):
            for column, value in enumerate(row):
                if value is None:
                    continue
                if isinstance(value, Decimal):
                    sheet.write_number(line, column, float(value), number)
                elif isinstance(value, date):
                    sheet.write_datetime(line, column, value, day)
                elif isinstance(value, (int, float)):
                    sheet.write_number(line, column, value)
                else:
                    sheet.write_string(line, column, xlsx_value(str(value)))
        if table.rows:
            sheet.autofilter(0, 0, len(table.rows), len(table.headings) - 1)
    workbook.close()
    return output.getvalue()


def render_html_file(report: AnnualReport) -> bytes:
    """:func:`render_html` as the bytes of a file."""
    return render_html(report).encode("utf-8")


#: The report's files: ``format → (content type, renderer returning the file's bytes)``.
FILES = {
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", render_xlsx),
    "pdf": ("application/pdf", render_pdf),
    "html": ("text/html; charset=utf-8", render_html_file),
}


def _json_value(value: object) -> object:
    if _missing(value):
        return None
    if isinstance(value, Fraction):  # an exact figure: rounded as the engine rounds
        return str(round_half_up(value))
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, "item") and not isinstance(value, str):  # numpy scalars
        return value.item()
    return value


def as_json(report: AnnualReport, *, only: list[str] | None = None) -> dict:
    """The report for the API: every table (or those in ``only``) with codes, and exact figures
    as decimal strings."""
    return {
        "year": report.year,
        "as_of": report.as_of,
        "contracts": report.contracts,
        "value_msek": report.value_msek,
        "tables": {
            key: {
                "title": title,
                "columns": list(frame.columns),
                "rows": [
                    {
                        column: _json_value(value)
                        for column, value in zip(frame.columns, line, strict=True)
                    }
                    for line in frame.itertuples(index=False, name=None)
                ],
            }
            for key, title, frame in report.tables()
            if only is None or key in only
        },
    }
