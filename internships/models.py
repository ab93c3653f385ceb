"""Placement reports and their rows (docs/RULES.md §5)."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from contracts.schedule import is_period

from .choices import (
    AgeBand,
    BornAbroad,
    EmploymentType,
    Gender,
    ReferralStatus,
    ReportStatus,
    Verification,
)
from .pseudonyms import participant_ref_from

#: At most this many hours per started week of a row (docs/RULES.md §5).
MAX_HOURS_PER_WEEK = 60


#: A report's fields set only by the services (submit, approve, reject, correct): read-only in the
#: API and the admin, or the superseding, the re-evaluation and the reviewer's stamp would be
#: skipped.
REPORT_WORKFLOW_FIELDS = (
    "status",
    "submitted_by",
    "submitted_at",
    "reviewed_by",
    "reviewed_at",
    "review_comment",
    "corrects",
    "correction_reason",
)


class PlacementReport(models.Model):
    """A contractor's report of the placements on one contract in one reporting period."""

    contract = models.ForeignKey(
        "contracts.Contract",
        on_delete=models.PROTECT,
        related_name="reports",
        verbose_name=_("contract"),
    )
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    status = models.CharField(
        _("status"), max_length=10, choices=ReportStatus.choices, default=ReportStatus.DRAFT
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("submitted by"),
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reviewed by"),
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    review_comment = models.TextField(_("review comment"), blank=True)
    # A correction of an approved report: a new version of the same period, reviewed like any
    # report. Until it is approved the corrected report keeps counting; when it is approved the
    # corrected one becomes "superseded". Every version is kept.
    corrects = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="corrections",
        verbose_name=_("corrects"),
    )
    correction_reason = models.TextField(_("reason for the correction"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["contract", "period_start", "-created_at"]
        verbose_name = _("placement report")
        verbose_name_plural = _("placement reports")
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__gte=F("period_start")), name="report_period_end_after_start"
            ),
            models.CheckConstraint(
                condition=Q(status__in=ReportStatus.values), name="report_status_valid"
            ),
            # A rejected report may be corrected and sent again as a new one; any other status
            # holds the period. Corrections of an approved report are versions of it instead.
            models.UniqueConstraint(
                fields=["contract", "period_start"],
                condition=~Q(status__in=[ReportStatus.REJECTED, ReportStatus.SUPERSEDED])
                & Q(corrects__isnull=True),
                name="report_one_open_per_period",
                violation_error_message=_("This contract already has a report for this period."),
            ),
            models.UniqueConstraint(
                fields=["corrects"],
                condition=~Q(status__in=[ReportStatus.REJECTED, ReportStatus.SUPERSEDED]),
                name="report_one_open_correction",
                violation_error_message=_("This report already has a correction in progress."),
            ),
        ]
        indexes = [models.Index(fields=["status", "contract"], name="report_status_contract")]

    def __str__(self) -> str:
        return f"{self.contract.reference} {self.period_start}–{self.period_end}"

    def clean(self) -> None:
        if (
            self.contract_id
            and self.period_start
            and self.period_end
            and not is_period(self.contract.reporting_periods(), self.period_start, self.period_end)
        ):
            raise ValidationError(
                {"period_start": _("The period must be one of the contract's reporting periods.")}
            )


