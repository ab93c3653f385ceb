"""The compliance engine: the rules of docs/RULES.md §1–§2 as pure functions over plain data.

This is the one place where a social clause is measured. Selectors turn clauses, milestones and
placement rows into the plain values below; the API, admin, dashboard, exports and Celery tasks all
call :func:`evaluate_clause` and nothing else re-implements a formula.

The module deliberately knows nothing about the ORM, so it can be tested exhaustively without a
database and called on data fetched set-based for many clauses at once.

All arithmetic is exact (:class:`fractions.Fraction`; a ``Decimal`` converts to a ``Fraction``
without loss). Statuses are decided on exact values, so seven one-day rows are exactly one week and
a contractor exactly on target is never reported as behind because of a rounding error. Only the
fields of :class:`Evaluation` are rounded, to 2 places, half up, as the API shows them.
"""

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

from contracts.choices import ClauseKind, ClauseStatus, FirstStart, Forecast, Metric
from internships.choices import EmploymentType, Verification
from internships.counting import REPORTED, VERIFIED, Measure

DAYS_PER_WEEK = 7


@dataclass(frozen=True)
class ClauseTerms:
    """What a social clause promises, detached from the database.

    ``milestones`` are ``(date, cumulative_target)`` pairs; ``target_groups`` holds target-group
    codes and, when empty, means that every group counts; so does ``employment_types`` for
    employment types. The options of the Swedish model (docs/RULES.md §7) default to the rules
    of §1–§2: full-time months of 40 hours a week, no first-start requirement, no matcher's
    confirmation. A dialogue clause (``kind``) has no target.
    """

    metric: str
    target: Decimal | None
    start_date: date
    due_date: date
    min_placement_weeks: Decimal = Decimal(0)
    tolerance_pct: Decimal = Decimal(10)
    penalty_per_unit_sek: Decimal = Decimal(0)
    target_groups: frozenset[str] = frozenset()
    milestones: tuple[tuple[date, Decimal], ...] = ()
    kind: str = ClauseKind.NUMERIC.value
    employment_types: frozenset[str] = frozenset()
    full_time_hours_per_week: Decimal = Decimal(40)
    first_start_within_days: int | None = None
    requires_matcher_confirmation: bool = False

    def __post_init__(self) -> None:
        # The database guarantees these; failing here beats a ZeroDivisionError deep in a
        # formula when a caller builds terms from unsaved input.
        if self.due_date <= self.start_date:
            raise ValueError("A clause's due_date must be after its start_date.")
        if (self.kind == ClauseKind.DIALOGUE) != (self.target is None):
            raise ValueError("A dialogue clause has no target; a numeric clause has one.")
        if self.full_time_hours_per_week <= 0:
            raise ValueError("A clause's full_time_hours_per_week must be positive.")

    @property
    def is_dialogue(self) -> bool:
        return self.kind == ClauseKind.DIALOGUE


@dataclass(frozen=True)
class RowFact:
    """One placement row together with the current status of the report it belongs to, and
    whether that report is a correction (which counts only once approved:
    :mod:`internships.counting`)."""

    participant_ref: str
    target_group: str
    start_date: date
    end_date: date
    hours: Decimal
    report_status: str
    is_correction: bool = False
    employment_type: str = EmploymentType.INTERNSHIP.value
    offered_on: date | None = None
    ended_by_participant: bool = False
    verification: str = Verification.UNCONFIRMED.value

    def __post_init__(self) -> None:
        # Same reason as in ClauseTerms: a reversed row would have zero or negative length.
        if self.end_date < self.start_date:
            raise ValueError("A placement row's end_date must not be before its start_date.")


@dataclass(frozen=True)
class Evaluation:
    """The measured state of one clause on one day, rounded for display and storage."""

    as_of: date
    metric: str
    #: ``None`` (with ``expected`` and ``shortfall``) for a dialogue clause.
    target: Decimal | None
    expected: Decimal | None
    reported: Decimal
    verified: Decimal
    shortfall: Decimal | None
    status: str
    projected_total: Decimal
    penalty_sek: Decimal
    #: When the target is reached at the pace so far (:func:`target_forecast`); ``None`` for a
    #: dialogue clause.
    forecast: str | None
    forecast_date: date | None
    #: ``met``, ``pending`` or ``missed`` (:func:`first_start_status`); ``None`` without the
    #: clause's first_start_within_days.
    first_start: str | None = None


