"""Set-based totals of every clause's delivery, computed in the database.

The per-row rule of DESIGN.md §4 (a row counts with its days inside the clause window; hours pro
rata by days) is evaluated in SQL so that a million rows never travel to Python: the database
returns a few numbers per clause, which :func:`contracts.compliance.evaluate_totals` turns into an
evaluation. The same rule in Python (:func:`contracts.compliance.metric_total`) is the reference;
property tests compare the two.

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

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import QuerySet

from internships.choices import ReportStatus

from .choices import Metric
from .compliance import DAYS_PER_WEEK
from .models import Contract, SocialClause

_TARGET_GROUPS = SocialClause.target_groups.through._meta.db_table


@dataclass
class ClauseTotals:
    """Exact reported and verified totals of one clause's metric."""

    reported: Fraction = field(default_factory=Fraction)
    verified: Fraction = field(default_factory=Fraction)


def _sql(contracts_sql: str) -> tuple[str, str]:
    """The two aggregate queries, with the day arithmetic of the connection's database."""
    if connection.vendor == "postgresql":
        least, greatest = "LEAST", "GREATEST"

        def days(later: str, earlier: str) -> str:
            return f"(({later}) - ({earlier}))"
    else:
        least, greatest = "MIN", "MAX"

        def days(later: str, earlier: str) -> str:
            return f"CAST(julianday({later}) - julianday({earlier}) AS INTEGER)"

    # Target groups are joined, not tested with EXISTS subqueries: a hashed subplan per row misled
    # PostgreSQL's planner (costs ~100x too high, which switched on JIT compilation) and is
    # parallel-restricted, so the filter ran in the leader alone. The m2m table is unique per
    # (clause, group), so the row join never duplicates a row; ``limited`` is counted per clause.
    hits = f"""
        WITH windows AS (
            SELECT c.id AS clause_id, c.contract_id, c.metric, c.min_placement_weeks,
                   c.start_date AS ws,
                   CASE WHEN c.due_date < %(as_of)s THEN c.due_date ELSE %(as_of)s END AS we,
                   COUNT(limits.id) > 0 AS limited
            FROM contracts_socialclause c
            LEFT JOIN {_TARGET_GROUPS} limits ON limits.socialclause_id = c.id
            WHERE c.contract_id IN ({contracts_sql}) AND c.start_date <= %(as_of)s
            GROUP BY c.id, c.contract_id, c.metric, c.min_placement_weeks, c.start_date, c.due_date
        ),
        hits AS (
            SELECT w.clause_id, w.metric, w.min_placement_weeks, r.participant_ref, r.hours,
                   CASE WHEN rep.status = %(approved)s THEN 1 ELSE 0 END AS approved,
                   {days(f"{least}(r.end_date, w.we)", f"{greatest}(r.start_date, w.ws)")} + 1
                       AS o,
                   {days("r.end_date", "r.start_date")} + 1 AS d
            FROM windows w
            JOIN internships_placementreport rep
                 ON rep.contract_id = w.contract_id AND rep.status IN (%(submitted)s, %(approved)s)
            JOIN internships_placementrow r ON r.report_id = rep.id
            LEFT JOIN {_TARGET_GROUPS} g
                 ON g.socialclause_id = w.clause_id AND g.targetgroup_id = r.target_group_id
            WHERE r.end_date >= w.ws AND r.start_date <= w.we
              AND (NOT w.limited OR g.id IS NOT NULL)
        )
    """
    # A row wholly inside the window counts all its hours (divisor 1); only rows cut by the window
    # are grouped by their length, the divisor of their pro rata hours. Weeks need no divisor.
    # So a clause has one group plus one per length of a cut row, not one per row length.
    sums = (
        hits
        + """
        SELECT clause_id, metric, divisor,
               SUM(o), SUM(o * approved), SUM(counted_hours), SUM(counted_hours * approved)
        FROM (SELECT clause_id, metric, o, approved,
                     CASE WHEN metric = %(hours)s AND o < d THEN d ELSE 1 END AS divisor,
                     CASE WHEN o < d THEN hours * o ELSE hours END AS counted_hours
              FROM hits WHERE metric <> %(placements)s) AS t
        GROUP BY clause_id, metric, divisor
        """
    )
    placements = (
        hits
        + f"""
        SELECT clause_id,
               SUM(CASE WHEN rep_days > 0 AND rep_days >= {DAYS_PER_WEEK} * min_weeks
                   THEN 1 ELSE 0 END),
               SUM(CASE WHEN ver_days > 0 AND ver_days >= {DAYS_PER_WEEK} * min_weeks
                   THEN 1 ELSE 0 END)
        FROM (SELECT clause_id, participant_ref, MIN(min_placement_weeks) AS min_weeks,
                     SUM(o) AS rep_days, SUM(o * approved) AS ver_days
              FROM hits WHERE metric = %(placements)s
              GROUP BY clause_id, participant_ref) AS per_participant
        GROUP BY clause_id
        """
    )
    return sums, placements


def _exact(value: object) -> Fraction:
    """A database sum of 2-decimal amounts as an exact fraction (floats on SQLite)."""
    if value is None:
        return Fraction(0)
    return Fraction(Decimal(str(value)).quantize(Decimal("0.01")))


def clause_totals(contracts: QuerySet[Contract], *, as_of: date) -> dict[int, ClauseTotals]:
    """Reported and verified totals of every clause of ``contracts`` on ``as_of``: two queries.

    Clauses with nothing counted are absent (their totals are zero).
    """
    try:
        contracts_sql, contracts_params = contracts.values("id").query.sql_with_params()
    except EmptyResultSet:  # e.g. Contract.objects.none() for a user who may see nothing
        return {}
    # The contracts subquery comes with positional parameters; name them like the others.
    params: dict[str, object] = {f"contract_{i}": value for i, value in enumerate(contracts_params)}
    named = iter(f"%(contract_{i})s" for i in range(len(contracts_params)))
    contracts_sql = "".join(
        part + (next(named) if index < len(contracts_params) else "")
        for index, part in enumerate(contracts_sql.split("%s"))
    )
    sums_sql, placements_sql = _sql(contracts_sql)
    params |= {
        "as_of": as_of,
        "approved": ReportStatus.APPROVED.value,
        "submitted": ReportStatus.SUBMITTED.value,
        "placements": Metric.PLACEMENTS.value,
        "hours": Metric.HOURS.value,
    }
    totals: dict[int, ClauseTotals] = defaultdict(ClauseTotals)
    with connection.cursor() as cursor:
        cursor.execute(sums_sql, params)
        for clause_id, metric, divisor, rep_o, ver_o, rep_hours, ver_hours in cursor.fetchall():
            total = totals[clause_id]
            if metric == Metric.HOURS:
                total.reported += _exact(rep_hours) / int(divisor)
                total.verified += _exact(ver_hours) / int(divisor)
            else:
                total.reported += Fraction(int(rep_o), DAYS_PER_WEEK)
                total.verified += Fraction(int(ver_o), DAYS_PER_WEEK)
        cursor.execute(placements_sql, params)
        for clause_id, reported, verified in cursor.fetchall():
            totals[clause_id] = ClauseTotals(Fraction(int(reported)), Fraction(int(verified)))
    return dict(totals)
