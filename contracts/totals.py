"""Set-based totals of every clause's delivery, computed in the database.

The per-row rule of docs/RULES.md §1.4 (a row counts with its days inside the clause window;
hours pro rata by days) is evaluated in SQL so that a million rows never travel to Python: the
database returns a few numbers per clause, which :func:`contracts.compliance.evaluate_totals`
turns into an evaluation. The same rule in Python (:func:`contracts.compliance.metric_total`) is
the reference; property tests compare the two.

Exactness: day counts are integers. Hours of rows wholly inside the window are summed as they are,
those of rows cut by the window as ``Σ hours × overlap_days`` per clause and row length, so the
only division happens in Python with fractions; on SQLite, which sums decimals as floats, the sums
are rounded back to the 2 decimals they exactly have.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import NamedTuple

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import QuerySet

from internships.choices import AgeBand, EmploymentType, Gender
from internships.counting import REPORTED, VERIFIED

from .choices import Metric
from .compliance import DAYS_PER_WEEK
from .models import Contract, SocialClause

_TARGET_GROUPS = SocialClause.target_groups.through._meta.db_table


@dataclass
class ClauseTotals:
    """Exact reported and verified totals of one clause's metric."""

    reported: Fraction = field(default_factory=Fraction)
    verified: Fraction = field(default_factory=Fraction)


#: What :func:`clause_group_totals` can split by. A participant of a placements clause is
#: counted under the least key of their counted rows.
#: - ``target_group``: the row's target group id;
#: - ``facts``: a number (:func:`facts_key`, :func:`facts_of`) made of, from the highest digit,
#:   0 for a foreign-born woman (:func:`internships.selectors.is_foreign_born_woman`) or 1 for
#:   anyone else — so a participant with any such row counts as one, as on the dashboard — then
#:   the row's employment type, gender and age band, each as its position among its choices.
SPLITS = ("target_group", "facts")
#: The facts of the ``facts`` split, from the highest digit after the foreign-born-women one.
FACTS = (
    ("employment_type", tuple(EmploymentType.values)),
    ("gender", tuple(Gender.values)),
    ("age_band", tuple(AgeBand.values)),
)


def facts_key(fbw: bool, *values: str) -> int:
    """The ``facts`` split's key of a row (in Python, as the SQL computes it)."""
    key = 0 if fbw else 1
    for (_name, choices), value in zip(FACTS, values, strict=True):
        key = key * 10 + choices.index(value)
    return key


def facts_of(key: int) -> tuple[bool, str, str, str]:
    """A ``facts`` key read back: foreign-born woman, employment type, gender, age band."""
    values = []
    for _name, choices in reversed(FACTS):
        key, index = divmod(key, 10)
        values.append(choices[index])
    return (key == 0, *reversed(values))


def _split_column(by: str) -> str:
    if by == "facts":
        from internships.selectors import foreign_born_women_sql

        parts = [f"CASE WHEN {foreign_born_women_sql('r', 'fbw_group')} THEN 0 ELSE 1 END"]
        for name, choices in FACTS:
            if len(choices) > 10 or not all(
                c.replace("-", "").replace("+", "").isalnum() for c in choices
            ):
                raise ValueError(f"cannot encode {name}")  # never happens: our own codes
            cases = " ".join(f"WHEN '{code}' THEN {i}" for i, code in enumerate(choices))
            parts.append(f"CASE r.{name} {cases} END")
        key = parts[0]
        for part in parts[1:]:
            key = f"({key}) * 10 + {part}"
        return key
    if by != "target_group":
        raise ValueError(f"not a split: {by!r}")
    return "r.target_group_id"


