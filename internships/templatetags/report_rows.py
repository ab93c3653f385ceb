"""The rows of a report with, per clause, whether each counts and why not (issue 12)."""

from __future__ import annotations

from django import template
from django.utils import timezone

from internships.choices import ReportStatus
from internships.models import PlacementReport
from internships.selectors import RowWithVerdicts, report_row_verdicts

register = template.Library()

#: Reports shown as they count now; any other is shown as it would count once approved.
_AS_THEY_ARE = (ReportStatus.APPROVED, ReportStatus.SUPERSEDED)


@register.simple_tag
def report_rows(report: PlacementReport, as_approved: bool | None = None) -> list[RowWithVerdicts]:
    """``report``'s rows with their verdicts today (:func:`report_row_verdicts`). By default a
    report that is not approved (a draft, a report waiting for review, a rejected one) is judged
    as if it were approved, so that the contractor and the officer see what it would add."""
    if as_approved is None:
        as_approved = report.status not in _AS_THEY_ARE
    return report_row_verdicts(report, as_of=timezone.localdate(), as_approved=as_approved)


@register.filter
def judged_as_approved(report: PlacementReport) -> bool:
    """Whether :func:`report_rows` judges ``report`` as if it were approved by default."""
    return report.status not in _AS_THEY_ARE


@register.filter
def person_facts(row) -> list[str]:
    """What a row tells about its participant (DESIGN.md §10.1), as short phrases in the active
    language: gender, born abroad or in Sweden, age band. Facts not told are left out."""
    from django.utils.text import capfirst
    from django.utils.translation import gettext as _

    from internships.choices import AgeBand, BornAbroad, Gender

    facts = []
    if row.gender != Gender.UNDISCLOSED:
        facts.append(str(row.get_gender_display()))
    if row.born_abroad == BornAbroad.YES:
        facts.append(_("born abroad"))
    elif row.born_abroad == BornAbroad.NO:
        facts.append(_("born in Sweden"))
    if row.age_band != AgeBand.UNDISCLOSED:
        facts.append(_("%(band)s years") % {"band": row.get_age_band_display()})
    return [capfirst(facts[0]), *facts[1:]] if facts else []