def evaluation_window(terms: ClauseTerms, as_of: date) -> tuple[date, date] | None:
    """Return the inclusive date range whose work counts towards the clause as of ``as_of``.

    Work after ``as_of`` has not happened yet, and work after the due date is too late to count.
    ``None`` means nothing can count yet because the clause has not started.
    """
    if as_of < terms.start_date:
        return None
    return terms.start_date, min(terms.due_date, as_of)


def overlap_days(row_start: date, row_end: date, window_start: date, window_end: date) -> int:
    """Return how many days of a row (both ends inclusive) fall inside the window, never < 0."""
    return max(0, (min(row_end, window_end) - max(row_start, window_start)).days + 1)


def _row_days(row: RowFact) -> int:
    """Length of a row in days, counting both ends, so a one-day row is 1 day long."""
    return (row.end_date - row.start_date).days + 1


def _counts_for_group(terms: ClauseTerms, row: RowFact) -> bool:
    # A clause without target groups is about everyone the contractor places.
    return not terms.target_groups or row.target_group in terms.target_groups


def _counts_for_type(terms: ClauseTerms, row: RowFact) -> bool:
    # A clause without employment types counts every type.
    return not terms.employment_types or row.employment_type in terms.employment_types


_DISPUTED = Verification.DISPUTED.value
_CONFIRMED = Verification.CONFIRMED.value


def _counts_as_confirmed(terms: ClauseTerms, row: RowFact, measure: Measure) -> bool:
    """The matcher's word (docs/RULES.md §7.5): on a clause that requires it, a disputed row
    counts nowhere, and only a confirmed row counts as verified."""
    if not terms.requires_matcher_confirmation:
        return True
    if row.verification == _DISPUTED:
        return False
    return measure != VERIFIED or row.verification == _CONFIRMED


def row_counts(terms: ClauseTerms, row: RowFact, measure: Measure) -> bool:
    """Whether a row counts towards the clause for ``measure``, whatever its dates: its report
    counts, and the clause takes its target group, its employment type and its verification."""
    return (
        measure.counts(row.report_status, row.is_correction)
        and _counts_for_group(terms, row)
        and _counts_for_type(terms, row)
        and _counts_as_confirmed(terms, row, measure)
    )


def ended_by_participant(rows: Iterable[RowFact], measure: Measure) -> set[str]:
    """The participants whose last row in the contract was ended by the participant (the 75 %
    rule, docs/RULES.md §7.3).

    A participant's last row is the one with the latest ``end_date`` among their rows of the
    contract's reports that count for ``measure``, whatever the clause's target groups,
    employment types, verification and window. When several rows end on that day, the
    participant ended it if any of them says so.
    """
    last: dict[str, tuple[date, bool]] = {}
    for row in rows:
        if not measure.counts(row.report_status, row.is_correction):
            continue
        key = (row.end_date, row.ended_by_participant)
        if row.participant_ref not in last or key > last[row.participant_ref]:
            last[row.participant_ref] = key
    return {ref for ref, (_end, ended) in last.items() if ended}


def placement_counts(weeks: Fraction, min_weeks: Fraction, *, ended_by_participant: bool) -> bool:
    """Whether a participant with ``weeks`` in the window is a placement: weeks > 0 and at least
    the minimum, or at least 75 % of it when the participant ended their last row."""
    if weeks <= 0:
        return False
    if weeks >= min_weeks:
        return True
    return ended_by_participant and weeks >= min_weeks * Fraction(3, 4)


def fte_months(hours: Fraction, full_time_hours_per_week: Decimal) -> Fraction:
    """Hours as full-time months: 12 months are 52 weeks of the clause's full-time hours."""
    return hours * 12 / (52 * Fraction(full_time_hours_per_week))