def _sql(contracts_sql: str, *, by_group: bool | str = False) -> tuple[str, str]:
    """The two aggregate queries, with the day arithmetic of the connection's database.

    ``by_group`` splits each clause's sums by the rows' target group (``True``) or by another
    key of :data:`SPLITS` (a second result column): weeks and hours add up per row, and each
    participant of a placements clause is counted in one group, the least key among their
    counted rows (for target groups, the lowest id), so the groups add up to the clause.
    """
    group_column = (
        _split_column("target_group" if by_group is True else by_group) if by_group else "0"
    )
    if connection.vendor == "postgresql":
        least, greatest = "LEAST", "GREATEST"

        def days(later: str, earlier: str) -> str:
            return f"(({later}) - ({earlier}))"
    else:
        least, greatest = "MIN", "MAX"

        def days(later: str, earlier: str) -> str:
            return f"CAST(julianday({later}) - julianday({earlier}) AS INTEGER)"

    # Target groups: a clause's groups are collected into its window row (an array on
    # PostgreSQL, tested with = ANY per row) or, on SQLite, which has no arrays, joined per row
    # (the m2m table is unique per (clause, group), so that join never duplicates a row).
    # Never EXISTS subqueries: a hashed subplan per row misled PostgreSQL's planner (costs ~100x
    # too high, which switched on JIT compilation) and is parallel-restricted, so the filter ran
    # in the leader alone. The array saves the second hash join per clause-row pair.
    if connection.vendor == "postgresql":
        groups = "array_agg(limits.targetgroup_id) FILTER (WHERE limits.id IS NOT NULL) AS groups"
        group_join = ""
        group_test = "(w.groups IS NULL OR r.target_group_id = ANY (w.groups))"
    else:
        groups = "COUNT(limits.id) > 0 AS limited"
        group_join = f"""LEFT JOIN {_TARGET_GROUPS} g
                 ON g.socialclause_id = w.clause_id AND g.targetgroup_id = r.target_group_id"""
        group_test = "(NOT w.limited OR g.id IS NOT NULL)"
    hits = f"""
        WITH windows AS (
            SELECT c.id AS clause_id, c.contract_id, c.metric,
                   c.start_date AS ws,
                   CASE WHEN c.due_date < %(as_of)s THEN c.due_date ELSE %(as_of)s END AS we,
                   {groups}
            FROM contracts_socialclause c
            LEFT JOIN {_TARGET_GROUPS} limits ON limits.socialclause_id = c.id
            WHERE c.contract_id IN ({contracts_sql}) AND c.start_date <= %(as_of)s
            GROUP BY c.id, c.contract_id, c.metric, c.start_date, c.due_date
        ),
        hits AS (
            SELECT w.clause_id, w.metric, r.participant_ref, r.hours, {group_column} AS tg,
                   {VERIFIED.sql("rep")} AS approved,
                   {days(f"{least}(r.end_date, w.we)", f"{greatest}(r.start_date, w.ws)")} + 1
                       AS o,
                   {days("r.end_date", "r.start_date")} + 1 AS d
            FROM windows w
            -- Counted as reported (internships.counting: a correction counts once approved;
            -- its corrected report is then superseded).
            JOIN internships_placementreport rep
                 ON rep.contract_id = w.contract_id AND {REPORTED.sql("rep")}
            JOIN internships_placementrow r ON r.report_id = rep.id
            {group_join}
            WHERE r.end_date >= w.ws AND r.start_date <= w.we AND {group_test}
        )
    """
    # Weeks clauses sum days (divisor 0 marks them). For hours, a row wholly inside the window
    # counts all its hours (divisor 1); only rows cut by the window are grouped by their length,
    # the divisor of their pro rata hours: one group per clause plus one per length of a cut row.
    # Each pair feeds only the sums its metric needs (a NULL is skipped by SUM without any
    # arithmetic), and nothing is multiplied by the approved flag: numeric arithmetic per
    # clause-row pair was most of the query's time.
    sums = (
        hits
        + """
        SELECT clause_id, tg, divisor,
               SUM(rep_days), SUM(ver_days), SUM(rep_hours), SUM(ver_hours)
        FROM (SELECT clause_id, tg,
                     CASE WHEN metric <> %(hours)s THEN 0 WHEN o < d THEN d ELSE 1 END
                         AS divisor,
                     CASE WHEN metric <> %(hours)s THEN o END AS rep_days,
                     CASE WHEN metric <> %(hours)s AND approved THEN o END AS ver_days,
                     CASE WHEN metric <> %(hours)s THEN NULL
                          WHEN o < d THEN hours * o ELSE hours END AS rep_hours,
                     CASE WHEN metric <> %(hours)s OR NOT approved THEN NULL
                          WHEN o < d THEN hours * o ELSE hours END AS ver_hours
              FROM hits WHERE metric <> %(placements)s) AS t
        GROUP BY clause_id, tg, divisor
        """
    )
    # Days per participant, then the clause's minimum weeks from the clause table itself (not
    # carried through the grouping of every row).
    placements = (
        hits
        + f"""
        SELECT p.clause_id, p.tg,
               SUM(CASE WHEN p.rep_days > 0
                             AND p.rep_days >= {DAYS_PER_WEEK} * c.min_placement_weeks
                   THEN 1 ELSE 0 END),
               SUM(CASE WHEN p.ver_days > 0
                             AND p.ver_days >= {DAYS_PER_WEEK} * c.min_placement_weeks
                   THEN 1 ELSE 0 END)
        FROM (SELECT clause_id, MIN(tg) AS tg, SUM(o) AS rep_days,
                     SUM(CASE WHEN approved THEN o ELSE 0 END) AS ver_days
              FROM hits WHERE metric = %(placements)s
              GROUP BY clause_id, participant_ref) AS p
        JOIN contracts_socialclause c ON c.id = p.clause_id
        GROUP BY p.clause_id, p.tg
        """
    )
    return sums, placements


