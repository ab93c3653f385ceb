"""Writes of the internships app: report transitions (docs/RULES.md §5, §6).

Every service here owns its transaction (``transaction.atomic()`` inside it): a caller (portal
view, API, admin, import) needs no wrapper, and a row lock (``select_for_update``) is always taken
inside one, as PostgreSQL requires. Who may do what is asked of ``core.roles`` only.

Each transition locks the report, checks that it is legal, and marks the contract for
re-evaluation in the same transaction; after commit it asks a worker to re-evaluate at once. If
the broker is unreachable the submission still succeeds: the mark stays, and the periodic
``contracts.evaluate_requested`` job evaluates it (nothing is lost).
"""

from __future__ import annotations

import logging
from functools import partial

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from contracts.services import contract_evaluation_request
from core import audit
from core.exceptions import TransitionError
from core.models import language_of
from core.redis_faults import enqueue_unless_redis_down
from core.roles import acts_for_contractor, is_officer, users_of_contractor

from .choices import EDITABLE_STATUSES, ReportStatus
from .counting import statuses_on_approval
from .models import PlacementReport, PlacementRow, RowDates, row_errors

logger = logging.getLogger(__name__)


def _enqueue_evaluation(contract_id: int) -> None:
    from contracts.tasks import evaluate_contract

    # With Redis down or hung this gives up at once; evaluation_requested_at, set in the
    # transaction, has the next scheduled run (or a worker's start) evaluate the contract.
    if not enqueue_unless_redis_down(evaluate_contract, args=[contract_id]):
        logger.warning(
            "Broker unreachable: contract %s will be evaluated by the next scheduled run.",
            contract_id,
        )


def _after_transition(report: PlacementReport) -> None:
    contract_evaluation_request(contract_id=report.contract_id)
    transaction.on_commit(partial(_enqueue_evaluation, report.contract_id), robust=True)


def _check_own(user, report: PlacementReport, message: str) -> None:
    """Only the contractor's own users (and superusers) may act on its reports."""
    if not acts_for_contractor(user, report.contract.contractor_id):
        raise PermissionDenied(message)


def _locked(report: PlacementReport) -> PlacementReport:
    return PlacementReport.objects.select_for_update().select_related("contract").get(pk=report.pk)


def report_submit(*, report: PlacementReport, user) -> PlacementReport:
    """The contractor sends a draft (or a corrected rejected report) for review."""
    with transaction.atomic():
        report = _locked(report)
        _check_own(user, report, _("Only the contractor's own users can submit its reports."))
        if report.status not in EDITABLE_STATUSES:
            raise TransitionError(
                _("Only a draft or rejected report can be submitted; this one is %(status)s.")
                % {"status": report.get_status_display()}
            )
        report.full_clean(exclude=["status"])
        errors = row_errors(report, [RowDates.of(row) for row in report.rows.all()])
        if errors:
            raise ValidationError(
                [
                    _("Row %(row)s: %(message)s") % {"row": i + 1, "message": m}
                    for i, _f, m in errors
                ]
            )
        audit.by(report, user)
        report.status = ReportStatus.SUBMITTED
        report.submitted_by = user
        report.submitted_at = timezone.now()
        try:
            with transaction.atomic():
                report.save(update_fields=["status", "submitted_by", "submitted_at", "updated_at"])
        except IntegrityError:
            raise TransitionError(
                _("This contract already has a report for this period.")
            ) from None
        _after_transition(report)
    return report


def _review(*, report: PlacementReport, user, status: str, comment: str) -> PlacementReport:
    with transaction.atomic():
        report = _locked(report)
        if not is_officer(user):
            raise PermissionDenied(_("Only procurement officers can review reports."))
        if report.status != ReportStatus.SUBMITTED:
            raise TransitionError(
                _("Only a submitted report can be reviewed; this one is %(status)s.")
                % {"status": report.get_status_display()}
            )
        if status == ReportStatus.APPROVED:
            # Approving a correction changes the status of the version it corrects too (kept,
            # no longer counted): the statuses come from the one counting rule.
            others = statuses_on_approval(report.pk, report.corrects_id)
            others.pop(report.pk)
            for other in PlacementReport.objects.select_for_update().filter(pk__in=others):
                other.status = others[other.pk]
                audit.by(other, user).save(update_fields=["status", "updated_at"])
        audit.by(report, user)
        report.status = status
        report.reviewed_by = user
        report.reviewed_at = timezone.now()
        report.review_comment = comment
        report.save(
            update_fields=["status", "reviewed_by", "reviewed_at", "review_comment", "updated_at"]
        )
        _after_transition(report)
    return report


def report_approve(*, report: PlacementReport, user, comment: str = "") -> PlacementReport:
    """An officer approves a submitted report: its rows now count as verified."""
    return _review(report=report, user=user, status=ReportStatus.APPROVED, comment=comment)


def report_reject(*, report: PlacementReport, user, comment: str) -> PlacementReport:
    """An officer rejects a submitted report; the comment tells the contractor what to fix.

    The contractor's users are told by e-mail once the rejection is committed (see
    ``_rejection_mails_send``); a failing mail server never undoes the rejection.
    """
    if not (comment or "").strip():
        raise ValidationError({"review_comment": _("Say why the report is rejected.")})
    with transaction.atomic():
        report = _review(
            report=report, user=user, status=ReportStatus.REJECTED, comment=comment.strip()
        )
        transaction.on_commit(partial(_rejection_mails_send, report.pk), robust=True)
    return report