def metric_total(
    terms: ClauseTerms, rows: Iterable[RowFact], as_of: date, measure: Measure
) -> Fraction:
    """Return the exact amount of the clause's metric delivered inside the window.

    Only rows whose report counts for ``measure`` count: pass ``REPORTED`` for *reported* and
    ``VERIFIED`` for *verified* (:mod:`internships.counting`, the rule the SQL totals use too).
    A row only partly inside the window counts pro rata by days, so a placement that started
    before the clause or runs past the due date contributes only its days inside the window.
    """
    if terms.metric not in Metric.values:
        raise ValueError(f"Unknown metric: {terms.metric!r}")
    window = evaluation_window(terms, as_of)
    if window is None:
        return Fraction(0)

    rows = tuple(rows)  # the 75 % rule reads them twice
    weeks_by_participant: defaultdict[str, Fraction] = defaultdict(Fraction)
    hours = Fraction(0)
    for row in rows:
        if not row_counts(terms, row, measure):
            continue
        days = overlap_days(row.start_date, row.end_date, *window)
        weeks_by_participant[row.participant_ref] += Fraction(days, DAYS_PER_WEEK)
        hours += Fraction(row.hours) * Fraction(days, _row_days(row))

    if terms.metric == Metric.PLACEMENT_WEEKS:
        return sum(weeks_by_participant.values(), Fraction(0))
    if terms.metric == Metric.HOURS:
        return hours
    if terms.metric == Metric.FTE_MONTHS:
        return fte_months(hours, terms.full_time_hours_per_week)
    # Placements: a person counts once however many rows and reports describe them, and only when
    # their weeks together reach the minimum, so several short stints can make up one placement
    # (or 75 % of it, when the participant ended their last row).
    min_weeks = Fraction(terms.min_placement_weeks)
    ended = ended_by_participant(rows, measure) if min_weeks > 0 else set()
    return Fraction(
        sum(
            1
            for ref, weeks in weeks_by_participant.items()
            if placement_counts(weeks, min_weeks, ended_by_participant=ref in ended)
        )
    )


def first_start_day(terms: ClauseTerms, rows: Iterable[RowFact]) -> date | None:
    """The earliest day a counted row started or was offered: ``min(offered_on, start_date)``
    over the rows that count as reported for the clause (:func:`row_counts`) and do not end
    before the clause starts; ``None`` if there is none."""
    days = [
        min(row.offered_on or row.start_date, row.start_date)
        for row in rows
        if row.end_date >= terms.start_date and row_counts(terms, row, REPORTED)
    ]
    return min(days, default=None)


def first_start_status(
    within_days: int | None, start_date: date, as_of: date, first_day: date | None
) -> str | None:
    """Whether the clause's first job started or was offered in time (docs/RULES.md §7.4):
    ``met`` when the first day (:func:`first_start_day`) is at most ``within_days`` after the
    clause start and not after ``as_of``; else ``pending`` while ``as_of`` is not past that
    limit; else ``missed``. ``None`` without the option."""
    if within_days is None:
        return None
    deadline = start_date + timedelta(days=within_days)
    if first_day is not None and first_day <= min(deadline, as_of):
        return _FIRST_MET
    if as_of <= deadline:
        return _FIRST_PENDING
    return _FIRST_MISSED


class RowReason:
    """Why a row counts towards a clause, or why not (:func:`row_verdicts`)."""

    COUNTS = "counts"
    #: Counts with only its days inside the clause window.
    PARTLY = "partly"
    #: Its report does not count (draft, rejected, superseded, or a correction not yet approved).
    REPORT_NOT_COUNTED = "report_not_counted"
    TARGET_GROUP = "target_group"
    OUTSIDE_WINDOW = "outside_window"
    #: A placements clause: the participant's weeks in the window are under the minimum so far.
    BELOW_MINIMUM = "below_minimum"
    #: The clause counts other employment types.
    EMPLOYMENT_TYPE = "employment_type"
    #: The clause requires the matcher's confirmation and the matcher disputed the row.
    DISPUTED = "disputed"
    #: Verified, on a clause that requires the matcher's confirmation: not confirmed (yet).
    NOT_CONFIRMED = "not_confirmed"


@dataclass(frozen=True)
class RowVerdict:
    """Whether one row counts towards one clause as of a day, and why not.

    ``days`` are the row's days inside the window, of ``row_days``; ``weeks`` are the
    participant's weeks in the window over every counted row (placements clauses), against the
    clause's ``min_weeks``; ``ended_early`` says that the participant counts below the minimum
    by the 75 % rule (or, below that, that their last row was ended by them).
    """

    reason: str
    days: int = 0
    row_days: int = 0
    weeks: Fraction | None = None
    min_weeks: Decimal | None = None
    ended_early: bool = False

    @property
    def counts(self) -> bool:
        return self.reason in (RowReason.COUNTS, RowReason.PARTLY)


