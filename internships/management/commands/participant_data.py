"""Data-subject requests for one participant: export everything stored, or erase (anonymise).

The person is found by their personnummer (turned into its pseudonym here; the number itself is
never printed, logged or stored) or by a participant reference. Erasure anonymises rather than
deletes: the rows carry the compliance figures and penalties the housing company must account
for, and once anonymised they no longer identify anyone (see internships/privacy.py).
"""

from __future__ import annotations

import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from internships.privacy import participant_erase, participant_export, participant_rows


class Command(BaseCommand):
    help = "Export (--export FILE) or erase (--erase) the data about one participant."

    def add_arguments(self, parser) -> None:
        who = parser.add_mutually_exclusive_group(required=True)
        who.add_argument("--personnummer", help="The person's personnummer (never shown).")
        who.add_argument("--ref", help="A participant reference.")
        parser.add_argument("--contract", type=int, help="Only this contract (id).")
        what = parser.add_mutually_exclusive_group(required=True)
        what.add_argument("--export", metavar="FILE", help="Write the data as JSON to FILE.")
        what.add_argument("--erase", action="store_true", help="Anonymise the person's rows.")

    def handle(self, *args, personnummer=None, ref=None, contract=None, export=None,
               erase=False, **options) -> None:  # fmt: skip
        try:
            rows = participant_rows(
                personnummer=personnummer or "", reference=ref or "", contract_id=contract
            )
        except ValidationError:
            raise CommandError("That is not a valid personnummer.") from None
        count = rows.count()
        if export:
            with open(export, "w", encoding="utf-8") as target:
                json.dump(participant_export(rows), target, ensure_ascii=False, indent=2)
            self.stdout.write(f"{count} rows written to {export}.")
        else:
            result = participant_erase(rows)
            self.stdout.write(
                f"{result.rows} rows anonymised ({result.history_rows} history records)."
            )
