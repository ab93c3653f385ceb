"""Writes of the matching organisation: a matcher confirms or disputes rows and refers
candidates; a contractor accepts or declines a referral (docs/RULES.md, the Swedish model).

Every service owns its transaction. A confirmation or dispute changes what counts as verified
(on a clause with ``requires_matcher_confirmation``), so it marks the row's contract for
re-evaluation in the same transaction, as a report's submission does; the evaluation runs after
commit (or, with the broker down, at the next scheduled run).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from functools import partial

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from contracts.models import Contract, TargetGroup
from contracts.services import contract_evaluation_request
from core import audit
from core.exceptions import TransitionError
from core.roles import acts_for_contractor, matcher_unit_id_of
from internships.choices import ReferralStatus, Verification
from internships.models import PlacementReport, PlacementRow, Referral
from internships.pseudonyms import participant_ref_from

from .selectors import confirmable_rows

#: The fields a row's verification is made of (copied together, cleared together).
VERIFICATION_FIELDS = ("verification", "verified_by", "verified_at", "verification_comment")
#: The facts a matcher confirms: a row with the same facts keeps its verification when a
#: correction copies or re-saves it.
CONFIRMED_FACTS = (
    "participant_ref",
    "target_group_id",
    "start_date",
    "end_date",
    "hours",
    "employment_type",
    "offered_on",
)


def _unit_of(user, message) -> int:
    unit_id = matcher_unit_id_of(user)
    if unit_id is None:
        raise PermissionDenied(message)
    return unit_id


def _reevaluate(contract_ids: Iterable[int]) -> None:
    # The same mechanism as a report's transition: the mark is set in this transaction, the
    # worker is asked after commit (internships.services).
    from internships.services import _enqueue_evaluation

    for contract_id in sorted(set(contract_ids)):
        contract_evaluation_request(contract_id=contract_id)
        transaction.on_commit(partial(_enqueue_evaluation, contract_id), robust=True)


def _decide(
    rows: list[PlacementRow], *, user, verification: str, comment: str
) -> list[PlacementRow]:
    now = timezone.now()
    for row in rows:
        row.verification = verification
        row.verified_by = user
        row.verified_at = now
        row.verification_comment = comment
        audit.by(row, user).save(update_fields=list(VERIFICATION_FIELDS))
    _reevaluate(row.report.contract_id for row in rows)
    return rows


def rows_confirm(*, row_ids: list[int], user) -> list[PlacementRow]:
    """A matcher confirms rows of submitted or approved reports of the contracts its unit
    serves: all of them or, if any id is not such a row, none (a ValidationError under
    ``rows`` names the ids refused). A disputed row may be confirmed after all."""
    unit_id = _unit_of(user, _("Only a matcher can confirm rows."))
    wanted = list(dict.fromkeys(row_ids))
    if not wanted:
        raise ValidationError({"rows": _("Choose at least one row.")})
    with transaction.atomic():
        rows = list(
            confirmable_rows(unit_id=unit_id)
            .select_for_update(of=("self",))
            .select_related("report")
            .filter(pk__in=wanted)
            .order_by("id")
        )
        missing = sorted(set(wanted) - {row.pk for row in rows})
        if missing:
            raise ValidationError(
                {
                    "rows": _(
                        "These rows are not waiting for your unit's word (not found, or their "
                        "report is not submitted or approved): %(ids)s."
                    )
                    % {"ids": ", ".join(str(pk) for pk in missing)}
                }
            )
        return _decide(rows, user=user, verification=Verification.CONFIRMED, comment="")


def row_dispute(*, row_id: int, user, comment: str) -> PlacementRow:
    """A matcher disputes one row, saying why; a disputed row counts neither as reported nor as
    verified on a clause that requires the matcher's confirmation."""
    unit_id = _unit_of(user, _("Only a matcher can dispute rows."))
    comment = (comment or "").strip()
    if not comment:
        raise ValidationError({"comment": _("Say why the row is disputed.")})
    with transaction.atomic():
        row = (
            confirmable_rows(unit_id=unit_id)
            .select_for_update(of=("self",))
            .select_related("report")
            .filter(pk=row_id)
            .first()
        )
        if row is None:
            raise PlacementRow.DoesNotExist
        return _decide([row], user=user, verification=Verification.DISPUTED, comment=comment)[0]


