"""Template tags of the web interface: status badges and progress bars.

A badge always says the status in words and with a symbol; colour only repeats it (WCAG 1.4.1).
"""

from __future__ import annotations

from django import template
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext

from contracts.choices import ClauseStatus, Forecast, PeriodState
from core import charts
from core.formats import amount
from internships.choices import ReportStatus

register = template.Library()

_SYMBOLS = {
    ClauseStatus.MET: "✓",
    ClauseStatus.ON_TRACK: "➜",
    ClauseStatus.AT_RISK: "!",
    ClauseStatus.BEHIND: "▼",
    ClauseStatus.BREACHED: "✕",
    ClauseStatus.NOT_STARTED: "○",
    ClauseStatus.DIALOGUE: "◇",
    PeriodState.RECEIVED: "✓",
    PeriodState.UPCOMING: "○",
    PeriodState.DUE_SOON: "!",
    PeriodState.OVERDUE: "✕",
    ReportStatus.DRAFT: "✎",
    ReportStatus.SUBMITTED: "➜",
    ReportStatus.APPROVED: "✓",
    ReportStatus.REJECTED: "✕",
    ReportStatus.SUPERSEDED: "↺",
}


def _badge(prefix: str, value: str, label: str) -> SafeString:
    return format_html(
        '<span class="badge {}-{}"><span aria-hidden="true">{}</span> {}</span>',
        prefix,
        value,
        _SYMBOLS.get(value, ""),
        label,
    )


@register.simple_tag
def status_badge(status: str) -> SafeString:
    """A clause's compliance status."""
    return _badge("status", status, ClauseStatus(status).label)


@register.simple_tag
def state_badge(state: str) -> SafeString:
    """A reporting period's state (received, upcoming, due soon, overdue)."""
    return _badge("state", state, PeriodState(state).label)


@register.simple_tag
def report_badge(status: str) -> SafeString:
    """A report's status (draft, submitted, approved, rejected)."""
    return _badge("report", status, ReportStatus(status).label)


register.filter("amount", amount)  # core.formats.amount: also the charts' numbers


def forecast_text(evaluation) -> str:
    """When the clause reaches its target at the pace so far, in words."""
    if evaluation.forecast == Forecast.ON_TIME and evaluation.forecast_date:
        return gettext("Target reached on %(day)s at the pace so far") % {
            "day": date_format(evaluation.forecast_date, "SHORT_DATE_FORMAT")
        }
    if evaluation.forecast is None:  # a dialogue clause: no target, so no forecast
        return "–"
    return str(Forecast(evaluation.forecast).label).capitalize()


register.filter("forecast", forecast_text)


@register.simple_tag
def progress(evaluation) -> SafeString:
    """Reported against the target, with a marker where the clause should stand today. A
    dialogue clause has no target: its delivery in words, no bar."""
    if evaluation.target is None:
        return format_html(
            '<p class="progress-dialogue">{}</p>',
            gettext("Reported %(reported)s; a dialogue clause has no target.")
            % {"reported": amount(evaluation.reported)},
        )
    label = gettext(
        "Reported %(reported)s of the target %(target)s; expected by now: %(expected)s."
    ) % {
        "reported": amount(evaluation.reported),
        "target": amount(evaluation.target),
        "expected": amount(evaluation.expected),
    }
    return charts.progress_bar(
        reported=evaluation.reported,
        expected=evaluation.expected,
        target=evaluation.target,
        label=label,
    )


_VERIFICATION_SYMBOLS = {"unconfirmed": "○", "confirmed": "✓", "disputed": "✕"}


@register.simple_tag
def verification_badge(verification: str) -> SafeString:
    """The matching organisation's word on a row (unconfirmed, confirmed, disputed)."""
    from internships.choices import Verification

    return format_html(
        '<span class="badge verification-{}"><span aria-hidden="true">{}</span> {}</span>',
        verification,
        _VERIFICATION_SYMBOLS.get(verification, ""),
        Verification(verification).label,
    )