def row_verdicts(
    terms: ClauseTerms, rows: Sequence[RowFact], as_of: date, measure: Measure = REPORTED
) -> list[RowVerdict]:
    """For each of ``rows``, whether it counts towards the clause for ``measure`` on ``as_of``
    and why not: the rules of :func:`metric_total`, row by row, in this order: the report, the
    target group, the employment type, the matcher's word, the window, then a placements
    clause's minimum weeks (with the 75 % rule).

    ``rows`` are all the rows that may count (every report of the contract), since a
    participant's weeks add up across rows and reports; one pass, whatever their number.
    """
    window = evaluation_window(terms, as_of)
    placements = terms.metric == Metric.PLACEMENTS
    weeks_by_participant: defaultdict[str, Fraction] = defaultdict(Fraction)
    verdicts: list[RowVerdict | None] = []
    for row in rows:
        if not measure.counts(row.report_status, row.is_correction):
            verdicts.append(RowVerdict(RowReason.REPORT_NOT_COUNTED))
            continue
        if not _counts_for_group(terms, row):
            verdicts.append(RowVerdict(RowReason.TARGET_GROUP))
            continue
        if not _counts_for_type(terms, row):
            verdicts.append(RowVerdict(RowReason.EMPLOYMENT_TYPE))
            continue
        if not _counts_as_confirmed(terms, row, measure):
            disputed = row.verification == _DISPUTED
            verdicts.append(RowVerdict(RowReason.DISPUTED if disputed else RowReason.NOT_CONFIRMED))
            continue
        days = overlap_days(row.start_date, row.end_date, *window) if window else 0
        if days == 0:
            verdicts.append(RowVerdict(RowReason.OUTSIDE_WINDOW, 0, _row_days(row)))
            continue
        weeks_by_participant[row.participant_ref] += Fraction(days, DAYS_PER_WEEK)
        verdicts.append(None)  # decided below, once every row's weeks are added up
    minimum = Fraction(terms.min_placement_weeks)
    ended = ended_by_participant(rows, measure) if placements and minimum > 0 else set()
    result = []
    for row, verdict in zip(rows, verdicts, strict=True):
        if verdict is not None:
            result.append(verdict)
            continue
        days = overlap_days(row.start_date, row.end_date, *window)  # type: ignore[misc]
        weeks = weeks_by_participant[row.participant_ref]
        early = row.participant_ref in ended
        if placements and not placement_counts(weeks, minimum, ended_by_participant=early):
            reason = RowReason.BELOW_MINIMUM
        elif days < _row_days(row):
            reason = RowReason.PARTLY
        else:
            reason = RowReason.COUNTS
        result.append(
            RowVerdict(
                reason,
                days,
                _row_days(row),
                weeks if placements else None,
                terms.min_placement_weeks if placements else None,
                placements and early and weeks < minimum,
            )
        )
    return result


def expected_to_date(terms: ClauseTerms, as_of: date) -> Fraction:
    """Return how much should have been delivered by ``as_of`` for the clause to be on track.

    Milestones, when the contract has them, are the agreed pace; otherwise the target is spread
    evenly over the clause's days. From the due date on, the whole target is expected.
    """
    target = Fraction(terms.target)
    if as_of >= terms.due_date:
        return target
    if terms.milestones:
        reached = [(when, cumulative) for when, cumulative in terms.milestones if when <= as_of]
        if not reached:
            return Fraction(0)
        _, cumulative = max(reached, key=lambda milestone: milestone[0])
        return Fraction(cumulative)
    total_days = (terms.due_date - terms.start_date).days
    elapsed_days = min(max((as_of - terms.start_date).days, 0), total_days)
    return target * Fraction(elapsed_days, total_days)


def clause_status(
    terms: ClauseTerms, *, reported: Fraction, expected: Fraction, as_of: date
) -> str:
    """Return the clause's place on the status ladder; the first rule that matches wins.

    The order matters: a clause whose target is reached is ``met`` even after its due date, and
    one that is short is only ``breached`` once the due date has passed, so the contractor keeps
    the whole due date to deliver.
    """
    reported = Fraction(reported)
    expected = Fraction(expected)
    if reported >= Fraction(terms.target):
        return ClauseStatus.MET.value
    if as_of > terms.due_date:
        return ClauseStatus.BREACHED.value
    if as_of < terms.start_date:
        return ClauseStatus.NOT_STARTED.value
    if reported >= expected:
        return ClauseStatus.ON_TRACK.value
    if reported >= expected * (1 - Fraction(terms.tolerance_pct) / 100):
        return ClauseStatus.AT_RISK.value
    return ClauseStatus.BEHIND.value


