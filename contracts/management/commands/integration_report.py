"""The annual integration report as an XLSX workbook, a printable HTML page or a PDF (issue 7)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone, translation

from contracts import annual_output
from contracts.annual import annual_report


class Command(BaseCommand):
    help = "Write the annual integration report for --year as XLSX, HTML or PDF."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--year", type=int, default=timezone.localdate().year - 1)
        parser.add_argument("--format", choices=sorted(annual_output.FILES), default="xlsx")
        parser.add_argument(
            "--language", choices=["sv", "en"], default="sv", help="Language of the report."
        )
        parser.add_argument("--output", help="File to write (default integration-YEAR.FORMAT).")

    def handle(self, *args, year, format, language, output=None, **options) -> None:
        if not 2000 <= year <= timezone.localdate().year:
            raise CommandError(f"No report for the year {year}: give one from 2000 to this year.")
        output = output or f"integration-{year}.{format}"
        with translation.override(language):
            report = annual_report(year=year)
            try:
                _content_type, render_file = annual_output.FILES[format]
                body = render_file(report)
            except annual_output.PdfUnavailable as error:
                raise CommandError(str(error)) from error
        with open(output, "wb") as target:
            target.write(body)
        self.stdout.write(
            f"{output}: {report.contracts} contracts, {report.value_msek:.1f} MSEK, "
            f"{len(body):,} bytes."
        )
