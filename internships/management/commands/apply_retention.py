"""Anonymise the participant references of contracts that ended long ago (see
:mod:`internships.privacy`)."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from internships.privacy import retention_apply, retention_cutoff


class Command(BaseCommand):
    help = (
        "Replace the participant references of contracts that ended more than RETENTION_YEARS "
        "ago by irreversible tokens (every aggregate unchanged) and clear their notes, in the "
        "rows and in the audit history."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--as-of", help="Day to count from (YYYY-MM-DD; default today).")
        parser.add_argument("--dry-run", action="store_true", help="Count, change nothing.")

    def handle(self, *args, as_of=None, dry_run=False, **options) -> None:
        try:
            day = date.fromisoformat(as_of) if as_of else timezone.localdate()
        except ValueError:
            raise CommandError(f"Not a date (YYYY-MM-DD): {as_of!r}") from None
        result = retention_apply(as_of=day, dry_run=dry_run)
        verb = "would anonymise" if dry_run else "anonymised"
        self.stdout.write(
            f"Contracts ended before {retention_cutoff(day)} ({settings.RETENTION_YEARS} years): "
            f"{verb} {result.participants} participants in {result.contracts} contracts "
            f"({result.rows} rows, {result.history_rows} history records)."
        )