def _exact(value: object) -> Decimal:
    """A database sum of 2-decimal amounts, exactly (a Decimal from PostgreSQL, a float from
    SQLite, which is rounded back to the cents it exactly has)."""
    if value is None:
        return Decimal(0)
    if isinstance(value, Decimal):  # PostgreSQL: exact already
        return value
    return Decimal(str(value)).quantize(Decimal("0.01"))


def _key(group: object) -> int:
    """A split's key as Python keeps it: an integer."""
    return int(group)


def _fbw_group() -> int | None:
    """The id of the target group ``foreign_born_women``, if there is one."""
    from internships.selectors import FOREIGN_BORN_WOMEN

    from .models import TargetGroup

    return TargetGroup.objects.filter(code=FOREIGN_BORN_WOMEN).values_list("pk", flat=True).first()


def _hours(parts: dict[int, list[Decimal]]) -> ClauseTotals:
    """Σ amount / divisor over ``divisor → [reported, verified]`` amounts, exactly, with one
    Fraction per total (adding Fractions term by term cost more than the query's fetch)."""
    rn, rd, vn, vd = 0, 1, 0, 1
    for divisor, (reported, verified) in parts.items():
        n, d = reported.as_integer_ratio()
        d *= divisor
        rn, rd = rn * d + n * rd, rd * d
        n, d = verified.as_integer_ratio()
        d *= divisor
        vn, vd = vn * d + n * vd, vd * d
    return ClauseTotals(Fraction(rn, rd), Fraction(vn, vd))


class GroupTotals(NamedTuple):
    """:func:`clause_group_totals`: per clause and target group, and per clause."""

    groups: dict[tuple[int, int], ClauseTotals]
    clauses: dict[int, ClauseTotals]


def clause_totals(contracts: QuerySet[Contract], *, as_of: date) -> dict[int, ClauseTotals]:
    """Reported and verified totals of every clause of ``contracts`` on ``as_of``: two queries.

    Clauses with nothing counted are absent (their totals are zero).
    """
    return _totals(contracts, as_of).clauses


