"""Enumerations shared by the contracts models, the compliance engine and the API.

Kept apart from ``models.py`` so that the pure compliance and schedule modules can use them
without importing any model.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Metric(models.TextChoices):
    PLACEMENTS = "placements", _("placements")
    PLACEMENT_WEEKS = "placement_weeks", _("placement weeks")
    HOURS = "hours", _("hours")
    #: Heltidsmånader (Upphandlingsmyndigheten's criterion 11554 alt. a): pro-rated hours
    #: × 12 / (52 × the clause's full-time hours per week).
    FTE_MONTHS = "fte_months", _("full-time months")


class ClauseKind(models.TextChoices):
    """A numeric clause has a target and a status ladder; a dialogue clause ("the contractor
    shall in dialogue with the buyer offer placements") is followed without either."""

    NUMERIC = "numeric", _("numeric")
    DIALOGUE = "dialogue", _("dialogue")


class FirstStart(models.TextChoices):
    """Whether a clause's first job started or was offered in time (first_start_within_days)."""

    MET = "met", pgettext_lazy("first start", "met")
    PENDING = "pending", pgettext_lazy("first start", "pending")
    MISSED = "missed", pgettext_lazy("first start", "missed")


class ReportingFrequency(models.TextChoices):
    MONTHLY = "monthly", _("monthly")
    QUARTERLY = "quarterly", _("quarterly")


class ContractStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    ACTIVE = "active", pgettext_lazy("contract status", "active")
    COMPLETED = "completed", _("completed")
    TERMINATED = "terminated", _("terminated")


class ClauseStatus(models.TextChoices):
    """The status ladder of docs/RULES.md §1–§2, in the order the rules are tried."""

    MET = "met", _("met")
    BREACHED = "breached", _("breached")
    NOT_STARTED = "not_started", _("not started")
    ON_TRACK = "on_track", _("on track")
    AT_RISK = "at_risk", _("at risk")
    BEHIND = "behind", _("behind")
    #: A dialogue clause: followed, no target, no ladder.
    DIALOGUE = "dialogue", pgettext_lazy("clause status", "dialogue")


class Forecast(models.TextChoices):
    """When a clause reaches its target at the pace so far (docs/RULES.md §1–§2, issue 7)."""

    REACHED = "reached", _("target reached")
    ON_TIME = "on_time", _("reached by the due date")
    LATE = "late", _("not before the due date")
    UNKNOWN = "unknown", _("no pace yet")


class PeriodState(models.TextChoices):
    """State of one reporting period (docs/RULES.md §3), in order of precedence."""

    RECEIVED = "received", _("received")
    OVERDUE = "overdue", _("overdue")
    DUE_SOON = "due_soon", _("due soon")
    UPCOMING = "upcoming", _("upcoming")


class AlertKind(models.TextChoices):
    REPORT_OVERDUE = "report_overdue", _("report overdue")
    REPORT_DUE_SOON = "report_due_soon", _("report due soon")
    CLAUSE_BEHIND = "clause_behind", _("clause behind")
    CLAUSE_BREACHED = "clause_breached", _("clause breached")
    CLAUSE_FORECAST_SHORT = "clause_forecast_short", _("clause forecast short of target")
    CLAUSE_FIRST_START_MISSED = "clause_first_start_missed", _("first start missed")
    #: Rows of a contract waiting more than 14 days for the matcher's confirmation.
    ROWS_UNCONFIRMED = "rows_unconfirmed", _("rows unconfirmed")


class AlertState(models.TextChoices):
    OPEN = "open", pgettext_lazy("alert state", "open")
    ACKNOWLEDGED = "acknowledged", _("acknowledged")
    RESOLVED = "resolved", _("resolved")
