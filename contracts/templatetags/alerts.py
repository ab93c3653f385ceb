"""Template helpers of alerts: who may close which alert (the rule is in ``core.roles`` and
``contracts.services.alert_close``; this only decides whether to show the form)."""

from __future__ import annotations

from django import template

from contracts.choices import AlertKind, AlertState
from core.roles import is_officer

register = template.Library()


@register.filter
def closable_by(alert, user) -> bool:
    """Whether ``user`` is offered the form to close ``alert``: an officer, an unresolved
    ``clause_breached`` alert."""
    return (
        alert.kind == AlertKind.CLAUSE_BREACHED
        and alert.state != AlertState.RESOLVED
        and is_officer(user)
    )