class PlacementRow(models.Model):
    """What one participant did in a report's period."""

    report = models.ForeignKey(
        PlacementReport, on_delete=models.CASCADE, related_name="rows", verbose_name=_("report")
    )
    participant_ref = models.CharField(
        _("participant reference"),
        max_length=64,
        help_text=_("Your stable code for the person. A personnummer is pseudonymised at once."),
    )
    target_group = models.ForeignKey(
        "contracts.TargetGroup",
        on_delete=models.PROTECT,
        related_name="rows",
        verbose_name=_("target group"),
    )
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"))
    hours = models.DecimalField(
        _("hours"), max_digits=7, decimal_places=2, validators=[MinValueValidator(0)]
    )
    role = models.CharField(_("role"), max_length=100, blank=True, help_text=_("Trade."))
    notes = models.TextField(_("notes"), blank=True)
    # The Swedish model: what kind of job, when it was offered, whether the participant ended it,
    # and the person facts the district goal is followed by (all optional; "not told" by default).
    employment_type = models.CharField(
        _("employment type"),
        max_length=16,
        choices=EmploymentType.choices,
        default=EmploymentType.INTERNSHIP,
    )
    offered_on = models.DateField(
        _("offered on"),
        null=True,
        blank=True,
        help_text=_("The day the job was offered; not after the start date."),
    )
    ended_by_participant = models.BooleanField(
        _("ended by the participant"),
        default=False,
        help_text=_("The participant ended the job early on their own initiative."),
    )
    gender = models.CharField(
        _("gender"), max_length=12, choices=Gender.choices, default=Gender.UNDISCLOSED
    )
    born_abroad = models.CharField(
        _("born abroad"), max_length=12, choices=BornAbroad.choices, default=BornAbroad.UNDISCLOSED
    )
    age_band = models.CharField(
        _("age band"), max_length=12, choices=AgeBand.choices, default=AgeBand.UNDISCLOSED
    )
    home_district = models.ForeignKey(
        "procurement.District",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="resident_rows",
        verbose_name=_("home district"),
        help_text=_("Where the participant lives. Empty: outside our districts, or not told."),
    )
    # The matching organisation's word on the row (set only by its services).
    verification = models.CharField(
        _("verification"),
        max_length=12,
        choices=Verification.choices,
        default=Verification.UNCONFIRMED,
    )
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("confirmed or disputed by"),
    )
    verified_at = models.DateTimeField(_("confirmed or disputed at"), null=True, blank=True)
    verification_comment = models.TextField(_("verification comment"), blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["report", "participant_ref", "start_date"]
        verbose_name = _("placement row")
        verbose_name_plural = _("placement rows")
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")), name="row_end_not_before_start"
            ),
            models.CheckConstraint(condition=Q(hours__gte=0), name="row_hours_not_negative"),
            models.CheckConstraint(
                condition=Q(offered_on__isnull=True) | Q(offered_on__lte=F("start_date")),
                name="row_offered_not_after_start",
            ),
            models.CheckConstraint(
                condition=Q(employment_type__in=EmploymentType.values),
                name="row_employment_type_valid",
            ),
            models.CheckConstraint(condition=Q(gender__in=Gender.values), name="row_gender_valid"),
            models.CheckConstraint(
                condition=Q(born_abroad__in=BornAbroad.values), name="row_born_abroad_valid"
            ),
            models.CheckConstraint(
                condition=Q(age_band__in=AgeBand.values), name="row_age_band_valid"
            ),
            models.CheckConstraint(
                condition=Q(verification__in=Verification.values),
                name="row_verification_valid",
            ),
            # A dispute always says why.
            models.CheckConstraint(
                condition=~Q(verification=Verification.DISPUTED) | ~Q(verification_comment=""),
                name="row_dispute_has_comment",
            ),
        ]
        indexes = [models.Index(fields=["participant_ref"], name="row_participant")]

    def __str__(self) -> str:
        return f"{self.participant_ref} {self.start_date}–{self.end_date}"

    def save(self, *args, **kwargs) -> None:
        # Last line of defence for privacy: whatever path created the row, a personnummer in
        # participant_ref is replaced by its pseudonym before it can reach the database.
        self.participant_ref = participant_ref_from(participant_ref=self.participant_ref)
        super().save(*args, **kwargs)

    def clean(self) -> None:
        errors: dict[str, str] = {}
        try:
            self.participant_ref = participant_ref_from(participant_ref=self.participant_ref)
        except ValidationError as error:
            errors["participant_ref"] = error.messages[0]
        if self.report_id and self.start_date and self.end_date:
            for _index, field, message in row_errors(self.report, [RowDates.of(self)]):
                errors.setdefault(field, message)
        # A refused reference is most likely a mistyped personnummer: it must not be sent to the
        # database (where query logging would record it), and an overlap check on it means nothing.
        if self.report_id and self.start_date and self.end_date and "participant_ref" not in errors:
            overlapping = (
                self.report.rows.exclude(pk=self.pk)
                .filter(
                    participant_ref=self.participant_ref,
                    start_date__lte=self.end_date,
                    end_date__gte=self.start_date,
                )
                .exists()
            )
            if overlapping:
                errors.setdefault(
                    "start_date", _("This participant already has a row for overlapping dates.")
                )
        if self.offered_on and self.start_date and self.offered_on > self.start_date:
            errors.setdefault("offered_on", _("The offer cannot come after the start date."))
        if errors:
            raise ValidationError(errors)


