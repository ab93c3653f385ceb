"""Export the audit trail (issue 6) as CSV: every recorded change and every logged read."""

from __future__ import annotations

import csv
import sys
from datetime import date, datetime, time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from contracts.exports import neutralise
from contracts.models import Alert, ClauseMilestone, Contract, SocialClause
from core.models import ReadLog
from internships.models import PlacementReport, PlacementRow

AUDITED = [Contract, SocialClause, ClauseMilestone, PlacementReport, PlacementRow, Alert]
ACTIONS = {"+": "created", "~": "changed", "-": "deleted"}
HEADER = ["when", "user", "action", "object", "object_id", "changes", "reason"]


def _day(value: str, *, end: bool) -> datetime:
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"Not a date (YYYY-MM-DD): {value!r}") from None
    return timezone.make_aware(datetime.combine(day, time.max if end else time.min))


class Command(BaseCommand):
    help = "Write the audit trail (changes and reads of participant data) as CSV."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--since", help="First day (YYYY-MM-DD).")
        parser.add_argument("--until", help="Last day (YYYY-MM-DD).")
        parser.add_argument("--output", help="File to write (default: standard output).")

    def handle(self, *args, since=None, until=None, output=None, **options) -> None:
        window = {}
        if since:
            window["gte"] = _day(since, end=False)
        if until:
            window["lte"] = _day(until, end=True)
        stream = (
            open(output, "w", newline="", encoding="utf-8-sig")  # noqa: SIM115 - closed below
            if output
            else sys.stdout
        )
        try:
            writer = csv.writer(stream)
            writer.writerow(HEADER)
            count = 0
            for model in AUDITED:
                records = model.history.select_related("history_user").order_by("history_date")
                records = records.filter(**{f"history_date__{k}": v for k, v in window.items()})
                for record in records.iterator(chunk_size=2000):
                    writer.writerow(self._change(model, record))
                    count += 1
            reads = ReadLog.objects.select_related("user").order_by("at")
            for read in reads.filter(**{f"at__{k}": v for k, v in window.items()}).iterator():
                writer.writerow(
                    [
                        read.at.isoformat(),
                        read.user.username if read.user else "",
                        "read",
                        read.what,
                        read.object_ids,
                        f"{read.count} rows",
                        neutralise(read.detail),
                    ]
                )
                count += 1
        finally:
            if output:
                stream.close()
        self.stderr.write(f"{count} audit records written.")

    def _change(self, model, record) -> list[str]:
        changes = ""
        if record.history_type == "~" and record.prev_record is not None:
            delta = record.diff_against(record.prev_record)
            changes = "; ".join(f"{c.field}: {c.old} → {c.new}" for c in delta.changes)
        return [
            record.history_date.isoformat(),
            record.history_user.username if record.history_user else "",
            ACTIONS.get(record.history_type, record.history_type),
            model._meta.model_name,
            str(record.id),
            neutralise(changes),
            neutralise(record.history_change_reason or ""),
        ]