def projected_total(terms: ClauseTerms, *, reported: Fraction, as_of: date) -> Fraction:
    """Return what the clause will reach by its due date if the pace so far continues.

    Extrapolation only makes sense strictly inside the clause period: on the start date no time
    has elapsed (it would divide by zero), and from the due date on the total is final.
    """
    reported = Fraction(reported)
    if terms.start_date < as_of < terms.due_date:
        total_days = (terms.due_date - terms.start_date).days
        elapsed_days = (as_of - terms.start_date).days
        return reported * Fraction(total_days, elapsed_days)
    return reported


def target_forecast(
    terms: ClauseTerms, *, reported: Fraction, as_of: date
) -> tuple[str, date | None]:
    """Return when the target will be reached if the pace so far continues: ``(forecast, day)``.

    The pace is the one :func:`projected_total` extrapolates: ``reported`` per day elapsed since
    the start date. The target is reached ``target / pace`` days after the start, on the first
    whole day at or after that point; the day is given only when it is on or before the due date
    (``on_time``), so a forecast is ``on_time`` exactly when ``projected_total ≥ target``.
    Otherwise it is ``reached`` (already there), ``late`` ("not before the due date": the pace is
    too slow or zero, or the due date has passed) or ``unknown`` (no time has elapsed yet).
    """
    reported = Fraction(reported)
    target = Fraction(terms.target)
    if reported >= target:
        return Forecast.REACHED.value, None
    if as_of >= terms.due_date:
        return Forecast.LATE.value, None
    if as_of <= terms.start_date:
        return Forecast.UNKNOWN.value, None
    if reported == 0:
        return Forecast.LATE.value, None
    elapsed_days = (as_of - terms.start_date).days
    days = math.ceil(target * elapsed_days / reported)
    if days > (terms.due_date - terms.start_date).days:  # compared first: a slow pace can put
        return Forecast.LATE.value, None  # the day beyond the last date Python can hold
    return Forecast.ON_TIME.value, terms.start_date + timedelta(days=days)


def forecast_short(evaluation: Evaluation) -> bool:
    """On course today (on track, or at risk within its tolerance: neither is alerted as behind)
    but short of the target at the pace so far: the early warning ``clause_forecast_short``."""
    return evaluation.forecast == Forecast.LATE and evaluation.status in (
        ClauseStatus.ON_TRACK,
        ClauseStatus.AT_RISK,
    )


def penalty_sek(terms: ClauseTerms, *, verified: Fraction, status: str) -> Decimal:
    """Return the contractual penalty (vite), rounded to öre.

    A penalty is owed only once the clause is breached, and only for the shortfall in *verified*
    delivery: work the officer has not approved cannot reduce a penalty.
    """
    if status != ClauseStatus.BREACHED:
        return _round_to_ore(Fraction(0))
    missing = max(Fraction(0), Fraction(terms.target) - Fraction(verified))
    return _round_to_ore(missing * Fraction(terms.penalty_per_unit_sek))


def _round_to_ore(value: Fraction) -> Decimal:
    """Round an exact value to 2 decimals, half away from zero (Decimal's ROUND_HALF_UP).

    Done in integers rather than through a Decimal context so that no intermediate step can lose
    precision, whatever the size of the value.
    """
    return _round_ratio(value.numerator, value.denominator)


def round_half_up(value: Fraction | Decimal | int, places: int = 2) -> Decimal:
    """An exact value rounded half up (away from zero) to ``places`` decimals, as the engine
    rounds its figures; for callers that show sums of them (the annual report)."""
    value = Fraction(value)
    return _round_ratio(value.numerator, value.denominator, places)


