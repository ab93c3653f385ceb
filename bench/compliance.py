"""Benchmark: evaluate every social clause against a large set of placement rows (PostgreSQL).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sc_bench \\
        python -m bench.compliance --contracts 10000 --rows 1000000

What it does (docs/PERFORMANCE.md has the figures and what they mean):

1. Sets Django up, refuses to run on anything but PostgreSQL, creates the database if it does not
   exist, runs the migrations and wipes earlier benchmark data (TRUNCATE of the domain tables; the
   districts and target groups that the migrations seed are kept). Before migrating, it refuses to
   touch a database that holds contracts, procurements or contractors it did not make, unless
   ``--force``.
2. Generates a reproducible data set (fixed seed, fixed ``as_of``) with COPY: contractors,
   procurements, contracts spread over the seeded districts, clauses of every metric (some with
   target groups, some with milestones), reports for the past periods in a realistic status mix and
   exactly ``--rows`` placement rows that obey the model rules (inside the period, no overlap per
   participant within a report, at most 60 hours per started week). Participants are kept on from
   period to period, so minimum placement weeks are met by several reports together. Then
   ``VACUUM ANALYZE``, the state autovacuum would leave a real database in.
3. Times ``contracts.selectors.evaluate_clauses(as_of=...)`` over all contracts (first run and best
   of ``--repeats``) and one hand-written SQL aggregate over the same rows, fetched into Python the
   same way (the floor: no query that reads those rows can be much faster).
4. Prints the figures; the last line is ``ratio: X`` = evaluation time / floor time.

Progress goes to stderr, results to stdout.
"""

from __future__ import annotations

import argparse
import gc
import math
import os
import platform
import random
import resource
import sys
import time
import tracemalloc
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from typing import TextIO

#: The day the benchmark evaluates on; fixed so that runs on different days are comparable.
AS_OF = date(2026, 6, 30)
#: Prefix of every reference the benchmark makes; a database holding others is not wiped.
PREFIX = "BENCH-"
CONTRACTOR_PREFIX = "Bench Bygg"

METRICS = ("placements", "placement_weeks", "hours")
#: How often each target group occurs among participants (a person keeps one group).
GROUP_WEIGHTS = {
    "long_term_unemployed": 30,
    "newly_arrived": 20,
    "foreign_born_women": 15,
    "youth": 20,
    "disability": 5,
    "other": 10,
}
ROLES = ("Snickare", "Betongarbetare", "Målare", "Elektriker", "Rörmontör", "Markarbetare", "")
#: What became of a period's report once its due date has passed: (outcome, weight). An outcome
#: is the statuses of the reports for the period, in the order they were made.
OUTCOMES_DUE = (
    (("approved",), 84),
    (("submitted",), 5),
    (("rejected", "approved"), 3),
    (("rejected", "submitted"), 1),
    (("rejected",), 1),
    (("draft",), 2),
    ((), 4),
)
#: ... and for a period that has ended but whose report is not due yet.
OUTCOMES_NOT_DUE = (
    (("submitted",), 45),
    (("approved",), 15),
    (("draft",), 20),
    ((), 20),
)
#: At most this many rows per participant in one report.
MAX_ROWS_PER_PARTICIPANT = 4

FLOOR_SQL = """
    SELECT rep.contract_id, SUM(r.hours), COUNT(DISTINCT r.participant_ref),
           SUM(r.end_date - r.start_date + 1)
    FROM internships_placementrow r
    JOIN internships_placementreport rep ON rep.id = r.report_id
    WHERE rep.status IN (%s, %s)
    GROUP BY rep.contract_id
"""


class BenchmarkError(Exception):
    """A reason not to run, shown to the user without a traceback."""


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


# --- Database preparation ------------------------------------------------------------------------


def require_postgresql() -> None:
    from django.db import connection

    if connection.vendor != "postgresql":
        raise BenchmarkError(
            f"This benchmark needs PostgreSQL, but the database is {connection.vendor}. "
            "Set DATABASE_URL, e.g. DATABASE_URL=postgres://postgres@127.0.0.1:5432/sc_bench"
        )


