"""Reads of the matching organisation: rows waiting for a matcher's word, referrals, and the
contracts whose rows have waited too long (docs/RULES.md, the Swedish model)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Q, QuerySet

from contracts.selectors import contract_list
from core.roles import contractor_id_of, matcher_unit_id_of, sees_everything
from internships.choices import ReportStatus, Verification
from internships.models import PlacementRow, Referral

#: The reports whose rows a matcher confirms or disputes: sent in and not replaced.
CONFIRMABLE_STATUSES = (ReportStatus.SUBMITTED, ReportStatus.APPROVED)

#: A row waits this long (since its report was submitted) before ``rows_unconfirmed`` is raised.
UNCONFIRMED_AFTER = timedelta(days=14)


def confirmable_rows(*, unit_id: int) -> QuerySet[PlacementRow]:
    """The rows a unit may confirm or dispute: of submitted and approved reports of the
    contracts it serves."""
    return PlacementRow.objects.filter(
        report__contract__matcher_id=unit_id, report__status__in=CONFIRMABLE_STATUSES
    )


def row_list(*, user) -> QuerySet[PlacementRow]:
    """The rows of the reports ``user`` may see (:func:`internships.selectors.report_list`),
    with their report, contract, target group and who confirmed or disputed them."""
    from internships.selectors import report_list

    return (
        PlacementRow.objects.filter(report__in=report_list(user=user).values("id"))
        .select_related("report__contract", "target_group", "verified_by")
        .order_by("report__contract__reference", "report__period_start", "start_date", "id")
    )


def rows_waiting(*, user) -> QuerySet[PlacementRow]:
    """The rows waiting for ``user``'s unit to confirm them, the longest waiting first."""
    unit_id = matcher_unit_id_of(user)
    if unit_id is None:
        return PlacementRow.objects.none()
    return (
        confirmable_rows(unit_id=unit_id)
        .filter(verification=Verification.UNCONFIRMED)
        .select_related("report__contract", "target_group")
        .order_by("report__submitted_at", "report__contract__reference", "start_date", "id")
    )


def rows_decided(*, user, limit: int = 50) -> list[PlacementRow]:
    """The rows ``user``'s unit confirmed or disputed most recently."""
    unit_id = matcher_unit_id_of(user)
    if unit_id is None:
        return []
    return list(
        confirmable_rows(unit_id=unit_id)
        .exclude(verification=Verification.UNCONFIRMED)
        .select_related("report__contract", "target_group", "verified_by")
        .order_by("-verified_at", "-id")[:limit]
    )


def referral_list(*, user) -> QuerySet[Referral]:
    """Staff see every referral; a matcher its unit's; a contractor user those to its own
    contracts."""
    referrals = Referral.objects.select_related(
        "contract", "unit", "target_group", "referred_by", "decided_by", "row__report"
    ).order_by("-created_at", "-id")
    if sees_everything(user):
        return referrals
    if contractor_id_of(user) is not None:
        return referrals.filter(contract__in=contract_list(user=user).values("id"))
    unit_id = matcher_unit_id_of(user)
    if unit_id is not None:
        return referrals.filter(unit_id=unit_id)
    return referrals.none()


def contracts_with_rows_waiting(*, contract_ids: QuerySet, now: datetime) -> set[int]:
    """Of ``contract_ids`` (a values("id") queryset), those served by a unit with a row that has
    waited more than ``UNCONFIRMED_AFTER`` since its report was submitted. One query."""
    waiting = PlacementRow.objects.filter(
        Q(report__contract__in=contract_ids)
        & Q(report__contract__matcher__isnull=False)
        & Q(report__status__in=CONFIRMABLE_STATUSES)
        & Q(verification=Verification.UNCONFIRMED)
        & Q(report__submitted_at__lt=now - UNCONFIRMED_AFTER)
    )
    return set(waiting.order_by().values_list("report__contract_id", flat=True).distinct())