def _round_ratio(numerator: int, denominator: int, places: int = 2) -> Decimal:
    """:func:`_round_to_ore` of ``numerator / denominator`` (``denominator > 0``, any common
    factor): the rounded quotient and the half-up test do not depend on the fraction being
    reduced, so no ``Fraction`` (and its gcd) needs to be made."""
    whole, remainder = divmod(abs(numerator) * 10**places, denominator)
    if 2 * remainder >= denominator:
        whole += 1
    # A Decimal read from a string is exact at any size (scaleb() would round to 28 digits), and
    # "-0E-2" keeps the sign of a negative value that rounds to zero, as Decimal's rounding does.
    return Decimal(f"-{whole}E-{places}" if numerator < 0 else f"{whole}E-{places}")


def _ratio(value: object) -> tuple[int, int]:
    """``Fraction(value)`` as ``(numerator, denominator)``, without making a Fraction when
    ``value`` is already one, an int, a Decimal or a float (their ``as_integer_ratio`` is exact
    and gives what ``Fraction(value)`` would)."""
    try:
        return value.as_integer_ratio()  # type: ignore[attr-defined]
    except AttributeError:
        fraction = Fraction(value)  # e.g. a string; raises for what Fraction() rejects
        return fraction.numerator, fraction.denominator


def evaluate_clause(terms: ClauseTerms, rows: Iterable[RowFact], as_of: date) -> Evaluation:
    """Evaluate one clause on ``as_of`` from the rows of its contract's reports.

    Reports count with the status they have now; ``as_of`` only moves the window (history is
    what the daily snapshots keep).
    """
    rows = tuple(rows)  # read more than once below; a generator would be empty the second time
    first_start = first_start_status(
        terms.first_start_within_days, terms.start_date, as_of, first_start_day(terms, rows)
    )
    return evaluate_totals(
        terms,
        reported=metric_total(terms, rows, as_of, REPORTED),
        verified=metric_total(terms, rows, as_of, VERIFIED),
        as_of=as_of,
        first_start=first_start,
    )


# The status ladder's values, looked up once (an enum member's .value is a descriptor call).
_MET = ClauseStatus.MET.value
_BREACHED = ClauseStatus.BREACHED.value
_NOT_STARTED = ClauseStatus.NOT_STARTED.value
_ON_TRACK = ClauseStatus.ON_TRACK.value
_AT_RISK = ClauseStatus.AT_RISK.value
_BEHIND = ClauseStatus.BEHIND.value
_REACHED = Forecast.REACHED.value
_ON_TIME = Forecast.ON_TIME.value
_LATE = Forecast.LATE.value
_UNKNOWN = Forecast.UNKNOWN.value
_DIALOGUE = ClauseStatus.DIALOGUE.value
_FIRST_MET = FirstStart.MET.value
_FIRST_PENDING = FirstStart.PENDING.value
_FIRST_MISSED = FirstStart.MISSED.value


def evaluate_totals(
    terms: ClauseTerms,
    *,
    reported: Fraction,
    verified: Fraction,
    as_of: date,
    first_start: str | None = None,
) -> Evaluation:
    """Evaluate one clause from its exact reported and verified totals (and its
    :func:`first_start_status`, which is carried as it is).

    The database path (:func:`contracts.selectors.evaluate_clauses`) sums the rows in SQL and
    comes in here, so that the expectation, status, projection and penalty rules exist once.
    """
    return evaluate_figures(
        terms.metric,
        terms.target,
        terms.start_date,
        terms.due_date,
        terms.tolerance_pct,
        terms.penalty_per_unit_sek,
        terms.milestones,
        reported,
        verified,
        as_of,
        first_start,
    )


def evaluate_dialogue(
    metric: str, reported: Fraction, verified: Fraction, as_of: date, first_start: str | None
) -> Evaluation:
    """A dialogue clause's evaluation: followed (reported, verified, the first start) without a
    target, so without expectation, ladder, forecast or penalty (docs/RULES.md §7.6)."""
    rn, rd = _ratio(reported)
    vn, vd = _ratio(verified)
    shown = _round_ratio(rn, rd)
    return Evaluation(
        as_of=as_of,
        metric=metric,
        target=None,
        expected=None,
        reported=shown,
        verified=_round_ratio(vn, vd),
        shortfall=None,
        status=_DIALOGUE,
        projected_total=shown,
        penalty_sek=_round_ratio(0, 1),
        forecast=None,
        forecast_date=None,
        first_start=first_start,
    )