def verification_carry(*, report: PlacementReport, rows: list[PlacementRow]) -> None:
    """On a correction, a row with the same facts as a row of the version it corrects keeps
    that row's verification (the matcher confirmed those facts); any changed or new row is
    unconfirmed. ``rows`` are not yet saved."""
    if not report.corrects_id or not rows:
        return
    earlier = {
        tuple(getattr(row, name) for name in CONFIRMED_FACTS): row
        for row in PlacementRow.objects.filter(report_id=report.corrects_id).exclude(
            verification=Verification.UNCONFIRMED
        )
    }
    for row in rows:
        same = earlier.get(tuple(getattr(row, name) for name in CONFIRMED_FACTS))
        if same is not None:
            for name in VERIFICATION_FIELDS:
                setattr(row, name, getattr(same, name))


# --- Referrals -----------------------------------------------------------------------------------


def referral_create(
    *,
    user,
    contract: Contract,
    target_group: TargetGroup,
    proposed_start: date,
    participant_ref: str = "",
    personnummer: str = "",
    employment_type: str = "",
    notes: str = "",
) -> Referral:
    """A matcher refers a candidate to a contract its unit serves. A personnummer is replaced by
    its pseudonym before anything is stored."""
    unit_id = _unit_of(user, _("Only a matcher can refer candidates."))
    errors: dict[str, list] = {}
    if contract.matcher_id != unit_id:
        errors["contract"] = [_("Choose one of the contracts your unit serves.")]
    try:
        ref = participant_ref_from(participant_ref=participant_ref, personnummer=personnummer)
    except ValidationError as error:  # never echoes the number
        errors["participant_ref"] = list(error.messages)
    if errors:
        raise ValidationError(errors)
    referral = Referral(
        contract=contract,
        unit_id=unit_id,
        referred_by=user,
        participant_ref=ref,
        target_group=target_group,
        proposed_start=proposed_start,
        notes=(notes or "").strip(),
    )
    if employment_type:
        referral.employment_type = employment_type
    referral.full_clean(exclude=["unit", "referred_by", "row"])
    with transaction.atomic():
        audit.by(referral, user).save()
    return referral


def _decided(referral: Referral, *, user, status: str, reason: str = "") -> Referral:
    with transaction.atomic():
        current = (
            Referral.objects.select_for_update(of=("self",))
            .select_related("contract")
            .get(pk=referral.pk)
        )
        if not acts_for_contractor(user, current.contract.contractor_id):
            raise PermissionDenied(_("Only the contractor's own users can answer a referral."))
        if current.status != ReferralStatus.PROPOSED:
            raise TransitionError(
                _("This referral has already been answered: %(status)s.")
                % {"status": current.get_status_display()}
            )
        current.status = status
        current.decided_by = user
        current.decided_at = timezone.now()
        current.decline_reason = reason
        audit.by(current, user).save(
            update_fields=["status", "decided_by", "decided_at", "decline_reason"]
        )
    return current


def referral_accept(*, referral: Referral, user) -> Referral:
    """The contractor takes the candidate: the next report form of the contract offers a row
    for them."""
    return _decided(referral, user=user, status=ReferralStatus.ACCEPTED)


def referral_decline(*, referral: Referral, user, reason: str) -> Referral:
    """The contractor declines the candidate, saying why."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the referral is declined.")})
    return _decided(referral, user=user, status=ReferralStatus.DECLINED, reason=reason)


def referrals_to_prefill(*, contract_id: int, period_end: date) -> list[Referral]:
    """Accepted referrals of a contract that no report row holds yet and that start by the end of
    the period: the report form offers a row for each."""
    return list(
        Referral.objects.filter(
            contract_id=contract_id,
            status=ReferralStatus.ACCEPTED,
            row__isnull=True,
            proposed_start__lte=period_end,
        )
        .select_related("target_group")
        .order_by("proposed_start", "id")
    )


def referrals_link_rows(*, report: PlacementReport) -> int:
    """Mark each accepted referral of the report's contract that no row holds yet with the
    report's row of the same participant (the row it pre-filled). Returns how many."""
    rows = dict(
        PlacementRow.objects.filter(report_id=report.pk)
        .order_by("-start_date", "-id")
        .values_list("participant_ref", "id")
    )
    if not rows:
        return 0
    linked = 0
    for referral in Referral.objects.filter(
        contract_id=report.contract_id,
        status=ReferralStatus.ACCEPTED,
        row__isnull=True,
        participant_ref__in=list(rows),
    ):
        referral.row_id = rows[referral.participant_ref]
        referral.save(update_fields=["row"])
        linked += 1
    return linked
