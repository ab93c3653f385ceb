"""Contracts, target groups, social clauses and their milestones (docs/RULES.md §5)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce
from django.utils.formats import number_format
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .choices import (
    AlertKind,
    AlertState,
    ClauseKind,
    ClauseStatus,
    ContractStatus,
    FirstStart,
    Metric,
    ReportingFrequency,
)
from .schedule import Period, reporting_periods

#: The longest grace a contract gives for a report (docs/RULES.md §5.2).
MAX_REPORT_GRACE_DAYS = 365


class TargetGroup(models.Model):
    """A group of people far from the labour market that a clause may count (reference data)."""

    code = models.SlugField(_("code"), max_length=50, unique=True)
    name_sv = models.CharField(_("name (Swedish)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)

    class Meta:
        ordering = ["code"]
        verbose_name = _("target group")
        verbose_name_plural = _("target groups")

    def __str__(self) -> str:
        return self.name

    @staticmethod
    def name_field() -> str:
        """The field holding the name in the active language (Swedish unless English is
        active): for queries that name groups, as :attr:`name` does."""
        return "name_en" if (get_language() or "sv").startswith("en") else "name_sv"

    @property
    def name(self) -> str:
        """The name in the active language (Swedish unless English is active)."""
        return getattr(self, self.name_field())


class Contract(models.Model):
    """A contract awarded in a procurement, carrying social clauses."""

    reference = models.CharField(_("reference"), max_length=50, unique=True)
    title = models.CharField(_("title"), max_length=200)
    procurement = models.ForeignKey(
        "procurement.Procurement",
        on_delete=models.PROTECT,
        related_name="contracts",
        verbose_name=_("procurement"),
    )
    contractor = models.ForeignKey(
        "procurement.Contractor",
        on_delete=models.PROTECT,
        related_name="contracts",
        verbose_name=_("contractor"),
    )
    district = models.ForeignKey(
        "procurement.District",
        on_delete=models.PROTECT,
        related_name="contracts",
        verbose_name=_("district"),
    )
    value_sek = models.DecimalField(
        _("value (SEK)"), max_digits=14, decimal_places=2, validators=[MinValueValidator(0)]
    )
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"))
    reporting_frequency = models.CharField(
        _("reporting frequency"),
        max_length=10,
        choices=ReportingFrequency.choices,
        default=ReportingFrequency.QUARTERLY,
    )
    report_grace_days = models.PositiveSmallIntegerField(
        _("report grace days"),
        default=10,
        validators=[MaxValueValidator(MAX_REPORT_GRACE_DAYS)],
        help_text=_("Days after a period ends before its report is due."),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=ContractStatus.choices, default=ContractStatus.DRAFT
    )
    managers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="managed_contracts",
        verbose_name=_("managers"),
        help_text=_("Users who get this contract's alerts. Empty: everyone in the managers group."),
    )
    matcher = models.ForeignKey(
        "procurement.LabourMarketUnit",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="contracts",
        verbose_name=_("matching organisation"),
        help_text=_("The labour-market unit that finds candidates and confirms rows."),
    )
    # Set in the same transaction as a report transition; cleared once the contract has been
    # re-evaluated. Nothing is lost when the broker is down: a periodic scan picks it up.
    evaluation_requested_at = models.DateTimeField(
        _("evaluation requested at"), null=True, blank=True, editable=False
    )
    # The audit trail: every create, update and delete, with who and when (issue 6).
    history = HistoricalRecords(excluded_fields=["evaluation_requested_at"])

    class Meta:
        ordering = ["reference"]
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gt=F("start_date")), name="contract_end_after_start"
            ),
            models.CheckConstraint(
                condition=Q(value_sek__gte=0), name="contract_value_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(report_grace_days__lte=MAX_REPORT_GRACE_DAYS),
                name="contract_grace_days_at_most_365",
            ),
            models.CheckConstraint(
                condition=Q(reporting_frequency__in=ReportingFrequency.values),
                name="contract_frequency_valid",
            ),
            models.CheckConstraint(
                condition=Q(status__in=ContractStatus.values), name="contract_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    def clean(self) -> None:
        if self.start_date and self.end_date and self.end_date <= self.start_date:
            raise ValidationError({"end_date": _("The end date must be after the start date.")})

    def reporting_periods(self) -> list[Period]:
        """The contract's reporting periods (docs/RULES.md §3)."""
        return reporting_periods(
            start_date=self.start_date,
            end_date=self.end_date,
            frequency=self.reporting_frequency,
            grace_days=self.report_grace_days,
        )