def ensure_database() -> None:
    """Connect, creating the database first when it does not exist yet."""
    import psycopg
    from django.db import OperationalError, connection
    from psycopg import sql

    try:
        connection.ensure_connection()
        return
    except OperationalError as error:
        if "does not exist" not in str(error):
            raise
    params = connection.get_connection_params()
    name = params["dbname"]
    admin_params = {
        key: value
        for key, value in params.items()
        if key in {"host", "port", "user", "password", "sslmode"}
    }
    with psycopg.connect(dbname="postgres", autocommit=True, **admin_params) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    connection.ensure_connection()


def domain_tables() -> list[str]:
    """The tables the benchmark fills, with their many-to-many tables, minus the seeded ones."""
    from django.apps import apps

    keep = {"procurement.District", "contracts.TargetGroup"}
    return [
        model._meta.db_table
        for label in ("procurement", "contracts", "internships")
        for model in apps.get_app_config(label).get_models(include_auto_created=True)
        if model._meta.label not in keep
    ]


def refuse_foreign_data(*, force: bool) -> None:
    """Refuse to touch a database holding contracts, procurements or contractors the benchmark
    did not make (checked before ``migrate``, so such a database is left entirely alone)."""
    from django.db import connection

    existing = set(connection.introspection.table_names())
    checks = (
        ("contracts", "contracts_contract", "reference", PREFIX),
        ("procurements", "procurement_procurement", "reference", PREFIX),
        ("contractors", "procurement_contractor", "name", CONTRACTOR_PREFIX),
    )
    found = []
    with connection.cursor() as cursor:
        for label, table, column, prefix in checks:
            if table in existing:
                cursor.execute(
                    f"SELECT COUNT(*) FROM {table} WHERE {column} NOT LIKE %s", [prefix + "%"]
                )
                count = cursor.fetchone()[0]
                if count:
                    found.append(f"{count} {label}")
    if found and not force:
        raise BenchmarkError(
            f"The database holds data the benchmark did not make ({', '.join(found)}); it would "
            "be wiped. Use a database of its own (e.g. .../sc_bench) or pass --force."
        )


def wipe() -> None:
    """Remove earlier benchmark data, keeping the seeded districts and target groups."""
    from django.db import connection

    from contracts.models import TargetGroup
    from procurement.models import District

    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(domain_tables())} RESTART IDENTITY CASCADE")
    if not District.objects.exists() or not TargetGroup.objects.exists():
        raise BenchmarkError("The seeded districts or target groups are missing; run migrate.")


def vacuum_analyze(*, vacuum: bool) -> None:
    """Bring planner statistics (and with ``vacuum`` the visibility map) up to date."""
    from django.db import connection

    with connection.cursor() as cursor:
        for table in domain_tables():
            cursor.execute(f"{'VACUUM ANALYZE' if vacuum else 'ANALYZE'} {table}")


# --- Generation ----------------------------------------------------------------------------------


@dataclass
class Participant:
    ref: str
    group_id: int
    #: The row facts of issue 14, kept per person: employment type, gender, born abroad, age
    #: band (each "not told" now and then).
    facts: tuple[str, str, str, str] = ("internship", "undisclosed", "undisclosed", "undisclosed")


@dataclass
class ContractPlan:
    index: int
    id: int
    start: date
    end: date
    frequency: str
    grace_days: int
    size: float
    # Filled while the rows are written, to give the clauses targets that fit the deliveries.
    reported_until: date | None = None
    days_by_group: Counter = field(default_factory=Counter)
    cents_by_group: Counter = field(default_factory=Counter)
    people_by_group: dict[int, set[str]] = field(default_factory=lambda: defaultdict(set))


@dataclass
class ReportPlan:
    id: int
    contract: int  # index into the contract plans
    start: date
    end: date
    status: str
    rows: int = 0


