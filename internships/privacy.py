"""Privacy: retention and data-subject requests (GDPR art. 5(1)(e), 15, 17; issue 6).

Participant references are pseudonyms (``pn-…``, a keyed HMAC of a personnummer) or a
contractor's own codes. Some years after a contract has ended (``RETENTION_YEARS``) there is no
longer any reason to be able to link its rows to a person: every reference of that contract is
replaced by a random token (``anon-…``) that nobody can reverse — the same token for the same
person within the contract, so every count of distinct participants, every total and therefore
every compliance figure stays exactly the same — and the rows' free-text notes are cleared. The
audit trail's copies of those rows (``PlacementRow.history``) are rewritten the same way, or the
old references would survive there.

Rows are anonymised rather than deleted: the compliance figures, the penalties and the annual
report of the housing company rest on them (a legal obligation and a task in the public
interest), and they no longer identify anyone.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet

from contracts.models import Contract

from .models import PlacementReport, PlacementRow
from .pseudonyms import participant_ref_from

ANON_PREFIX = "anon-"


@dataclass
class RetentionResult:
    """What a retention run did (or would do, in a dry run)."""

    contracts: int = 0
    participants: int = 0
    rows: int = 0
    history_rows: int = 0


def retention_cutoff(as_of: date, years: int | None = None) -> date:
    """Contracts that ended before this day are due for anonymisation."""
    years = settings.RETENTION_YEARS if years is None else years
    try:
        return as_of.replace(year=as_of.year - years)
    except ValueError:  # 29 February
        return as_of.replace(year=as_of.year - years, day=28)


def _token(taken: set[str]) -> str:
    while True:
        token = ANON_PREFIX + secrets.token_hex(16)
        if token not in taken:
            taken.add(token)
            return token


def anonymise(
    rows: QuerySet[PlacementRow], *, dry_run: bool = False, result: RetentionResult | None = None
) -> RetentionResult:
    """Replace every not yet anonymised reference among ``rows`` by a random token, one per
    (contract, reference), and clear the notes — in the rows and in their history. One UPDATE of
    the rows and one of the history per participant, in one transaction."""
    result = result or RetentionResult()
    pending = rows.exclude(participant_ref__startswith=ANON_PREFIX)
    pairs = sorted(
        set(pending.values_list("report__contract_id", "participant_ref")),
    )
    result.participants += len(pairs)
    result.rows += pending.count()
    report_ids = set(pending.values_list("report_id", flat=True))
    history = PlacementRow.history.filter(report_id__in=report_ids)
    result.history_rows += history.exclude(participant_ref__startswith=ANON_PREFIX).count()
    if dry_run:
        return result
    taken: set[str] = set()
    with transaction.atomic():
        for contract_id, reference in pairs:
            token = _token(taken)
            PlacementRow.objects.filter(
                report__contract_id=contract_id, participant_ref=reference
            ).update(participant_ref=token, notes="")
            # The history's copies: the old reference must not survive in the audit trail.
            PlacementRow.history.filter(
                report__contract_id=contract_id, participant_ref=reference
            ).update(participant_ref=token, notes="")
    return result


def retention_apply(*, as_of: date, dry_run: bool = False) -> RetentionResult:
    """Anonymise the rows of every contract due for it on ``as_of`` (idempotent)."""
    result = RetentionResult()
    contracts = list(
        Contract.objects.filter(end_date__lt=retention_cutoff(as_of))
        .filter(reports__rows__isnull=False)
        .values_list("id", flat=True)
        .distinct()
    )
    for contract_id in contracts:
        before = result.participants
        anonymise(
            PlacementRow.objects.filter(report__contract_id=contract_id),
            dry_run=dry_run,
            result=result,
        )
        result.contracts += result.participants > before
    return result


def participant_rows(
    *, personnummer: str = "", reference: str = "", contract_id: int | None = None
) -> QuerySet[PlacementRow]:
    """The rows about one person: by the pseudonym of a personnummer, or by a reference."""
    ref = participant_ref_from(personnummer=personnummer) if personnummer else reference.strip()
    rows = PlacementRow.objects.filter(participant_ref=ref)
    if contract_id is not None:
        rows = rows.filter(report__contract_id=contract_id)
    return rows.select_related("report__contract", "target_group", "home_district").order_by(
        "start_date", "id"
    )


def participant_export(rows: QuerySet[PlacementRow]) -> dict[str, Any]:
    """Everything stored about the person of ``rows`` (a data-subject access request)."""

    def row_data(row: Any, contract_ref: str) -> dict[str, Any]:
        return {
            "contract": contract_ref,
            "participant_ref": row.participant_ref,
            "target_group": row.target_group.code if row.target_group_id else None,
            "start_date": row.start_date.isoformat(),
            "end_date": row.end_date.isoformat(),
            "hours": str(row.hours),
            "role": row.role,
            "notes": row.notes,
            "employment_type": row.employment_type,
            "offered_on": row.offered_on.isoformat() if row.offered_on else None,
            "ended_by_participant": row.ended_by_participant,
            "gender": row.gender,
            "born_abroad": row.born_abroad,
            "age_band": row.age_band,
            "home_district": row.home_district.name if row.home_district_id else None,
        }

    refs = set(rows.values_list("participant_ref", flat=True))
    history = (
        PlacementRow.history.filter(participant_ref__in=refs)
        .select_related("target_group", "history_user", "home_district")
        .order_by("history_date")
    )
    history = list(history)
    report_contract = dict(
        PlacementReport.objects.filter(pk__in={record.report_id for record in history}).values_list(
            "id", "contract__reference"
        )
    )
    return {
        "rows": [
            {
                **row_data(row, row.report.contract.reference),
                "report": row.report_id,
                "report_status": row.report.status,
            }
            for row in rows
        ],
        "history": [
            {
                **row_data(record, report_contract.get(record.report_id, "")),
                "report": record.report_id,
                "change": record.history_type,
                "at": record.history_date.isoformat(),
                "by": record.history_user.get_username() if record.history_user else None,
            }
            for record in history
        ],
    }


def participant_erase(rows: QuerySet[PlacementRow]) -> RetentionResult:
    """Erasure (art. 17) as far as the law allows: the person's references become random tokens
    and their notes are cleared, here and in the history; the rows stay, anonymous, because the
    compliance figures and penalties depend on them."""
    return anonymise(PlacementRow.objects.filter(pk__in=list(rows.values_list("pk", flat=True))))
