"""Set-based totals of every clause's delivery, computed in the database.

The per-row rule of docs/RULES.md §1.4 (a row counts with its days inside the clause window;
hours pro rata by days) and the options of §7 (employment types, the matcher's word, full-time
months, the 75 % rule, the first start) are evaluated in SQL so that a million rows never travel
to Python: the database returns a few numbers per clause, which
:func:`contracts.compliance.evaluate_totals` turns into an evaluation. The same rules in Python
(:func:`contracts.compliance.metric_total`) are the reference; property tests compare the two.

Exactness: day counts are integers. Hours of rows wholly inside the window are summed as they are,
those of rows cut by the window as ``Σ hours × overlap_days`` per clause and row length, so the
only division happens in Python with fractions (full-time months too: the hours are scaled by
12 / (52 × full-time hours) there); on SQLite, which sums decimals as floats, the sums
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

from internships.choices import AgeBand, EmploymentType, Gender, Verification
from internships.counting import REPORTED, VERIFIED

from .choices import Metric
from .compliance import DAYS_PER_WEEK
from .models import Contract, SocialClause

_TARGET_GROUPS = SocialClause.target_groups.through._meta.db_table
# Our own constants, written into the SQL as literals.
_CONFIRMED = Verification.CONFIRMED.value
_DISPUTED = Verification.DISPUTED.value


@dataclass
class ClauseTotals:
    """Exact reported and verified totals of one clause's metric, and (a clause with
    first_start_within_days) the first day a counted row started or was offered, if that day
    is within the limit (:func:`contracts.compliance.first_start_day`)."""

    reported: Fraction = field(default_factory=Fraction)
    verified: Fraction = field(default_factory=Fraction)
    first_day: date | None = None


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


def _sql(contracts_sql: str, *, by_group: bool | str = False) -> tuple[str, str, str]:
    """The three aggregate queries, with the day arithmetic of the connection's database.

    ``by_group`` splits each clause's sums by the rows' target group (``True``) or by another
    key of :data:`SPLITS` (a second result column): weeks and hours add up per row, and each
    participant of a placements clause is counted in one group, the least key among their
    counted rows (for target groups, the lowest id), so the groups add up to the clause.
    """
    group_column = (
        _split_column("target_group" if by_group is True else by_group) if by_group else "0"
    )
    postgresql = connection.vendor == "postgresql"
    if postgresql:
        least, greatest = "LEAST", "GREATEST"
        epoch = "DATE '1970-01-01'"

        def days(later: str, earlier: str) -> str:
            return f"(({later}) - ({earlier}))"

        def plus_days(day: str, number: str) -> str:
            return f"({day} + {number})"
    else:
        least, greatest = "MIN", "MAX"
        epoch = "'1970-01-01'"

        def days(later: str, earlier: str) -> str:
            return f"CAST(julianday({later}) - julianday({earlier}) AS INTEGER)"

        def plus_days(day: str, number: str) -> str:
            return f"date({day}, '+' || {number} || ' days')"

    # Target groups: a clause's groups are collected into its window row (an array on
    # PostgreSQL, tested with = ANY per row) or, on SQLite, which has no arrays, joined per row
    # (the m2m table is unique per (clause, group), so that join never duplicates a row).
    # Never EXISTS subqueries on PostgreSQL: a hashed subplan per row misled its planner (costs
    # ~100x too high, which switched on JIT compilation) and is parallel-restricted, so the
    # filter ran in the leader alone. The array saves the second hash join per clause-row pair.
    # Employment types (a JSON list on the clause): jsonb's ? on PostgreSQL, json_each on
    # SQLite.
    if postgresql:
        groups = "array_agg(limits.targetgroup_id) FILTER (WHERE limits.id IS NOT NULL) AS groups"
        group_join = ""
        group_test = "(w.groups IS NULL OR r.target_group_id = ANY (w.groups))"
        # The jsonb itself, tested with ?: an array made by a subquery would be a subplan, which
        # is parallel-restricted and took the parallel plan away from the whole query.
        types = """CASE WHEN jsonb_array_length(c.employment_types) > 0
                        THEN c.employment_types END AS types"""
        type_test = "(w.types IS NULL OR w.types ? r.employment_type)"
    else:
        groups = "COUNT(limits.id) > 0 AS limited"
        group_join = f"""LEFT JOIN {_TARGET_GROUPS} g
                 ON g.socialclause_id = w.clause_id AND g.targetgroup_id = r.target_group_id"""
        group_test = "(NOT w.limited OR g.id IS NOT NULL)"
        types = "c.employment_types AS types"
        type_test = """(w.types IS NULL OR json_array_length(w.types) = 0 OR EXISTS (
                SELECT 1 FROM json_each(w.types) WHERE json_each.value = r.employment_type))"""
    # The matcher's word (docs/RULES.md §7.5): on a clause that requires it a disputed row
    # counts nowhere, and a row counts as verified only when confirmed.
    confirmed = f"""({VERIFIED.sql("rep")}
                      AND (NOT w.confirm OR r.verification = '{_CONFIRMED}'))"""
    clause_filter = f"""{group_test} AND {type_test}
              AND NOT (w.confirm AND r.verification = '{_DISPUTED}')"""

    def windows(which: str) -> str:
        return f"""
        WITH windows AS (
            SELECT c.id AS clause_id, c.contract_id, c.metric,
                   c.start_date AS ws,
                   CASE WHEN c.due_date < %(as_of)s THEN c.due_date ELSE %(as_of)s END AS we,
                   c.requires_matcher_confirmation AS confirm,
                   c.first_start_within_days AS first_days,
                   {types},
                   {groups}
            FROM contracts_socialclause c
            LEFT JOIN {_TARGET_GROUPS} limits ON limits.socialclause_id = c.id
            WHERE c.contract_id IN ({contracts_sql}) AND {which}
            GROUP BY c.id, c.contract_id, c.metric, c.start_date, c.due_date,
                     c.requires_matcher_confirmation, c.first_start_within_days,
                     c.employment_types
        )"""

    hits = (
        windows("c.start_date <= %(as_of)s")
        + f""",
        hits AS (
            SELECT w.clause_id, w.contract_id, w.metric, r.participant_ref, r.hours,
                   {group_column} AS tg,
                   {confirmed} AS approved,
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
            WHERE r.end_date >= w.ws AND r.start_date <= w.we AND {clause_filter}
        )
    """
    )
    # Weeks clauses sum days (divisor 0 marks them). For hours and full-time months, a row
    # wholly inside the window counts all its hours (divisor 1); only rows cut by the window are
    # grouped by their length, the divisor of their pro rata hours: one group per clause plus
    # one per length of a cut row. Each pair feeds only the sums its metric needs (a NULL is
    # skipped by SUM without any arithmetic), and nothing is multiplied by the approved flag:
    # numeric arithmetic per clause-row pair was most of the query's time. The full-time hours
    # of a clause of full-time months come with its sums (NULL for the others), read from the
    # clause table once per sum, not carried through every pair.
    sums = (
        hits
        + """
        SELECT t.clause_id, t.tg, t.divisor, t.rep_days, t.ver_days, t.rep_hours, t.ver_hours,
               CASE WHEN c.metric = %(fte)s THEN c.full_time_hours_per_week END
        FROM (SELECT clause_id, tg, divisor,
                     SUM(rep_days) AS rep_days, SUM(ver_days) AS ver_days,
                     SUM(rep_hours) AS rep_hours, SUM(ver_hours) AS ver_hours
              FROM (SELECT clause_id, tg,
                           CASE WHEN metric = %(weeks)s THEN 0 WHEN o < d THEN d ELSE 1 END
                               AS divisor,
                           CASE WHEN metric = %(weeks)s THEN o END AS rep_days,
                           CASE WHEN metric = %(weeks)s AND approved THEN o END AS ver_days,
                           CASE WHEN metric = %(weeks)s THEN NULL
                                WHEN o < d THEN hours * o ELSE hours END AS rep_hours,
                           CASE WHEN metric = %(weeks)s OR NOT approved THEN NULL
                                WHEN o < d THEN hours * o ELSE hours END AS ver_hours
                    FROM hits WHERE metric <> %(placements)s) AS pairs
              GROUP BY clause_id, tg, divisor) AS t
        JOIN contracts_socialclause c ON c.id = t.clause_id
        """
    )
    # Days per participant, then the clause's minimum weeks from the clause table itself (not
    # carried through the grouping of every row). The 75 % rule (docs/RULES.md §7.3): a
    # participant under the minimum counts with at least 75 % of it (4 × days ≥ 21 × minimum
    # weeks) when their last row in the contract was ended by them. Only for those few
    # participants (the CASE asks the subquery last) are their rows of the contract's counted
    # reports read again, through the participant index, whatever the clause's filters: their
    # last row is the largest key ``2 × end day + ended``, so of rows ending the same day one
    # ended by the participant wins, and the key is odd when it was. (A CTE of those
    # participants joined back to every one made PostgreSQL materialise the per-participant
    # sums, and it misjudged the join into a nested loop.)
    key = f"({days('r.end_date', epoch)} * 2 + CASE WHEN r.ended_by_participant THEN 1 ELSE 0 END)"

    def counted(days_column: str, measure) -> str:
        last = f"""(SELECT MAX({key}) FROM internships_placementrow r
                     JOIN internships_placementreport rep ON rep.id = r.report_id
                     WHERE r.participant_ref = p.participant_ref
                           AND rep.contract_id = p.contract_id AND {measure.sql("rep")})"""
        return f"""SUM(CASE WHEN p.{days_column} <= 0 THEN 0
                        WHEN p.{days_column} >= {DAYS_PER_WEEK} * c.min_placement_weeks THEN 1
                        WHEN 4 * p.{days_column} >= 21 * c.min_placement_weeks
                             AND {last} %% 2 = 1 THEN 1
                        ELSE 0 END)"""

    placements = (
        hits
        + f"""
        SELECT p.clause_id, p.tg, {counted("rep_days", REPORTED)},
               {counted("ver_days", VERIFIED)}
        FROM (SELECT clause_id, contract_id, participant_ref, MIN(tg) AS tg, SUM(o) AS rep_days,
                     SUM(CASE WHEN approved THEN o ELSE 0 END) AS ver_days
              FROM hits WHERE metric = %(placements)s
              GROUP BY clause_id, contract_id, participant_ref) AS p
        JOIN contracts_socialclause c ON c.id = p.clause_id
        GROUP BY p.clause_id, p.tg
        """
    )
    # The first start (docs/RULES.md §7.4): whether a row that counts as reported for the
    # clause, and does not end before it starts, started or was offered by the limit: the
    # clause start + first_start_within_days, or as_of if earlier. Only clauses with the option.
    # Every clause with the option, started or not: an offer can come before the start.
    first_day = f"{least}(COALESCE(r.offered_on, r.start_date), r.start_date)"
    limit = f"{least}({plus_days('w.ws', 'w.first_days')}, %(as_of)s)"
    first_starts = (
        windows("c.first_start_within_days IS NOT NULL")
        + f"""
        SELECT w.clause_id, MIN({first_day})
        FROM windows w
        JOIN internships_placementreport rep
             ON rep.contract_id = w.contract_id AND {REPORTED.sql("rep")}
        JOIN internships_placementrow r ON r.report_id = rep.id
        {group_join}
        WHERE w.first_days IS NOT NULL AND r.end_date >= w.ws
              AND (r.start_date <= {limit} OR r.offered_on <= {limit})
              AND {clause_filter}
        GROUP BY w.clause_id
        """
    )
    return sums, placements, first_starts


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
    """Reported and verified totals of every clause of ``contracts`` on ``as_of``, and their
    first days (:class:`ClauseTotals`): three queries.

    Clauses with nothing counted are absent (their totals are zero).
    """
    return _totals(contracts, as_of).clauses


def clause_group_totals(
    contracts: QuerySet[Contract], *, as_of: date, by: str = "target_group"
) -> GroupTotals:
    """:func:`clause_totals` split by target group: ``(clause id, target group id) → totals``,
    and the clauses' totals (as :func:`clause_totals` gives them) from the same three queries.

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
    sums_sql, placements_sql, first_sql = _sql(contracts_sql, by_group=by_group)
    params |= {
        "as_of": as_of,
        "placements": Metric.PLACEMENTS.value,
        "weeks": Metric.PLACEMENT_WEEKS.value,
        "fte": Metric.FTE_MONTHS.value,
        "fbw_group": _fbw_group() if by_group == "facts" else None,
    }
    # Summed as integers (days, participants) and exact decimals (hours, per divisor) for each
    # clause and for each clause and group; Fractions are made once per total at the end.
    days: dict[object, list[int]] = defaultdict(lambda: [0, 0])
    hours: dict[object, dict[int, list[Decimal]]] = defaultdict(dict)
    counts: dict[object, list[int]] = defaultdict(lambda: [0, 0])
    full_time: dict[int, Decimal] = {}  # clauses of full-time months: their full-time hours
    first_days: dict[int, date] = {}
    with connection.cursor() as cursor:
        cursor.execute(sums_sql, params)
        for row in cursor:
            clause_id, group, divisor, rep_days, ver_days, rep_hours, ver_hours, ft = row
            keys = (clause_id, (clause_id, _key(group))) if by_group else (clause_id,)
            if divisor:  # hours: rep_hours / divisor and ver_hours / divisor
                reported, verified = _exact(rep_hours), _exact(ver_hours)
                for key in keys:
                    part = hours[key].setdefault(int(divisor), [Decimal(0), Decimal(0)])
                    part[0] += reported
                    part[1] += verified
                if ft is not None:
                    full_time[clause_id] = _exact(ft)
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
        cursor.execute(first_sql, params)
        for clause_id, first_day in cursor:
            first_days[clause_id] = (
                first_day if isinstance(first_day, date) else date.fromisoformat(first_day)
            )
    totals: dict[object, ClauseTotals] = {}
    for key, (reported, verified) in days.items():
        totals[key] = ClauseTotals(
            Fraction(reported, DAYS_PER_WEEK), Fraction(verified, DAYS_PER_WEEK)
        )
    for key, parts in hours.items():
        total = _hours(parts)
        clause_id = key if isinstance(key, int) else key[0]
        if clause_id in full_time:  # full-time months: hours × 12 / (52 × full-time hours)
            scale = Fraction(12) / (52 * Fraction(full_time[clause_id]))
            total = ClauseTotals(total.reported * scale, total.verified * scale)
        totals[key] = total
    for key, (reported, verified) in counts.items():
        totals[key] = ClauseTotals(Fraction(reported), Fraction(verified))
    for clause_id, first_day in first_days.items():
        totals.setdefault(clause_id, ClauseTotals()).first_day = first_day
    clauses = {key: value for key, value in totals.items() if isinstance(key, int)}
    groups = {key: value for key, value in totals.items() if not isinstance(key, int)}
    return GroupTotals(groups, clauses)