@dataclass
class GenerationStats:
    contracts: int = 0
    contractors: int = 0
    procurements: int = 0
    clauses: Counter = field(default_factory=Counter)
    clauses_with_groups: int = 0
    clauses_with_milestones: int = 0
    milestones: int = 0
    reports: Counter = field(default_factory=Counter)
    rows: int = 0
    counted_rows: int = 0
    participants: int = 0
    seconds: float = 0.0

    @property
    def clause_count(self) -> int:
        return sum(self.clauses.values())


def _pg():
    """The psycopg connection under Django's."""
    from django.db import connection

    connection.ensure_connection()
    return connection.connection


def _reserve_ids(table: str, count: int) -> list[int]:
    """``count`` ids from the table's identity sequence, so that children can refer to them."""
    if count == 0:
        return []
    with _pg().cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [table, count],
        )
        return [row[0] for row in cursor.fetchall()]


def _copy(table: str, columns: Sequence[str], rows: Iterable[Sequence[object]]) -> int:
    """COPY ``rows`` into ``table``; returns how many were written."""
    written = 0
    with (
        _pg().cursor() as cursor,
        cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(row)
            written += 1
    return written


def _org_number(n: int) -> str:
    from core.luhn import luhn_check_digit

    body = f"559{n:06d}"
    return f"{body[:6]}-{body[6:]}{luhn_check_digit(body)}"


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, clock(hour), tzinfo=UTC)


def _allocate(total: int, weights: Sequence[float]) -> list[int]:
    """Split ``total`` into integers proportional to ``weights`` that add up to ``total``."""
    whole = sum(weights)
    if not weights or whole <= 0:
        if total:
            raise BenchmarkError(f"No reports to put {total} rows in; use more contracts.")
        return [0] * len(weights)
    shares = []
    running = 0.0
    previous = 0
    for weight in weights:
        running += weight
        current = round(total * running / whole)
        shares.append(current - previous)
        previous = current
    shares[-1] += total - previous
    return shares


def _pick(rng: random.Random, weighted: Sequence[tuple[object, int]]) -> object:
    values = [value for value, _weight in weighted]
    weights = [weight for _value, weight in weighted]
    return rng.choices(values, weights)[0]