class Referral(models.Model):
    """A candidate the matching organisation refers to a contract; the contractor accepts or
    declines. An accepted referral pre-fills a row of the contract's next report."""

    contract = models.ForeignKey(
        "contracts.Contract",
        on_delete=models.CASCADE,
        related_name="referrals",
        verbose_name=_("contract"),
    )
    unit = models.ForeignKey(
        "procurement.LabourMarketUnit",
        on_delete=models.PROTECT,
        related_name="referrals",
        verbose_name=_("labour-market unit"),
    )
    referred_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("referred by"),
    )
    participant_ref = models.CharField(
        _("participant reference"),
        max_length=64,
        help_text=_("The candidate's pseudonym. A personnummer is pseudonymised at once."),
    )
    target_group = models.ForeignKey(
        "contracts.TargetGroup",
        on_delete=models.PROTECT,
        related_name="referrals",
        verbose_name=_("target group"),
    )
    employment_type = models.CharField(
        _("employment type"),
        max_length=16,
        choices=EmploymentType.choices,
        default=EmploymentType.INTERNSHIP,
    )
    proposed_start = models.DateField(_("proposed start"))
    notes = models.TextField(_("notes"), blank=True)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=ReferralStatus.choices,
        default=ReferralStatus.PROPOSED,
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decline_reason = models.TextField(_("reason for declining"), blank=True)
    #: The row the accepted referral pre-filled, once a report holds it.
    row = models.ForeignKey(
        PlacementRow,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="referrals",
        verbose_name=_("row"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ReferralStatus.values), name="referral_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(employment_type__in=EmploymentType.values),
                name="referral_employment_type_valid",
            ),
            # A declined referral always says why.
            models.CheckConstraint(
                condition=~Q(status=ReferralStatus.DECLINED) | ~Q(decline_reason=""),
                name="referral_decline_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.participant_ref} → {self.contract.reference}"

    def save(self, *args, **kwargs) -> None:
        self.participant_ref = participant_ref_from(participant_ref=self.participant_ref)
        super().save(*args, **kwargs)


@dataclass(frozen=True)
class RowDates:
    """The fields of a row that the cross-row rules look at."""

    participant_ref: str
    start_date: date
    end_date: date
    hours: Decimal

    @classmethod
    def of(cls, row: PlacementRow) -> RowDates:
        return cls(row.participant_ref, row.start_date, row.end_date, row.hours)


def max_hours(start_date: date, end_date: date) -> int:
    """The most hours a row may carry: 60 per started week."""
    return MAX_HOURS_PER_WEEK * math.ceil(((end_date - start_date).days + 1) / 7)


def row_errors(report: PlacementReport, rows: Sequence[RowDates]) -> list[tuple[int, str, str]]:
    """Check a report's complete set of rows, in the order given.

    Returns ``(index, field, message)``: rows inside the report's period, end not before start,
    hours within 60 per started week, and no two rows of one participant overlapping in dates.
    """
    errors: list[tuple[int, str, str]] = []
    by_participant: dict[str, list[tuple[int, RowDates]]] = defaultdict(list)
    for index, row in enumerate(rows):
        if row.start_date is None or row.end_date is None:
            continue
        if not report.period_start <= row.start_date <= report.period_end:
            errors.append(
                (index, "start_date", str(_("The date must be within the report's period.")))
            )
        if not report.period_start <= row.end_date <= report.period_end:
            errors.append(
                (index, "end_date", str(_("The date must be within the report's period.")))
            )
        if row.end_date < row.start_date:
            errors.append(
                (index, "end_date", str(_("The end date must not be before the start date.")))
            )
            continue
        if row.hours is not None and row.hours > max_hours(row.start_date, row.end_date):
            errors.append(
                (
                    index,
                    "hours",
                    str(
                        _("At most %(max)s hours for these dates (60 per started week).")
                        % {"max": max_hours(row.start_date, row.end_date)}
                    ),
                )
            )
        by_participant[row.participant_ref].append((index, row))
    for entries in by_participant.values():
        # Sorted by start, a row overlaps an earlier one exactly when it starts on or before the
        # latest end seen so far (a long row can cover several later ones).
        entries.sort(key=lambda entry: entry[1].start_date)
        latest_end: date | None = None
        for index, row in entries:
            if latest_end is not None and row.start_date <= latest_end:
                errors.append(
                    (
                        index,
                        "start_date",
                        str(_("This participant already has a row for overlapping dates.")),
                    )
                )
            latest_end = row.end_date if latest_end is None else max(latest_end, row.end_date)
    return errors