def evaluate_figures(
    metric: str,
    target: Decimal,
    start: date,
    due: date,
    tolerance_pct: Decimal,
    penalty_per_unit_sek: Decimal,
    milestones: tuple[tuple[date, Decimal], ...],
    reported: Fraction,
    verified: Fraction,
    as_of: date,
    first_start: str | None = None,
) -> Evaluation:
    """:func:`evaluate_totals` from the terms' plain values, for a caller that evaluates many
    clauses (:func:`contracts.selectors.evaluate_clauses`): building a frozen ``ClauseTerms``
    for each cost about as much as evaluating it. The row-level terms (target groups, minimum
    placement weeks) are not needed here: they are already applied in the totals.

    The result is exactly that of :func:`expected_to_date`, :func:`clause_status`,
    :func:`projected_total` and :func:`penalty_sek` (``tests/contracts/test_compliance.py``
    checks it), but computed on integer numerators and denominators: evaluating every clause of a
    portfolio would otherwise spend most of its Python time creating ``Fraction`` objects (see
    docs/PERFORMANCE.md). Denominators are kept positive and fractions unreduced, so every
    comparison is one of cross products. ``due > start`` is taken as given (``ClauseTerms`` and
    the database check it). A clause without a target is a dialogue clause
    (:func:`evaluate_dialogue`).
    """
    if target is None:
        return evaluate_dialogue(metric, reported, verified, as_of, first_start)
    rn, rd = _ratio(reported)
    vn, vd = _ratio(verified)
    tn, td = _ratio(target)

    # expected_to_date
    if as_of >= due:
        en, ed = tn, td
    elif milestones:
        # The latest milestone reached; the first of equal dates, as max() picks it.
        latest = None
        for when, cumulative in milestones:
            if when <= as_of and (latest is None or when > latest[0]):
                latest = (when, cumulative)
        en, ed = (0, 1) if latest is None else _ratio(latest[1])
    else:
        total_days = (due - start).days
        elapsed_days = min(max((as_of - start).days, 0), total_days)
        en, ed = tn * elapsed_days, td * total_days

    # clause_status
    if rn * td >= tn * rd:
        status = _MET
    elif as_of > due:
        status = _BREACHED
    elif as_of < start:
        status = _NOT_STARTED
    elif rn * ed >= en * rd:
        status = _ON_TRACK
    else:
        # reported >= expected × (1 − tolerance / 100), with tolerance = pn / pd
        pn, pd = _ratio(tolerance_pct)
        status = _AT_RISK if rn * ed * 100 * pd >= en * (100 * pd - pn) * rd else _BEHIND

    # projected_total
    if start < as_of < due:
        projected = _round_ratio(rn * (due - start).days, rd * (as_of - start).days)
    else:
        projected = _round_ratio(rn, rd)

    # target_forecast: the day start + target × elapsed / reported, rounded up, if ≤ due
    forecast_day = None
    if rn * td >= tn * rd:
        forecast = _REACHED
    elif as_of >= due:
        forecast = _LATE
    elif as_of <= start:
        forecast = _UNKNOWN
    elif rn == 0:
        forecast = _LATE
    else:
        # ceil((tn / td) × elapsed / (rn / rd)) = ceil(tn × rd × elapsed / (td × rn)), rn > 0
        days = -((-tn * rd * (as_of - start).days) // (td * rn))
        if days <= (due - start).days:
            forecast, forecast_day = _ON_TIME, start + timedelta(days=days)
        else:
            forecast = _LATE

    # penalty_sek: the verified shortfall times the rate, only once breached
    penalty_numerator, penalty_denominator = 0, 1
    if status == _BREACHED:
        missing = tn * vd - vn * td
        if missing > 0:
            qn, qd = _ratio(penalty_per_unit_sek)
            penalty_numerator, penalty_denominator = missing * qn, td * vd * qd

    shortfall = en * rd - rn * ed
    return Evaluation(
        as_of=as_of,
        metric=metric,
        target=_round_ratio(tn, td),
        expected=_round_ratio(en, ed),
        reported=_round_ratio(rn, rd),
        verified=_round_ratio(vn, vd),
        shortfall=_round_ratio(shortfall, ed * rd) if shortfall > 0 else _round_ratio(0, 1),
        status=status,
        projected_total=projected,
        penalty_sek=_round_ratio(penalty_numerator, penalty_denominator),
        forecast=forecast,
        forecast_date=forecast_day,
        first_start=first_start,
    )