def generate(
    contracts: int,
    rows: int,
    *,
    seed: int = 1,
    as_of: date = AS_OF,
    stream: TextIO | None = None,
) -> GenerationStats:
    """Write a benchmark data set into the current database with COPY.

    Works on a freshly wiped database as well as inside a test database (nothing is truncated or
    migrated here). Deterministic for a given seed and ``as_of``, up to the ids.
    """
    from contracts.models import TargetGroup
    from contracts.schedule import reporting_periods
    from core.progress import progress
    from procurement.models import District

    started = time.perf_counter()
    stream = stream or sys.stderr
    rng = random.Random(seed)
    stats = GenerationStats(contracts=contracts)
    districts = list(District.objects.order_by("id").values_list("id", "name"))
    groups = dict(TargetGroup.objects.values_list("code", "id"))
    if not districts or not groups:
        raise BenchmarkError("The seeded districts or target groups are missing; run migrate.")
    group_ids = [groups[code] for code in GROUP_WEIGHTS if code in groups]
    group_weights = [GROUP_WEIGHTS[code] for code in GROUP_WEIGHTS if code in groups]

    # Contractors and procurements.
    stats.contractors = max(1, contracts // 25)
    stats.procurements = max(1, contracts // 4)
    contractor_ids = _reserve_ids("procurement_contractor", stats.contractors)
    _copy(
        "procurement_contractor",
        ("id", "name", "org_number", "contact_email", "is_active"),
        (
            (cid, f"{CONTRACTOR_PREFIX} {n:04d} AB", _org_number(n), f"info{n}@bygg.example.se", 1)
            for n, cid in enumerate(contractor_ids, start=1)
        ),
    )
    procurement_ids = _reserve_ids("procurement_procurement", stats.procurements)
    awarded = [as_of - timedelta(days=rng.randint(100, 1400)) for _ in procurement_ids]
    _copy(
        "procurement_procurement",
        ("id", "reference", "title", "description", "status", "awarded_on"),
        (
            (pid, f"{PREFIX}P{n:06d}", f"Upphandling {n}", "", "awarded", awarded[n - 1])
            for n, pid in enumerate(procurement_ids, start=1)
        ),
    )

    # Contracts: 2-3 years each, started up to 3.5 years before as_of or up to 3 months after.
    contract_ids = _reserve_ids("contracts_contract", contracts)
    plans: list[ContractPlan] = []
    contract_rows = []
    for index, contract_id in enumerate(contract_ids):
        start = as_of + timedelta(days=rng.randint(-1280, 90))
        end = start + timedelta(days=rng.randint(730, 1095))
        frequency = "monthly" if rng.random() < 0.4 else "quarterly"
        plan = ContractPlan(
            index=index,
            id=contract_id,
            start=start,
            end=end,
            frequency=frequency,
            grace_days=rng.choice((10, 10, 14, 20, 30)),
            size=rng.lognormvariate(0, 0.6),
        )
        plans.append(plan)
        district_id, district = rng.choice(districts)
        if end < as_of:
            status = "completed" if rng.random() < 0.95 else "terminated"
        elif start > as_of:
            status = rng.choice(("draft", "active"))
        else:
            status = "active"
        contract_rows.append(
            (
                contract_id,
                f"{PREFIX}{index + 1:06d}",
                f"{district}, etapp {index + 1}",
                procurement_ids[index * stats.procurements // contracts],
                rng.choice(contractor_ids),
                district_id,
                f"{rng.randint(2, 300) * 1_000_000}.00",
                start,
                end,
                frequency,
                plan.grace_days,
                status,
            )
        )
    _copy(
        "contracts_contract",
        (
            "id",
            "reference",
            "title",
            "procurement_id",
            "contractor_id",
            "district_id",
            "value_sek",
            "start_date",
            "end_date",
            "reporting_frequency",
            "report_grace_days",
            "status",
        ),
        contract_rows,
    )
    del contract_rows

    # Reports: one per period that has ended, in the status mix above.
    report_plans: list[ReportPlan] = []
    for plan in progress(plans, label="reports  ", stream=stream):
        for period in reporting_periods(
            start_date=plan.start,
            end_date=plan.end,
            frequency=plan.frequency,
            grace_days=plan.grace_days,
        ):
            if period.end >= as_of:
                break
            outcomes = OUTCOMES_DUE if period.due_date < as_of else OUTCOMES_NOT_DUE
            for status in _pick(rng, outcomes):
                report_plans.append(ReportPlan(0, plan.index, period.start, period.end, status))
    for report, report_id in zip(
        report_plans, _reserve_ids("internships_placementreport", len(report_plans)), strict=True
    ):
        report.id = report_id
    for report, count in zip(
        report_plans,
        _allocate(
            rows, [((r.end - r.start).days + 1) * plans[r.contract].size for r in report_plans]
        ),
        strict=True,
    ):
        report.rows = count

    def report_rows() -> Iterable[tuple[object, ...]]:
        for report in report_plans:
            stats.reports[report.status] += 1
            made = _at(report.end + timedelta(days=rng.randint(0, 9)), 9)
            sent = made if report.status != "draft" else None
            reviewed = (
                made + timedelta(days=rng.randint(1, 20))
                if report.status in ("approved", "rejected")
                else None
            )
            comment = "Underlag saknas för två rader." if report.status == "rejected" else ""
            updated = reviewed or made
            yield (
                report.id,
                plans[report.contract].id,
                report.start,
                report.end,
                report.status,
                sent,
                reviewed,
                comment,
                "",  # correction_reason: the benchmark has no corrections
                made,
                updated,
            )

    _copy(
        "internships_placementreport",
        (
            "id",
            "contract_id",
            "period_start",
            "period_end",
            "status",
            "submitted_at",
            "reviewed_at",
            "review_comment",
            "correction_reason",
            "created_at",
            "updated_at",
        ),
        report_rows(),
    )

    # Rows: participants stay on from period to period (a quarter of them leave each period,
    # some come back), so placements with minimum weeks are made of several reports' rows.
    rosters: dict[int, list[Participant]] = defaultdict(list)
    known: dict[int, list[Participant]] = defaultdict(list)
    serial = 0
    dates: dict[int, date] = {}

    def day(ordinal: int) -> date:
        found = dates.get(ordinal)
        if found is None:
            found = dates[ordinal] = date.fromordinal(ordinal)
        return found

    def participant(plan: ContractPlan) -> Participant:
        nonlocal serial
        serial += 1
        if rng.random() < 0.6:  # a personnummer, stored as its pseudonym
            ref = f"pn-{rng.getrandbits(160):040x}"
        else:  # the contractor's own code
            ref = f"E{plan.index + 1}-{serial:07d}"
        return Participant(ref, rng.choices(group_ids, group_weights)[0], draw_facts())

    # The row facts come from a random stream of their own, so that the rest of the data set is
    # the same as before they existed.
    facts_rng = random.Random(seed + 2)

    def draw_facts() -> tuple[str, str, str, str]:
        def told(*values: str) -> str:
            return facts_rng.choice(values) if facts_rng.random() < 0.75 else "undisclosed"

        return (
            facts_rng.choice(("internship", "internship", "apprenticeship", "employment")),
            told("woman", "man", "woman", "man", "other"),
            told("yes", "no"),
            told("16-24", "25-29", "30-49", "30-49", "50-64", "65+"),
        )

    def placement_rows() -> Iterable[tuple[object, ...]]:
        for report in progress(report_plans, label="rows     ", stream=stream):
            plan = plans[report.contract]
            counted = report.status in ("submitted", "approved")
            if counted:
                plan.reported_until = max(plan.reported_until or report.end, report.end)
            k = report.rows
            if k == 0:
                continue
            length = (report.end - report.start).days + 1
            cap = min(MAX_ROWS_PER_PARTICIPANT, length)
            people = min(k, max(math.ceil(k / cap), round(k / 1.3)))
            roster = [p for p in rosters[plan.index] if rng.random() < 0.75]
            if len(roster) > people:
                roster = rng.sample(roster, people)
            on_roster = {p.ref for p in roster}
            while len(roster) < people:
                pool = known[plan.index]
                back = rng.choice(pool) if pool and rng.random() < 0.25 else None
                if back is None or back.ref in on_roster:
                    back = participant(plan)
                    pool.append(back)
                roster.append(back)
                on_roster.add(back.ref)
            rosters[plan.index] = roster
            counts = [1] * people
            for _ in range(k - people):
                j = rng.randrange(people)
                while counts[j] >= cap:
                    j = (j + 1) % people
                counts[j] += 1
            first = report.start.toordinal()
            for person, count in zip(roster, counts, strict=True):
                for j in range(count):
                    # Slice j of the period belongs to this person's j-th row: no overlap.
                    low, high = j * length // count, (j + 1) * length // count - 1
                    if rng.random() < 0.5:
                        a, b = low, high
                    else:
                        a = rng.randint(low, high)
                        b = rng.randint(a, high)
                    days = b - a + 1
                    # 12-40 hours a week, far below the 60 per started week allowed.
                    cents = int(days * 100 * 40 / 7 * rng.uniform(0.3, 1.0))
                    if counted:
                        plan.days_by_group[person.group_id] += days
                        plan.cents_by_group[person.group_id] += cents
                        plan.people_by_group[person.group_id].add(person.ref)
                        stats.counted_rows += 1
                    yield (
                        report.id,
                        person.ref,
                        person.group_id,
                        day(first + a),
                        day(first + b),
                        f"{cents // 100}.{cents % 100:02d}",
                        rng.choice(ROLES),
                        "",
                        *person.facts,
                        False,
                        "unconfirmed",
                        "",
                    )

    stats.rows = _copy(
        "internships_placementrow",
        (
            "report_id",
            "participant_ref",
            "target_group_id",
            "start_date",
            "end_date",
            "hours",
            "role",
            "notes",
            "employment_type",
            "gender",
            "born_abroad",
            "age_band",
            "ended_by_participant",
            "verification",
            "verification_comment",
        ),
        placement_rows(),
    )
    stats.participants = serial
    rosters.clear()
    known.clear()
    dates.clear()

    _generate_clauses(plans, groups, stats, seed=seed, stream=stream)
    stats.seconds = time.perf_counter() - started
    return stats


def _generate_clauses(
    plans: list[ContractPlan],
    groups: dict[str, int],
    stats: GenerationStats,
    *,
    seed: int,
    stream: TextIO,
) -> None:
    """1-3 clauses per contract, every metric, targets that fit what the contract delivers."""
    from core.progress import progress

    rng = random.Random(seed + 1)
    counts = [rng.choices((1, 2, 3), (40, 35, 25))[0] for _ in plans]
    clause_ids = iter(_reserve_ids("contracts_socialclause", sum(counts)))
    clauses, links, milestones = [], [], []
    for plan, count in progress(
        list(zip(plans, counts, strict=True)), label="clauses  ", stream=stream
    ):
        length = (plan.end - plan.start).days
        span = (plan.reported_until - plan.start).days + 1 if plan.reported_until else 0
        for metric in rng.sample(METRICS, count):
            clause_id = next(clause_ids)
            stats.clauses[metric] += 1
            start, due = plan.start, plan.end
            if rng.random() < 0.3:  # a clause that starts later or ends earlier than its contract
                start += timedelta(days=rng.randint(0, length // 4))
                due -= timedelta(days=rng.randint(0, length // 4))
            window = (due - start).days
            chosen = (
                rng.sample(sorted(groups), rng.choice((1, 1, 2))) if rng.random() < 0.35 else []
            )
            counted = [groups[code] for code in chosen] or list(groups.values())
            if chosen:
                stats.clauses_with_groups += 1
                links.extend((clause_id, groups[code]) for code in chosen)
            days = sum(plan.days_by_group[g] for g in counted)
            # What the clause would reach over its window at the pace so far, give or take.
            pace = window / span if span else 0
            if metric == "placement_weeks":
                target = days * pace / 7 if days else window / 7 * 2
                target *= rng.uniform(0.6, 1.5)
                penalty = rng.choice((0, 0, 500, 1000))
            elif metric == "hours":
                cents = sum(plan.cents_by_group[g] for g in counted)
                target = cents / 100 * pace if cents else window * 10
                target *= rng.uniform(0.6, 1.5)
                penalty = rng.choice((0, 0, 150, 300))
            else:
                people = sum(len(plan.people_by_group[g]) for g in counted)
                target = people * min(pace, 3) * rng.uniform(0.4, 1.2) if people else 5
                penalty = rng.choice((0, 0, 15_000, 30_000))
            target = max(1, round(target))
            min_weeks = rng.choice((0, 2, 4, 8)) if metric == "placements" else 0
            clauses.append(
                (
                    clause_id,
                    plan.id,
                    metric,
                    f"{target}.00",
                    start,
                    due,
                    f"{min_weeks}.00",
                    rng.choice(("0.00", "10.00", "10.00", "20.00", "25.00")),
                    f"{penalty}.00",
                    "",
                    "numeric",
                    "[]",
                    "40.00",
                    False,
                    "",
                )
            )
            if rng.random() < 0.3:
                stats.clauses_with_milestones += 1
                steps = rng.randint(1, 3)
                reached = 0
                for step in range(1, steps + 1):
                    when = start + timedelta(days=window * step // (steps + 1))
                    reached = max(reached, round(target * step / (steps + 1) * rng.uniform(0.7, 1)))
                    milestones.append((clause_id, when, f"{min(reached, target)}.00"))
                    stats.milestones += 1
    _copy(
        "contracts_socialclause",
        (
            "id",
            "contract_id",
            "metric",
            "target",
            "start_date",
            "due_date",
            "min_placement_weeks",
            "tolerance_pct",
            "penalty_per_unit_sek",
            "text",
            "kind",
            "employment_types",
            "full_time_hours_per_week",
            "requires_matcher_confirmation",
            "template",
        ),
        clauses,
    )
    _copy("contracts_socialclause_target_groups", ("socialclause_id", "targetgroup_id"), links)
    _copy("contracts_clausemilestone", ("clause_id", "date", "cumulative_target"), milestones)


# --- Measurement ---------------------------------------------------------------------------------


@dataclass
class Measurement:
    evaluation_times: list[float]
    floor_times: list[float]
    clauses: int
    floor_groups: int
    statuses: Counter
    maxrss_before_kib: int
    maxrss_after_kib: int
    tracemalloc_peak: int
    load_before: float
    load_after: float

    @property
    def evaluation_best(self) -> float:
        return min(self.evaluation_times)

    @property
    def floor_best(self) -> float:
        return min(self.floor_times)

    @property
    def ratio(self) -> float:
        return self.evaluation_best / self.floor_best


def _maxrss_kib() -> int:
    # Kilobytes on Linux (bytes on macOS, where this benchmark is not run).
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def measure(*, as_of: date = AS_OF, repeats: int = 3) -> Measurement:
    """Time the full evaluation and the floor query, ``repeats`` times each."""
    from django.db import connection

    from contracts.selectors import evaluate_clauses

    maxrss_before = _maxrss_kib()
    load_before = os.getloadavg()[0]
    evaluation_times = []
    clauses = 0
    statuses: Counter = Counter()
    for run in range(repeats):
        gc.collect()
        started = time.perf_counter()
        evaluations = evaluate_clauses(as_of=as_of)
        evaluation_times.append(time.perf_counter() - started)
        if run == 0:
            clauses = len(evaluations)
            statuses = Counter(item.evaluation.status for item in evaluations)
        del evaluations
    maxrss_after = _maxrss_kib()

    floor_times = []
    groups = 0
    for _run in range(repeats):
        gc.collect()
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(FLOOR_SQL, ["submitted", "approved"])
            result = cursor.fetchall()
        floor_times.append(time.perf_counter() - started)
        groups = len(result)
        del result
    load_after = os.getloadavg()[0]

    # One more, untimed evaluation under tracemalloc (which slows Python down a lot).
    gc.collect()
    tracemalloc.start()
    try:
        evaluations = evaluate_clauses(as_of=as_of)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    del evaluations
    return Measurement(
        evaluation_times=evaluation_times,
        floor_times=floor_times,
        clauses=clauses,
        floor_groups=groups,
        statuses=statuses,
        maxrss_before_kib=maxrss_before,
        maxrss_after_kib=maxrss_after,
        tracemalloc_peak=peak,
        load_before=load_before,
        load_after=load_after,
    )


def _mib(kib: float) -> str:
    return f"{kib / 1024:.0f} MiB"


def print_report(
    stats: GenerationStats, result: Measurement, *, as_of: date, out: TextIO | None = None
) -> None:
    """The figures, one per line; the last line is ``ratio: X``."""
    out = out or sys.stdout
    metrics = ", ".join(f"{metric} {stats.clauses[metric]}" for metric in METRICS)
    reports = ", ".join(f"{status} {count}" for status, count in stats.reports.most_common())
    statuses = ", ".join(f"{status} {count}" for status, count in result.statuses.most_common())
    best = result.evaluation_best

    def times(values: list[float]) -> str:
        return " ".join(f"{value:.3f}" for value in values)

    lines = [
        f"contracts: {stats.contracts} ({stats.contractors} contractors, "
        f"{stats.procurements} procurements)",
        f"clauses: {stats.clause_count} ({metrics}; {stats.clauses_with_groups} with target "
        f"groups, {stats.clauses_with_milestones} with {stats.milestones} milestones)",
        f"reports: {sum(stats.reports.values())} ({reports})",
        f"rows: {stats.rows} ({stats.counted_rows} in submitted/approved reports; "
        f"{stats.participants} participants)",
        f"generation: {stats.seconds:.1f} s",
        f"evaluation: evaluate_clauses(as_of={as_of.isoformat()}) over {result.clauses} clauses: "
        f"first {result.evaluation_times[0]:.3f} s, best of {len(result.evaluation_times)} "
        f"{best:.3f} s (runs: {times(result.evaluation_times)})",
        f"clause statuses: {statuses}",
        f"floor: one SQL aggregate, {result.floor_groups} contracts fetched: first "
        f"{result.floor_times[0]:.3f} s, best of {len(result.floor_times)} "
        f"{result.floor_best:.3f} s (runs: {times(result.floor_times)})",
        f"rows/s (evaluation, best run): {stats.rows / best:,.0f}",
        f"peak memory: ru_maxrss {_mib(result.maxrss_after_kib)} for the whole process after the "
        f"timed evaluations ({_mib(result.maxrss_before_kib)} before them, i.e. after "
        f"generation); tracemalloc peak during one more evaluation "
        f"{_mib(result.tracemalloc_peak / 1024)} (Python allocations only)",
        f"load average (1 min) before/after the timed runs: {result.load_before:.2f} / "
        f"{result.load_after:.2f} on {os.cpu_count()} cpus",
        f"ratio: {result.ratio:.2f}",
    ]
    out.write("\n".join(lines) + "\n")
    out.flush()


def run(
    contracts: int,
    rows: int,
    *,
    seed: int = 1,
    as_of: date = AS_OF,
    repeats: int = 3,
    prepare: bool = True,
    force: bool = False,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> Measurement:
    """The whole benchmark. ``prepare=False`` (tests) skips migrate, wipe and VACUUM."""
    from django.core.management import call_command
    from django.db import connection

    out = out or sys.stdout
    err = err or sys.stderr
    require_postgresql()
    if prepare:
        ensure_database()
        refuse_foreign_data(force=force)
        call_command("migrate", verbosity=0, interactive=False)
        wipe()
    with connection.cursor() as cursor:
        cursor.execute("SELECT version(), current_database()")
        version, database = cursor.fetchone()
    out.write(
        f"database: {database} on {version.split(',')[0]}; python {platform.python_version()}, "
        f"{os.cpu_count()} cpus\n"
    )
    out.write(f"generating {contracts} contracts and {rows} rows (seed {seed})...\n")
    out.flush()
    stats = generate(contracts, rows, seed=seed, as_of=as_of, stream=err)
    vacuum_started = time.perf_counter()
    vacuum_analyze(vacuum=prepare)
    out.write(
        f"{'VACUUM ANALYZE' if prepare else 'ANALYZE'}: "
        f"{time.perf_counter() - vacuum_started:.1f} s\n"
    )
    out.flush()
    result = measure(as_of=as_of, repeats=repeats)
    print_report(stats, result, as_of=as_of, out=out)
    return result


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.compliance",
        description="Time evaluate_clauses() over generated data against a SQL floor.",
    )
    parser.add_argument("--contracts", type=int, default=10_000)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--as-of", type=date.fromisoformat, default=AS_OF)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--force", action="store_true", help="wipe the domain tables even if they hold other data"
    )
    args = parser.parse_args(argv)
    if args.contracts < 1 or args.rows < 0 or args.repeats < 1:
        parser.error("--contracts and --repeats must be at least 1, --rows at least 0")
    setup_django()
    try:
        run(
            args.contracts,
            args.rows,
            seed=args.seed,
            as_of=args.as_of,
            repeats=args.repeats,
            force=args.force,
        )
    except BenchmarkError as error:
        print(f"bench.compliance: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
