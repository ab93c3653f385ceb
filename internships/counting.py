"""Which reports count: the one rule, as a pure function, a Django ``Q`` and an SQL condition.

A report's rows count as *reported* when the report is submitted or approved, and as *verified*
when it is approved (docs/RULES.md §1–§2); a period is *received* when the report that stands for it
counts as reported (§5). Corrections are versions of an approved report: a correction counts only
once approved (its corrected report then becomes ``superseded`` and no longer counts), so a
pending correction never stands for its period and the version it corrects keeps counting until
then. Drafts, rejected and superseded reports never count.

Everything that needs the rule (the SQL totals, the pure engine's ``RowFact``, the dashboard, the
schedule, the annual report, the portal) takes it from here: the three forms below are made from
the same two tables, and ``tests/internships/test_counting.py`` checks that they agree.

Importable without loading models (the pure engine uses it).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol, TypeVar

from django.db.models import Q

from .choices import ReportStatus

_SUBMITTED = ReportStatus.SUBMITTED.value
_APPROVED = ReportStatus.APPROVED.value
_REJECTED = ReportStatus.REJECTED.value
_SUPERSEDED = ReportStatus.SUPERSEDED.value


@dataclass(frozen=True)
class Measure:
    """One thing a report's rows can count as: the statuses in which they count, for a report
    that is an original and for one that is a correction."""

    name: str
    original: frozenset[str]
    correction: frozenset[str]

    def counts(self, status: str, is_correction: bool) -> bool:
        """Do the rows of a report with ``status`` count (``is_correction``: it corrects an
        approved report)?"""
        return status in (self.correction if is_correction else self.original)

    def q(self, prefix: str = "") -> Q:
        """The rule as an ORM filter on reports (``prefix`` reaches them from another model,
        e.g. ``"report__"`` from a row)."""
        return _condition(
            self,
            always=lambda statuses: Q(**{f"{prefix}status__in": sorted(statuses)}),
            original=lambda statuses: Q(
                **{f"{prefix}status__in": sorted(statuses), f"{prefix}corrects__isnull": True}
            ),
            correction=lambda statuses: Q(
                **{f"{prefix}status__in": sorted(statuses), f"{prefix}corrects__isnull": False}
            ),
            either=lambda a, b: a | b,
            never=lambda: Q(pk__in=[]),
        )

    def sql(self, alias: str) -> str:
        """The rule as an SQL condition on the report table aliased ``alias`` (its ``status``
        and ``corrects_id`` columns). Statuses are our own constants, written as literals."""

        def among(statuses: frozenset[str]) -> str:
            return f"{alias}.status IN ({', '.join(_literal(s) for s in sorted(statuses))})"

        return _condition(
            self,
            always=among,
            original=lambda statuses: f"({among(statuses)} AND {alias}.corrects_id IS NULL)",
            correction=lambda statuses: f"({among(statuses)} AND {alias}.corrects_id IS NOT NULL)",
            either=lambda a, b: f"({a} OR {b})",
            never=lambda: "1 = 0",
        )


def _literal(status: str) -> str:
    if not status.isidentifier():  # never happens for ReportStatus; guards the SQL above
        raise ValueError(f"not a status: {status!r}")
    return f"'{status}'"


def _condition(measure: Measure, *, always, original, correction, either, never):
    """Build the condition of ``measure`` with the given makers: statuses that count for both
    kinds of report, and those that count only for originals or only for corrections."""
    parts = []
    both = measure.original & measure.correction
    if both:
        parts.append(always(both))
    if measure.original - both:
        parts.append(original(measure.original - both))
    if measure.correction - both:
        parts.append(correction(measure.correction - both))
    if not parts:
        return never()
    result = parts[0]
    for part in parts[1:]:
        result = either(result, part)
    return result


#: Rows counted as *reported*; a period whose report counts so is *received*.
REPORTED = Measure(
    "reported",
    original=frozenset({_SUBMITTED, _APPROVED}),
    correction=frozenset({_APPROVED}),
)
#: Rows counted as *verified* (approved by an officer).
VERIFIED = Measure(
    "verified",
    original=frozenset({_APPROVED}),
    correction=frozenset({_APPROVED}),
)
#: Statuses of a report that has come in and was not sent back: it was submitted, and is still
#: waiting, approved, or approved and later corrected. The first such original's submission is
#: the day its period's report was received (on time or late).
CAME_STATUSES = frozenset({_SUBMITTED, _APPROVED, _SUPERSEDED})


def counts_as_reported(status: str, is_correction: bool) -> bool:
    """Rows of such a report count as reported, and its period as received."""
    return REPORTED.counts(status, is_correction)


def counts_as_verified(status: str, is_correction: bool) -> bool:
    """Rows of such a report count as verified."""
    return VERIFIED.counts(status, is_correction)


def came_in(status: str, is_correction: bool) -> bool:
    """An original that came in and was not sent back (see :data:`CAME_STATUSES`): the first
    submission of one is the day its period's report was received."""
    return not is_correction and status in CAME_STATUSES


def statuses_on_approval(report_id: int, corrects_id: int | None) -> dict[int, str]:
    """The statuses approving a report gives: the report approved and, for a correction, the
    version it corrects superseded (it stops counting as the correction starts)."""
    statuses = {report_id: _APPROVED}
    if corrects_id is not None:
        statuses[corrects_id] = _SUPERSEDED
    return statuses


class Version(Protocol):
    """A report as the version rules read it."""

    status: str
    corrects_id: int | None


V = TypeVar("V", bound=Version)


def period_report(reports: Iterable[V], *, with_pending_correction: bool = False) -> V | None:
    """The report that stands for a period, of its ``reports`` (oldest first).

    The period's report is its version that is neither rejected nor superseded, if it has one,
    else its latest rejected report. For counting and the schedule a correction stands for the
    period only once approved (``with_pending_correction=False``); for the contractor, a
    correction in progress is the version being worked on (``True``).
    """
    current: V | None = None
    for report in reports:
        if report.status == _SUPERSEDED:
            continue
        if (
            not with_pending_correction
            and report.corrects_id is not None
            and report.status != _APPROVED
        ):
            continue
        # Later versions replace earlier ones; a rejected one only replaces a rejected one.
        if current is None or current.status == _REJECTED or report.status != _REJECTED:
            current = report
    return current