def _rejection_mails_send(report_id: int) -> int:
    """E-mail each active user of the report's contractor that it was rejected, with the
    officer's comment and a link, each in their own language. Returns the number sent; a
    failure is logged, never raised (the rejection stands and shows on the portal's home page).
    """
    report = PlacementReport.objects.select_related("contract").get(pk=report_id)
    recipients = (
        users_of_contractor(report.contract.contractor_id)
        .exclude(email="")
        .select_related("profile")
        .order_by("id")
    )
    site_url = settings.SITE_URL.rstrip("/")
    sent = 0
    for recipient in recipients:
        try:
            with translation.override(language_of(recipient)):
                context = {
                    "recipient": recipient,
                    "report": report,
                    "url": site_url + reverse("portal:report", args=[report.pk]),
                }
                subject = render_to_string("internships/email/report_rejected_subject.txt", context)
                text = render_to_string("internships/email/report_rejected.txt", context)
            send_mail(" ".join(subject.split()), text, None, [recipient.email])
        except Exception:
            logger.exception(
                "Could not e-mail user %s that report %s was rejected.", recipient.pk, report_id
            )
        else:
            sent += 1
    return sent


def report_save(*, report: PlacementReport, rows: list[dict] | None, user) -> PlacementReport:
    """Create or edit a draft report and replace its rows (complete list) in one transaction.

    Only drafts (and rejected reports being corrected) can be edited; ``rows`` are already
    validated one by one and together (``row_errors``) by the caller's serializer.
    """
    with transaction.atomic():
        existed = report.pk is not None
        if existed:
            current = _locked(report)
            if current.status not in EDITABLE_STATUSES:
                raise TransitionError(
                    _("A %(status)s report cannot be edited.")
                    % {"status": current.get_status_display()}
                )
        # With "status" excluded, the one constraint left for full_clean is "a period ends on or
        # after its start", which clean() already ensures (the period must be one of the
        # contract's), and Django only checks it when clean() passed: it can never fail here,
        # yet costs three round trips (a savepoint, a query, a release). The database keeps it.
        report.full_clean(exclude=["status"], validate_constraints=False)
        _check_own(user, report, _("Only the contractor's own users can write its reports."))
        audit.by(report, user)
        try:
            with transaction.atomic():
                report.save()
        except IntegrityError:
            raise ValidationError(
                {"period_start": _("This contract already has a report for this period.")}
            ) from None
        if rows is not None:
            # A new report has no rows yet: no query for them.
            for old in report.rows.all() if existed else ():
                audit.by(old, user).delete()
            audit.bulk_create(
                PlacementRow, (PlacementRow(report=report, **row) for row in rows), user=user
            )
    return report


def report_correct(*, report: PlacementReport, user, reason: str) -> PlacementReport:
    """A contractor starts a correction of an approved report: a new draft version of the same
    period with a copy of its rows and the reason. It goes through review like any report; the
    approved version keeps counting until the correction is approved (then it is superseded).
    """
    if not (reason or "").strip():
        raise ValidationError({"correction_reason": _("Say why the report is corrected.")})
    with transaction.atomic():
        current = _locked(report)
        _check_own(user, current, _("Only the contractor's own users can correct its reports."))
        if current.status != ReportStatus.APPROVED:
            raise TransitionError(
                _("Only an approved report can be corrected; this one is %(status)s.")
                % {"status": current.get_status_display()}
            )
        correction = PlacementReport(
            contract=current.contract,
            period_start=current.period_start,
            period_end=current.period_end,
            corrects=current,
            correction_reason=reason.strip(),
        )
        audit.by(correction, user)
        try:
            with transaction.atomic():
                correction.save()
        except IntegrityError:
            raise TransitionError(_("This report already has a correction in progress.")) from None
        # The row's facts are copied too (the Swedish model's included); the matcher's word
        # (verification) is not: a corrected row is a new row to confirm.
        fields = [
            "participant_ref",
            "target_group_id",
            "start_date",
            "end_date",
            "hours",
            "employment_type",
            "offered_on",
            "ended_by_participant",
            "gender",
            "born_abroad",
            "age_band",
            "home_district_id",
        ]
        audit.bulk_create(
            PlacementRow,
            (
                PlacementRow(
                    report=correction,
                    role=row.role,
                    notes=row.notes,
                    **{name: getattr(row, name) for name in fields},
                )
                for row in current.rows.all()
            ),
            user=user,
            reason="correction",
        )
    return correction


def report_delete(*, report: PlacementReport, user) -> None:
    """A contractor (or an officer, in the admin) discards a draft; anything sent for review is
    kept."""
    # The lock and the delete in one transaction: on PostgreSQL a lock outside one is an error
    # (the portal called this without a wrapper), and the status checked is the one deleted.
    with transaction.atomic():
        current = _locked(report)
        if not (is_officer(user) or acts_for_contractor(user, current.contract.contractor_id)):
            raise PermissionDenied(_("Only the contractor's own users can delete its reports."))
        if current.status != ReportStatus.DRAFT:
            raise TransitionError(
                _("Only a draft can be deleted; this one is %(status)s.")
                % {"status": current.get_status_display()}
            )
        audit.by(current, user).delete()
