"""Evaluate compliance without Celery and print a table."""

from __future__ import annotations

from datetime import date

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from contracts.choices import ClauseStatus
from contracts.models import Contract
from contracts.selectors import ClauseEvaluation, active_contracts, evaluate_clauses
from contracts.services import compliance_run
from core.progress import progress

CHUNK = 1000  # contracts per step, so a long run shows progress and keeps memory flat


class Command(BaseCommand):
    help = (
        "Evaluate every active contract's clauses (or one contract's) and print a table. "
        "Stores the day's snapshots and updates alerts unless --dry-run is given."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--as-of", type=date.fromisoformat, help="YYYY-MM-DD (default: today)")
        parser.add_argument(
            "--contract", type=int, action="append", help="contract id (repeatable)"
        )
        parser.add_argument("--dry-run", action="store_true", help="print only; store nothing")

    def handle(
        self, *args, as_of: date | None, contract: list[int] | None, dry_run: bool, **options
    ):
        as_of = as_of or timezone.localdate()
        if contract:
            scope = Contract.objects.filter(id__in=contract)
            missing = set(contract) - set(scope.values_list("id", flat=True))
            if missing:
                raise CommandError(
                    _("No contract with id %s.") % ", ".join(map(str, sorted(missing)))
                )
        else:
            scope = active_contracts()
        ids = list(scope.values_list("id", flat=True))
        chunks = [ids[i : i + CHUNK] for i in range(0, len(ids), CHUNK)]
        if len(chunks) > 1:
            chunks = progress(
                chunks, total=len(chunks), label=_("evaluating"), stream=self.stderr._out
            )
        evaluations: list[ClauseEvaluation] = []
        for chunk in chunks:
            contracts = Contract.objects.filter(id__in=chunk)
            if dry_run:
                evaluations += evaluate_clauses(as_of=as_of, contracts=contracts)
            else:
                evaluations += compliance_run(as_of=as_of, contracts=contracts).evaluations
        self._table(evaluations, as_of)

    def _table(self, evaluations: list[ClauseEvaluation], as_of: date) -> None:
        headers = [
            _("contract"), _("clause"), _("metric"), _("target"), _("expected"), _("reported"),
            _("verified"), _("shortfall"), _("status"), _("penalty (SEK)"),
        ]  # fmt: skip
        rows = [
            [
                item.clause.contract.reference,
                str(item.clause.id),
                item.clause.get_metric_display(),
                f"{item.evaluation.target}",
                f"{item.evaluation.expected}",
                f"{item.evaluation.reported}",
                f"{item.evaluation.verified}",
                f"{item.evaluation.shortfall}",
                str(ClauseStatus(item.evaluation.status).label),
                f"{item.evaluation.penalty_sek}",
            ]
            for item in evaluations
        ]
        widths = [
            max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=False)
        ]
        self.stdout.write(_("Compliance as of %s") % as_of.isoformat())
        for line in [headers, ["-" * w for w in widths], *rows]:
            self.stdout.write(
                "  ".join(str(cell).ljust(width) for cell, width in zip(line, widths, strict=False))
            )
        self.stdout.write(
            ngettext("%(count)d clause.", "%(count)d clauses.", len(rows)) % {"count": len(rows)}
        )