class SocialClause(models.Model):
    """A measurable social commitment of a contract (sysselsättningskrav)."""

    contract = models.ForeignKey(
        Contract, on_delete=models.CASCADE, related_name="clauses", verbose_name=_("contract")
    )
    kind = models.CharField(
        _("kind"),
        max_length=10,
        choices=ClauseKind.choices,
        default=ClauseKind.NUMERIC,
        help_text=_("A dialogue clause is followed without a target."),
    )
    metric = models.CharField(_("metric"), max_length=20, choices=Metric.choices)
    target = models.DecimalField(
        _("target"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01"))],
        help_text=_("Required for a numeric clause; empty for a dialogue clause."),
    )
    start_date = models.DateField(
        _("start date"), blank=True, help_text=_("Empty: the contract's start date.")
    )
    due_date = models.DateField(
        _("due date"), blank=True, help_text=_("Empty: the contract's end date.")
    )
    min_placement_weeks = models.DecimalField(
        _("minimum placement weeks"),
        max_digits=6,
        decimal_places=2,
        default=Decimal(0),
        validators=[MinValueValidator(0)],
        help_text=_("A participant counts as a placement only after this many weeks."),
    )
    target_groups = models.ManyToManyField(
        TargetGroup,
        blank=True,
        related_name="clauses",
        verbose_name=_("target groups"),
        help_text=_("Empty: every target group counts."),
    )
    tolerance_pct = models.DecimalField(
        _("tolerance (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal(10),
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    penalty_per_unit_sek = models.DecimalField(
        _("penalty per missing unit (SEK)"),
        max_digits=12,
        decimal_places=2,
        default=Decimal(0),
        validators=[MinValueValidator(0)],
    )
    text = models.TextField(_("contract wording"), blank=True)
    # The Swedish model (criterion 11554): which employment types count, full-time months, the
    # first start, and rows confirmed by the matching organisation. Defaults keep the rules as
    # they were.
    employment_types = models.JSONField(
        _("employment types"),
        default=list,
        blank=True,
        help_text=_("Which employment types count. Empty: every type."),
    )
    full_time_hours_per_week = models.DecimalField(
        _("full-time hours per week"),
        max_digits=5,
        decimal_places=2,
        default=Decimal(40),
        validators=[MinValueValidator(Decimal("0.01"))],
        help_text=_("For full-time months: 12 months are 52 weeks of this many hours."),
    )
    first_start_within_days = models.PositiveSmallIntegerField(
        _("first start within (days)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text=_(
            "At least one counted job must start or be offered within this many days of the "
            "clause's start (e.g. 183 for six months). Empty: no such requirement."
        ),
    )
    requires_matcher_confirmation = models.BooleanField(
        _("requires the matcher's confirmation"),
        default=False,
        help_text=_(
            "Verified counts only rows the matching organisation has confirmed; disputed rows "
            "count nowhere."
        ),
    )
    template = models.CharField(
        _("template"),
        max_length=40,
        blank=True,
        help_text=_("The model clause this clause was filled from."),
    )
    history = HistoricalRecords(m2m_fields=[target_groups])

    class Meta:
        ordering = ["contract", "id"]
        verbose_name = _("social clause")
        verbose_name_plural = _("social clauses")
        constraints = [
            # A numeric clause has a positive target; a dialogue clause has none.
            models.CheckConstraint(
                condition=Q(kind=ClauseKind.NUMERIC, target__gt=0)
                | Q(kind=ClauseKind.DIALOGUE, target__isnull=True),
                name="clause_target_matches_kind",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=ClauseKind.values), name="clause_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(full_time_hours_per_week__gt=0),
                name="clause_full_time_hours_positive",
            ),
            models.CheckConstraint(
                condition=Q(first_start_within_days__isnull=True)
                | Q(first_start_within_days__gt=0),
                name="clause_first_start_days_positive",
            ),
            models.CheckConstraint(
                condition=Q(due_date__gt=F("start_date")), name="clause_due_after_start"
            ),
            models.CheckConstraint(
                condition=Q(tolerance_pct__gte=0, tolerance_pct__lte=100),
                name="clause_tolerance_0_to_100",
            ),
            models.CheckConstraint(
                condition=Q(min_placement_weeks__gte=0), name="clause_min_weeks_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(penalty_per_unit_sek__gte=0), name="clause_penalty_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(metric__in=Metric.values), name="clause_metric_valid"
            ),
        ]

    def __str__(self) -> str:
        if self.target is None:
            kind, metric = self.get_kind_display(), self.get_metric_display()
            return f"{self.contract.reference}: {kind} ({metric})"
        return f"{self.contract.reference}: {self.target:g} {self.get_metric_display()}"

    def save(self, *args, **kwargs) -> None:
        self.apply_contract_dates()
        super().save(*args, **kwargs)

    def clean(self) -> None:
        self.apply_contract_dates()
        errors: dict[str, str] = {}
        if self.kind == ClauseKind.DIALOGUE and self.target is not None:
            errors["target"] = _("A dialogue clause has no target.")
        elif self.kind != ClauseKind.DIALOGUE and self.target is None:
            errors["target"] = _("A numeric clause needs a target.")
        from internships.choices import EmploymentType

        types = self.employment_types
        if not isinstance(types, list) or any(t not in EmploymentType.values for t in types):
            errors["employment_types"] = _("Choose among: %(choices)s.") % {
                "choices": ", ".join(EmploymentType.values)
            }
        elif len(set(types)) != len(types):
            errors["employment_types"] = _("Each employment type at most once.")
        if self.contract_id and self.start_date and self.due_date:
            contract = self.contract
            if not contract.start_date <= self.start_date <= contract.end_date:
                errors["start_date"] = _("The start date must be within the contract's dates.")
            if not contract.start_date <= self.due_date <= contract.end_date:
                errors["due_date"] = _("The due date must be within the contract's dates.")
            if self.due_date <= self.start_date and "due_date" not in errors:
                errors["due_date"] = _("The due date must be after the start date.")
        if errors:
            raise ValidationError(errors)

    @property
    def is_dialogue(self) -> bool:
        return self.kind == ClauseKind.DIALOGUE

    def apply_contract_dates(self) -> None:
        """Default the window to the contract's dates (docs/RULES.md §5)."""
        if self.contract_id:
            if self.start_date is None:
                self.start_date = self.contract.start_date
            if self.due_date is None:
                self.due_date = self.contract.end_date


class ClauseMilestone(models.Model):
    """An intermediate cumulative target of a clause at a date."""

    clause = models.ForeignKey(
        SocialClause, on_delete=models.CASCADE, related_name="milestones", verbose_name=_("clause")
    )
    date = models.DateField(_("date"))
    cumulative_target = models.DecimalField(
        _("cumulative target"), max_digits=12, decimal_places=2, validators=[MinValueValidator(0)]
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["clause", "date"]
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        constraints = [
            models.UniqueConstraint(fields=["clause", "date"], name="milestone_unique_date"),
            models.CheckConstraint(
                condition=Q(cumulative_target__gte=0), name="milestone_target_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date}: {self.cumulative_target:g}"


def milestone_errors(
    clause: SocialClause, milestones: Sequence[tuple[date, Decimal]]
) -> list[tuple[int, str, str]]:
    """Check a clause's complete list of milestones, in the order given.

    Returns ``(index, field, message)`` for each problem: dates strictly increasing and inside the
    clause window, cumulative targets non-decreasing and the last at most the clause target. The
    rule needs every milestone at once, so it lives here rather than in one milestone's ``clean``.
    """
    clause.apply_contract_dates()
    errors: list[tuple[int, str, str]] = []
    previous: tuple[date, Decimal] | None = None
    for index, (when, cumulative) in enumerate(milestones):
        if (
            clause.start_date
            and clause.due_date
            and not (clause.start_date <= when <= clause.due_date)
        ):
            errors.append((index, "date", str(_("The date must be within the clause's window."))))
        if previous is not None:
            if when <= previous[0]:
                errors.append(
                    (index, "date", str(_("Milestone dates must be strictly increasing.")))
                )
            if cumulative < previous[1]:
                errors.append(
                    (
                        index,
                        "cumulative_target",
                        str(_("Cumulative targets must not decrease.")),
                    )
                )
        if clause.target is not None and cumulative > clause.target:
            errors.append(
                (
                    index,
                    "cumulative_target",
                    str(_("A milestone cannot exceed the clause's target.")),
                )
            )
        previous = (when, cumulative)
    return errors


class ClauseSnapshot(models.Model):
    """A clause's evaluation on one day, kept for trend charts and history."""

    clause = models.ForeignKey(
        SocialClause, on_delete=models.CASCADE, related_name="snapshots", verbose_name=_("clause")
    )
    date = models.DateField(_("date"))
    expected = models.DecimalField(_("expected"), max_digits=14, decimal_places=2)
    reported = models.DecimalField(_("reported"), max_digits=14, decimal_places=2)
    verified = models.DecimalField(_("verified"), max_digits=14, decimal_places=2)
    status = models.CharField(_("status"), max_length=12, choices=ClauseStatus.choices)
    first_start = models.CharField(
        _("first start"), max_length=10, choices=FirstStart.choices, blank=True
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["clause", "date"]
        verbose_name = _("clause snapshot")
        verbose_name_plural = _("clause snapshots")
        constraints = [
            models.UniqueConstraint(fields=["clause", "date"], name="snapshot_one_per_clause_day"),
        ]

    def __str__(self) -> str:
        return f"{self.clause_id} {self.date} {self.get_status_display()}"


class Alert(models.Model):
    """Something a manager, officer or contractor should know about (docs/RULES.md §4)."""

    kind = models.CharField(_("kind"), max_length=32, choices=AlertKind.choices)
    contract = models.ForeignKey(
        Contract, on_delete=models.CASCADE, related_name="alerts", verbose_name=_("contract")
    )
    clause = models.ForeignKey(
        SocialClause,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="alerts",
        verbose_name=_("clause"),
    )
    period_start = models.DateField(_("period start"), null=True, blank=True)
    state = models.CharField(
        _("state"), max_length=12, choices=AlertState.choices, default=AlertState.OPEN
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("acknowledged by"),
    )
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    # Set when an officer closes a clause_breached alert (``services.alert_close``).
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("closed by"),
    )
    close_comment = models.TextField(_("comment on closing"), blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        constraints = [
            # One open alert per key. clause and period_start are NULL for some kinds, and NULLs
            # are distinct in a unique index, so they are coalesced to fixed values.
            models.UniqueConstraint(
                "kind",
                "contract",
                Coalesce("clause", Value(0)),
                Coalesce("period_start", Value(date(1, 1, 1))),
                condition=~Q(state=AlertState.RESOLVED),
                name="alert_one_open_per_key",
            ),
            models.CheckConstraint(condition=Q(kind__in=AlertKind.values), name="alert_kind_valid"),
            models.CheckConstraint(
                condition=Q(state__in=AlertState.values), name="alert_state_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["state", "kind"], name="alert_state_kind"),
            # The API's and the dashboard's lists, newest first, a page at a time: without it every
            # page sorts all alerts (37,000 after the first run over 10,000 contracts).
            models.Index(fields=["-created_at", "-id"], name="alert_newest_first"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.contract.reference}"


class AlertNotification(models.Model):
    """One recipient's copy of a new alert, until it has gone out in an e-mail digest.

    Workers claim unsent rows with a conditional UPDATE (see ``services.alert_digests_send``), so
    two workers never send the same row; a claim that is never completed expires and the row is
    sent by a later run, so a killed worker loses nothing.
    """

    alert = models.ForeignKey(
        Alert, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("alert")
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="alert_notifications",
        verbose_name=_("recipient"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    claimed_by = models.CharField(_("claimed by"), max_length=64, blank=True)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("alert notification")
        verbose_name_plural = _("alert notifications")
        constraints = [
            models.UniqueConstraint(
                fields=["alert", "recipient"], name="notification_one_per_recipient"
            ),
        ]
        indexes = [models.Index(fields=["sent_at", "claimed_at"], name="notification_unsent")]

    def __str__(self) -> str:
        return f"{self.alert} → {self.recipient}"


class BenchmarkBand(models.Model):
    """What contracts of a size usually deliver per MSEK of contract value (issue 7).

    A band runs from its ``from_msek`` up to the next band's; the rates are a realistic range
    (low–high) for placements and placement weeks per MSEK. Officers use them to set targets at
    procurement time; the annual report and the contract page compare each contract with them.
    """

    from_msek = models.DecimalField(
        _("from contract value (MSEK)"),
        max_digits=10,
        decimal_places=1,
        unique=True,
        validators=[MinValueValidator(Decimal(0))],
        help_text=_("The band covers contracts from this value up to the next band's."),
    )
    placements_low = models.DecimalField(
        _("placements per MSEK, low"),
        max_digits=8,
        decimal_places=2,
        validators=[MinValueValidator(Decimal(0))],
    )
    placements_high = models.DecimalField(
        _("placements per MSEK, high"),
        max_digits=8,
        decimal_places=2,
        validators=[MinValueValidator(Decimal(0))],
    )
    weeks_low = models.DecimalField(
        _("placement weeks per MSEK, low"),
        max_digits=8,
        decimal_places=2,
        validators=[MinValueValidator(Decimal(0))],
    )
    weeks_high = models.DecimalField(
        _("placement weeks per MSEK, high"),
        max_digits=8,
        decimal_places=2,
        validators=[MinValueValidator(Decimal(0))],
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["from_msek"]
        verbose_name = _("benchmark band")
        verbose_name_plural = _("benchmark bands")
        constraints = [
            models.CheckConstraint(
                condition=Q(from_msek__gte=0)
                & Q(placements_low__gte=0)
                & Q(weeks_low__gte=0)
                & Q(placements_high__gte=F("placements_low"))
                & Q(weeks_high__gte=F("weeks_low")),
                name="benchmark_band_ranges",
            ),
        ]

    def __str__(self) -> str:
        whole = self.from_msek == self.from_msek.to_integral_value()
        value = number_format(self.from_msek, decimal_pos=0 if whole else None, use_l10n=True)
        return _("from %(value)s MSEK") % {"value": value}

    def clean(self) -> None:
        errors = {
            high: _("Must not be lower than the low end.")
            for low, high in (("placements_low", "placements_high"), ("weeks_low", "weeks_high"))
            if None not in (getattr(self, low), getattr(self, high))
            and getattr(self, high) < getattr(self, low)
        }
        if errors:
            raise ValidationError(errors)


class ComplianceRun(models.Model):
    """The ledger of one day's compliance run (``evaluate_all``), so it finishes once.

    The run works through the active contracts in batches ordered by id; each batch commits with
    ``last_contract_id`` and ``heartbeat_at``, so a run taken over after its worker died goes on
    from there. ``owner`` holds the lease: a run whose heartbeat is older than the lease is
    taken to be from a dead worker and may be claimed by another (docs/RULES.md §4).
    """

    as_of = models.DateField(_("day"), unique=True)
    started_at = models.DateTimeField(_("started"), auto_now_add=True)
    heartbeat_at = models.DateTimeField(_("last heartbeat"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    owner = models.CharField(_("worker's claim"), max_length=32, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_contract_id = models.BigIntegerField(_("last contract done"), default=0)
    contracts_done = models.PositiveIntegerField(_("contracts done"), default=0)
    clauses = models.PositiveIntegerField(_("clauses evaluated"), default=0)
    alerts_opened = models.PositiveIntegerField(_("alerts opened"), default=0)
    alerts_resolved = models.PositiveIntegerField(_("alerts resolved"), default=0)

    class Meta:
        ordering = ["-as_of"]
        verbose_name = _("compliance run")
        verbose_name_plural = _("compliance runs")

    def __str__(self) -> str:
        return str(self.as_of)
