"""Benchmark: build the annual integration report over a large data set (PostgreSQL; issue 7).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sc_bench \\
        python -m bench.annual --contracts 10000 --rows 1000000 [--reuse]

The data set is the one of :mod:`bench.compliance` (same generator, same seed, evaluated as of
2026-06-30): contracts starting from 3.5 years before that date, so the report for 2025 covers
contracts running in 2025 and 2024 and some that ended in 2023. ``--reuse`` keeps the data already
in the database when it holds exactly the contracts and rows asked for (generating takes a minute).

It times :func:`contracts.annual.annual_report` for ``--year`` (first run and best of
``--repeats``) against a baseline measured in the same run (one
:func:`~contracts.selectors.evaluate_clauses` of every clause at the year's end), counts its
queries, and times writing the workbook and the PDF. The goal of
issue 7 is a report built in under 10 s at 10,000 contracts and 1,000,000 rows; the last line
says whether the best build met it. A measurement, not a test: the exit code is 0 either way.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import sys
import time
from collections.abc import Sequence
from datetime import date
from typing import TextIO

from bench.compliance import (
    AS_OF,
    BenchmarkError,
    _maxrss_kib,
    _mib,
    ensure_database,
    generate,
    refuse_foreign_data,
    require_postgresql,
    setup_django,
    vacuum_analyze,
    wipe,
)

GOAL_SECONDS = 10.0


def _counts() -> tuple[int, int]:
    from contracts.models import Contract
    from internships.models import PlacementRow

    return Contract.objects.count(), PlacementRow.objects.count()


def run(
    contracts: int,
    rows: int,
    *,
    year: int = 2025,
    today: date = AS_OF,
    seed: int = 1,
    repeats: int = 3,
    reuse: bool = False,
    prepare: bool = True,
    force: bool = False,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> float:
    """The whole benchmark; returns the best build time in seconds. ``prepare=False`` (tests)
    skips migrate, wipe and VACUUM."""
    from django.core.management import call_command
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    from contracts import annual_output
    from contracts.annual import annual_report

    out = out or sys.stdout
    err = err or sys.stderr
    require_postgresql()
    if prepare:
        ensure_database()
        refuse_foreign_data(force=force)
        call_command("migrate", verbosity=0, interactive=False)
    with connection.cursor() as cursor:
        cursor.execute("SELECT version(), current_database()")
        version, database = cursor.fetchone()
    out.write(
        f"database: {database} on {version.split(',')[0]}; python {platform.python_version()}, "
        f"{os.cpu_count()} cpus\n"
    )
    if reuse and _counts() == (contracts, rows):
        out.write(f"reusing {contracts} contracts and {rows} rows already in the database\n")
    else:
        if prepare:
            wipe()
        out.write(f"generating {contracts} contracts and {rows} rows (seed {seed})...\n")
        out.flush()
        generate(contracts, rows, seed=seed, as_of=today, stream=err)
        vacuum_analyze(vacuum=prepare)
    found_contracts, found_rows = _counts()
    from contracts.models import SocialClause

    out.write(
        f"data: {found_contracts} contracts, {SocialClause.objects.count()} clauses, "
        f"{found_rows} rows\n"
    )
    out.write(f"report: year {year}, today {today}\n")
    out.flush()

    from contracts.selectors import evaluate_clauses

    # The baseline, measured in the same run: one evaluation of every clause at the year's end
    # (the report needs three, split by target group, plus schedules and tables).
    baseline = []
    for _attempt in range(repeats):
        gc.collect()
        started = time.perf_counter()
        evaluate_clauses(as_of=min(today, date(year, 12, 31)))
        baseline.append(time.perf_counter() - started)
    out.write(f"baseline (evaluate_clauses once): best {min(baseline):.2f} s\n")

    load_before = os.getloadavg()[0]
    times = []
    report = None
    for _attempt in range(repeats):
        report = None  # the previous report is freed before the next one is built
        gc.collect()
        started = time.perf_counter()
        report = annual_report(year=year, today=today)
        times.append(time.perf_counter() - started)
        out.write(f"  build {len(times)}: {times[-1]:.2f} s\n")
        out.flush()
    load_after = os.getloadavg()[0]
    reset_queries()  # a full log (DEBUG) would leave no room to capture into
    with CaptureQueriesContext(connection) as queries:
        annual_report(year=year, today=today)
    out.write(
        f"report: {report.contracts} contracts ({report.value_msek:,.0f} MSEK), "
        f"{len(report.clauses)} clauses, {len(report.reports)} reports due in {year}\n"
    )
    out.write(f"queries per build: {len(queries)}\n")
    out.write(
        f"build: first {times[0]:.2f} s, best of {len(times)} {min(times):.2f} s "
        f"(runs: {' '.join(f'{value:.2f}' for value in times)})\n"
    )
    out.write(f"ratio to the baseline: {min(times) / min(baseline):.2f}\n")
    out.write(f"peak memory (ru_maxrss) after the builds: {_mib(_maxrss_kib())}\n")
    out.write(
        f"load average (1 min) before/after the builds: {load_before:.2f} / {load_after:.2f} "
        f"on {os.cpu_count()} cpus\n"
    )
    out.flush()
    for name, render in (("xlsx", annual_output.render_xlsx), ("pdf", annual_output.render_pdf)):
        gc.collect()
        started = time.perf_counter()
        try:
            body = render(report)
        except annual_output.PdfUnavailable as error:  # no Pango here: say so, go on
            out.write(f"{name}: not made ({error})\n")
            continue
        out.write(f"{name}: {time.perf_counter() - started:.2f} s, {len(body):,} bytes\n")
        out.flush()
    out.write(f"peak memory (ru_maxrss) after rendering: {_mib(_maxrss_kib())}\n")
    best = min(times)
    verdict = "PASS" if best < GOAL_SECONDS else "FAIL"
    out.write(f"goal: best build {best:.2f} s < {GOAL_SECONDS:.0f} s: {verdict}\n")
    out.flush()
    return best


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.annual",
        description="Time the annual integration report over generated data.",
    )
    parser.add_argument("--contracts", type=int, default=10_000)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--year", type=int, default=2025)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--reuse", action="store_true", help="keep data of the same size already in the database"
    )
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
            year=args.year,
            seed=args.seed,
            repeats=args.repeats,
            reuse=args.reuse,
            force=args.force,
        )
    except BenchmarkError as error:
        print(f"bench.annual: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
