"""The annual integration report as an XLSX workbook or a printable HTML page (issue 7)."""

from __future__ import annotations

from decimal import Decimal

from django.core.management.base import BaseCommand, CommandError
from django.template.loader import render_to_string
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Font

from contracts.annual import annual_report
from contracts.exports import xlsx_value

TABLES = [
    ("by_metric", "Per metric"),
    ("by_district", "Per district"),
    ("by_contractor", "Per contractor"),
    ("by_status", "Clause status"),
    ("reports", "Reports"),
    ("clauses", "Clauses"),
]


def _cell(value):
    return float(value) if isinstance(value, Decimal) else xlsx_value(value)


class Command(BaseCommand):
    help = "Write the annual integration report for --year as XLSX or HTML."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--year", type=int, default=timezone.localdate().year - 1)
        parser.add_argument("--format", choices=["xlsx", "html"], default="xlsx")
        parser.add_argument("--output", help="File to write (default integration-YEAR.FORMAT).")

    def handle(self, *args, year, format, output=None, **options) -> None:
        if not 2000 <= year <= timezone.localdate().year:
            raise CommandError(f"No report for the year {year}.")
        report = annual_report(year=year)
        output = output or f"integration-{year}.{format}"
        if format == "xlsx":
            workbook = Workbook()
            workbook.remove(workbook.active)
            for attribute, title in TABLES:
                frame = getattr(report, attribute)
                sheet = workbook.create_sheet(title)
                sheet.append(list(frame.columns))
                for cell in sheet[1]:
                    cell.font = Font(bold=True)
                for row in frame.itertuples(index=False):
                    sheet.append([_cell(value) for value in row])
                sheet.freeze_panes = "A2"
            workbook.save(output)
        else:
            tables = [
                (title, getattr(report, attribute).to_html(index=False, border=0))
                for attribute, title in TABLES
            ]
            with open(output, "w", encoding="utf-8") as target:
                target.write(
                    render_to_string(
                        "contracts/integration_report.html", {"report": report, "tables": tables}
                    )
                )
        self.stdout.write(f"{output}: {report.contracts} contracts, {report.value_msek:.1f} MSEK.")