def clause_group_totals(
    contracts: QuerySet[Contract], *, as_of: date, by: str = "target_group"
) -> GroupTotals:
    """:func:`clause_totals` split by target group: ``(clause id, target group id) → totals``,
    and the clauses' totals (as :func:`clause_totals` gives them) from the same two queries.

    The groups of a clause add up exactly to its total (a participant of a placements clause is
    counted in the lowest-id group of their counted rows). ``by`` splits by another key of
    :data:`SPLITS` instead.
    """
    return _totals(contracts, as_of, by_group=True if by == "target_group" else by)


def _totals(
    contracts: QuerySet[Contract], as_of: date, *, by_group: bool | str = False
) -> GroupTotals:
    """The totals per clause, and per clause and target group if ``by_group``."""
    try:
        # Unordered: an ordered DISTINCT subquery would select its ordering columns too.
        contracts_sql, contracts_params = contracts.order_by().values("id").query.sql_with_params()
    except EmptyResultSet:  # e.g. Contract.objects.none() for a user who may see nothing
        return GroupTotals({}, {})
    # The contracts subquery comes with positional parameters; name them like the others.
    params: dict[str, object] = {f"contract_{i}": value for i, value in enumerate(contracts_params)}
    named = iter(f"%(contract_{i})s" for i in range(len(contracts_params)))
    contracts_sql = "".join(
        part + (next(named) if index < len(contracts_params) else "")
        for index, part in enumerate(contracts_sql.split("%s"))
    )
    sums_sql, placements_sql = _sql(contracts_sql, by_group=by_group)
    params |= {
        "as_of": as_of,
        "placements": Metric.PLACEMENTS.value,
        "hours": Metric.HOURS.value,
        "fbw_group": _fbw_group() if by_group == "facts" else None,
    }
    # Summed as integers (days, participants) and exact decimals (hours, per divisor) for each
    # clause and for each clause and group; Fractions are made once per total at the end.
    days: dict[object, list[int]] = defaultdict(lambda: [0, 0])
    hours: dict[object, dict[int, list[Decimal]]] = defaultdict(dict)
    counts: dict[object, list[int]] = defaultdict(lambda: [0, 0])
    with connection.cursor() as cursor:
        cursor.execute(sums_sql, params)
        for clause_id, group, divisor, rep_days, ver_days, rep_hours, ver_hours in cursor:
            keys = (clause_id, (clause_id, _key(group))) if by_group else (clause_id,)
            if divisor:  # hours: rep_hours / divisor and ver_hours / divisor
                reported, verified = _exact(rep_hours), _exact(ver_hours)
                for key in keys:
                    part = hours[key].setdefault(int(divisor), [Decimal(0), Decimal(0)])
                    part[0] += reported
                    part[1] += verified
            else:  # placement weeks: days
                for key in keys:
                    total = days[key]
                    total[0] += int(rep_days)
                    total[1] += int(ver_days or 0)
        cursor.execute(placements_sql, params)
        for clause_id, group, reported, verified in cursor:
            keys = (clause_id, (clause_id, _key(group))) if by_group else (clause_id,)
            for key in keys:
                total = counts[key]
                total[0] += int(reported)
                total[1] += int(verified)
    totals: dict[object, ClauseTotals] = {}
    for key, (reported, verified) in days.items():
        totals[key] = ClauseTotals(
            Fraction(reported, DAYS_PER_WEEK), Fraction(verified, DAYS_PER_WEEK)
        )
    for key, parts in hours.items():
        totals[key] = _hours(parts)
    for key, (reported, verified) in counts.items():
        totals[key] = ClauseTotals(Fraction(reported), Fraction(verified))
    clauses = {key: value for key, value in totals.items() if isinstance(key, int)}
    groups = {key: value for key, value in totals.items() if not isinstance(key, int)}
    return GroupTotals(groups, clauses)
