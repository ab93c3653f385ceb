"""Benchmark: the REST API in process, beside bare Django views over the same rows (PostgreSQL).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sc_bench_api \\
        python -m bench.api --contracts 10000 --rows 200000

What it does (docs/PERFORMANCE.md, "REST API", has the figures):

1. Sets Django up, refuses anything but PostgreSQL, prepares the database and generates the data
   set exactly as ``bench.compliance`` does (its functions, imported), then makes a contractor user
   (member of the contractor of a generated contract) and a superuser.
2. Times, with ``rest_framework.test.APIClient`` (``force_authenticate``, no server, no network),
   ``--requests`` requests after ``--warmup`` untimed ones, and reports p50 and p95 of:

   * ``GET /api/v1/contracts/?page_size=100`` (superuser),
   * ``GET /api/v1/contracts/{id}/compliance/?as_of=...`` (superuser),
   * ``POST /api/v1/reports/`` with ``--report-rows`` rows for an empty period (contractor user;
     the report is deleted after each request, outside the timed region),

   each beside a BASELINE: a bare Django view of this module, served by the same test client
   through the same middleware on a throwaway URLconf, that returns the same rows with
   ``.values()`` as JSON (for the create: ``objects.create`` of the report and ``bulk_create`` of
   the same rows). ``ratio`` = API p50 / baseline p50.
3. Imports a generated CSV of ``--import-rows`` rows through ``POST /api/v1/reports/import/``
   (import limits raised, throttles off): seconds, rows/s, ru_maxrss (whole process) and, on a
   second import under tracemalloc, the tracemalloc peak (Python allocations only).

Progress goes to stderr, results to stdout; the last line is a summary.
"""

from __future__ import annotations

import argparse
import csv
import gc
import io
import os
import platform
import resource
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import TextIO
from unittest import mock

from bench import compliance
from bench.compliance import AS_OF, BenchmarkError

CONTRACTOR_USER = "bench-entreprenor"
SUPERUSER = "bench-admin"
API = "/api/v1/"
BASE = "/bench-baseline/"


# --- Baseline views (served on this module's throwaway URLconf) --------------------------------


def _json(data):
    from django.core.serializers.json import DjangoJSONEncoder
    from django.http import JsonResponse

    return JsonResponse(data, encoder=DjangoJSONEncoder, safe=False)


def baseline_contracts(request):
    """The first ``page_size`` contracts in the API's order, their own fields, and the count."""
    from contracts.models import Contract

    size = int(request.GET.get("page_size", 100))
    contracts = Contract.objects.order_by("reference", "id")
    return _json({"count": contracts.count(), "results": list(contracts[:size].values())})


def baseline_clauses(request, pk: int):
    """The raw fields of one contract's clauses."""
    from contracts.models import SocialClause

    return _json(list(SocialClause.objects.filter(contract_id=pk).order_by("id").values()))


def baseline_report_create(request):
    """``objects.create`` of the report and ``bulk_create`` of its rows, from a JSON body."""
    import json

    from internships.models import PlacementReport, PlacementRow

    body = json.loads(request.body)
    report = PlacementReport.objects.create(
        contract_id=body["contract"],
        period_start=body["period_start"],
        period_end=body["period_end"],
    )
    groups = _group_ids()
    PlacementRow.objects.bulk_create(
        PlacementRow(
            report=report,
            participant_ref=row["participant_ref"],
            target_group_id=groups[row["target_group"]],
            start_date=row["start_date"],
            end_date=row["end_date"],
            hours=Decimal(row["hours"]),
            role=row.get("role", ""),
        )
        for row in body["rows"]
    )
    return _created(report.pk)


def _created(pk: int):
    response = _json({"id": pk})
    response.status_code = 201
    return response


_GROUPS: dict[str, int] = {}


def _group_ids() -> dict[str, int]:
    from contracts.models import TargetGroup

    if not _GROUPS:
        _GROUPS.update(TargetGroup.objects.values_list("code", "id"))
    return _GROUPS


def _urlpatterns():
    from django.urls import path
    from django.views.decorators.csrf import csrf_exempt

    return [
        path(f"{BASE[1:]}contracts/", baseline_contracts),
        path(f"{BASE[1:]}contracts/<int:pk>/clauses/", baseline_clauses),
        # CSRF-exempt like the token-authenticated API it is compared with (bench.load posts
        # through a real server, where the CSRF middleware applies).
        path(f"{BASE[1:]}reports/", csrf_exempt(baseline_report_create)),
    ]


def __getattr__(name: str):
    # ``urlpatterns`` is built lazily: Django is not set up when this module is imported.
    if name == "urlpatterns":
        return _urlpatterns()
    raise AttributeError(name)


# --- Measurement ---------------------------------------------------------------------------------


@dataclass
class Timing:
    label: str
    times: list[float]

    @property
    def p50(self) -> float:
        return statistics.median(self.times)

    @property
    def p95(self) -> float:
        ordered = sorted(self.times)
        return ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]


def _time(
    label: str,
    call: Callable[[], object],
    *,
    requests: int,
    warmup: int,
    after: Callable[[object], None] | None = None,
) -> Timing:
    times = []
    for number in range(warmup + requests):
        started = time.perf_counter()
        result = call()
        elapsed = time.perf_counter() - started
        if after is not None:
            after(result)
        if number >= warmup:
            times.append(elapsed)
    return Timing(label, times)


def _check(response, expected: int, what: str):
    if response.status_code != expected:
        body = getattr(response, "content", b"")[:1000]
        raise BenchmarkError(f"{what}: expected {expected}, got {response.status_code}: {body!r}")
    return response


@dataclass
class Fixture:
    superuser: object
    contractor_user: object
    contract_id: int  # for the compliance request (has clauses)
    create_contract_id: int  # the contractor user's, with ``create_period`` free
    create_period: tuple[date, date]
    import_contract_id: int
    import_period: tuple[date, date]


def make_users_and_pick() -> Fixture:
    from django.contrib.auth.models import User
    from django.db.models import Count

    from contracts.models import Contract
    from internships.models import PlacementReport
    from procurement.models import ContractorMembership

    User.objects.filter(username__in=[CONTRACTOR_USER, SUPERUSER]).delete()
    superuser = User.objects.create_superuser(SUPERUSER, "bench-admin@example.se", None)
    contractor_user = User.objects.create_user(CONTRACTOR_USER, "bench@bygg.example.se", None)

    # The contract with the most clauses, for the compliance request.
    contract_id = (
        Contract.objects.annotate(n=Count("clauses")).order_by("-n", "id").values_list("id")[0][0]
    )

    # Two contracts of one contractor, each with a period without a report.
    free: dict[int, list[tuple[int, date, date]]] = {}
    first = second = None
    for contract in Contract.objects.order_by("contractor_id", "id").iterator():
        taken = set(
            PlacementReport.objects.filter(contract=contract).values_list("period_start", flat=True)
        )
        period = next((p for p in contract.reporting_periods() if p.start not in taken), None)
        if period is None:
            continue
        found = free.setdefault(contract.contractor_id, [])
        found.append((contract.id, period.start, period.end))
        if len(found) == 2:
            first, second = found
            break
    if first is None or second is None:
        raise BenchmarkError("No contractor has two contracts with a free period; more contracts.")
    contractor_id = contract.contractor_id
    ContractorMembership.objects.create(user=contractor_user, contractor_id=contractor_id)
    contractor_user = User.objects.select_related("contractor_membership").get(
        pk=contractor_user.pk
    )
    return Fixture(
        superuser=superuser,
        contractor_user=contractor_user,
        contract_id=contract_id,
        create_contract_id=first[0],
        create_period=(first[1], first[2]),
        import_contract_id=second[0],
        import_period=(second[1], second[2]),
    )


def _report_rows(period: tuple[date, date], count: int) -> list[dict]:
    codes = sorted(_group_ids())
    start, end = period
    last = min(end, start + timedelta(days=6))
    return [
        {
            "participant_ref": f"BENCH-D{n:06d}",
            "target_group": codes[n % len(codes)],
            "start_date": start.isoformat(),
            "end_date": last.isoformat(),
            "hours": "40.00",
            "role": "Snickare",
        }
        for n in range(count)
    ]


def _import_csv(period: tuple[date, date], count: int) -> bytes:
    """``count`` valid rows: one participant each, a week (or less) of 40 hours."""
    codes = sorted(_group_ids())
    start, end = period
    last = min(end, start + timedelta(days=6))
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["participant_ref", "target_group", "start_date", "end_date", "hours", "role"])
    for n in range(count):
        writer.writerow(
            [f"BENCH-I{n:07d}", codes[n % len(codes)], start, last, "40.00", "Snickare"]
        )
    return buffer.getvalue().encode()


def _delete_report(report_id: int) -> None:
    from internships.models import PlacementReport, PlacementRow

    PlacementRow.objects.filter(report_id=report_id).delete()
    PlacementReport.objects.filter(pk=report_id).delete()


def _maxrss_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


@dataclass
class ImportResult:
    rows: int
    bytes: int
    seconds: float
    maxrss_before_kib: int
    maxrss_after_kib: int
    tracemalloc_peak: int | None


def measure_import(fx: Fixture, rows: int, *, trace: bool, err: TextIO) -> ImportResult:
    from django.core.files.uploadedfile import SimpleUploadedFile
    from rest_framework.test import APIClient

    content = _import_csv(fx.import_period, rows)
    client = APIClient()
    client.force_authenticate(fx.contractor_user)

    def post():
        upload = SimpleUploadedFile("bench.csv", content, content_type="text/csv")
        return client.post(
            f"{API}reports/import/",
            {
                "file": upload,
                "contract": fx.import_contract_id,
                "period_start": fx.import_period[0].isoformat(),
                "period_end": fx.import_period[1].isoformat(),
            },
            format="multipart",
        )

    err.write(f"importing {rows} rows ({len(content):,} bytes)...\n")
    gc.collect()
    before = _maxrss_kib()
    started = time.perf_counter()
    response = post()
    seconds = time.perf_counter() - started
    after = _maxrss_kib()
    _check(response, 201, "import")
    _delete_report(response.json()["id"])
    peak = None
    if trace:
        err.write("importing again under tracemalloc...\n")
        gc.collect()
        tracemalloc.start()
        try:
            response = post()
            _current, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        _check(response, 201, "import (tracemalloc)")
        _delete_report(response.json()["id"])
    return ImportResult(rows, len(content), seconds, before, after, peak)


def measure_requests(
    fx: Fixture, *, requests: int, warmup: int, report_rows: int, as_of: date
) -> list[tuple[Timing, Timing]]:
    from django.test import override_settings
    from rest_framework.test import APIClient

    admin = APIClient()
    admin.force_authenticate(fx.superuser)
    contractor = APIClient()
    contractor.force_authenticate(fx.contractor_user)
    plain = APIClient()
    kw = {"requests": requests, "warmup": warmup}
    pairs = []

    # 1. Contracts list.
    api = _time(
        "GET contracts/?page_size=100",
        lambda: _check(admin.get(f"{API}contracts/?page_size=100"), 200, "contracts"),
        **kw,
    )
    with override_settings(ROOT_URLCONF=__name__):
        base = _time(
            "baseline: 100 contracts .values() + count",
            lambda: _check(plain.get(f"{BASE}contracts/?page_size=100"), 200, "baseline"),
            **kw,
        )
    pairs.append((api, base))

    # 2. One contract's compliance.
    pk = fx.contract_id
    api = _time(
        f"GET contracts/{pk}/compliance/",
        lambda: _check(
            admin.get(f"{API}contracts/{pk}/compliance/?as_of={as_of.isoformat()}"),
            200,
            "compliance",
        ),
        **kw,
    )
    with override_settings(ROOT_URLCONF=__name__):
        base = _time(
            "baseline: its clauses .values()",
            lambda: _check(plain.get(f"{BASE}contracts/{pk}/clauses/"), 200, "baseline"),
            **kw,
        )
    pairs.append((api, base))

    # 3. Report create (deleted after each request, outside the timed region).
    body = {
        "contract": fx.create_contract_id,
        "period_start": fx.create_period[0].isoformat(),
        "period_end": fx.create_period[1].isoformat(),
        "rows": _report_rows(fx.create_period, report_rows),
    }

    def delete(response) -> None:
        _delete_report(response.json()["id"])

    api = _time(
        f"POST reports/ ({report_rows} rows)",
        lambda: _check(contractor.post(f"{API}reports/", body, format="json"), 201, "create"),
        after=delete,
        **kw,
    )
    with override_settings(ROOT_URLCONF=__name__):
        base = _time(
            "baseline: create + bulk_create",
            lambda: _check(plain.post(f"{BASE}reports/", body, format="json"), 201, "baseline"),
            after=delete,
            **kw,
        )
    pairs.append((api, base))
    return pairs


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:8.2f}"


def _mib(kib: float) -> str:
    return f"{kib / 1024:.0f} MiB"


def print_report(
    pairs: list[tuple[Timing, Timing]],
    imported: ImportResult | None,
    *,
    requests: int,
    warmup: int,
    out: TextIO,
) -> None:
    width = max(len(t.label) for pair in pairs for t in pair) + 2
    lines = [
        f"latency over {requests} requests each (after {warmup} warm-up), milliseconds:",
        f"{'request':<{width}} {'p50':>8} {'p95':>8} {'ratio':>7}",
    ]
    ratios = []
    for api, base in pairs:
        ratio = api.p50 / base.p50
        ratios.append(ratio)
        lines.append(f"{api.label:<{width}} {_ms(api.p50)} {_ms(api.p95)} {ratio:7.2f}")
        lines.append(f"{'  ' + base.label:<{width}} {_ms(base.p50)} {_ms(base.p95)}")
    summary = "summary: ratio (API p50 / baseline p50) " + ", ".join(
        f"{name} {ratio:.2f}"
        for name, ratio in zip(("list", "compliance", "create"), ratios, strict=True)
    )
    if imported is not None:
        rate = imported.rows / imported.seconds
        lines.append(
            f"import: {imported.rows} rows ({imported.bytes / 1024 / 1024:.1f} MiB CSV) in "
            f"{imported.seconds:.2f} s = {rate:,.0f} rows/s"
        )
        lines.append(
            f"import memory: ru_maxrss {_mib(imported.maxrss_after_kib)} for the whole process "
            f"after the import ({_mib(imported.maxrss_before_kib)} before it)"
            + (
                "; tracemalloc peak during a second import "
                f"{_mib(imported.tracemalloc_peak / 1024)}"
                " (Python allocations only)"
                if imported.tracemalloc_peak is not None
                else ""
            )
        )
        summary += f"; import {imported.rows} rows {imported.seconds:.2f} s ({rate:,.0f} rows/s)"
    lines.append(summary)
    out.write("\n".join(lines) + "\n")
    out.flush()


def run(args, out: TextIO, err: TextIO) -> None:
    from django.core.management import call_command
    from django.db import connection
    from django.test import override_settings

    from core.api.throttling import ImportRateThrottle, WriteRateThrottle

    compliance.require_postgresql()
    compliance.ensure_database()
    compliance.refuse_foreign_data(force=args.force)
    call_command("migrate", verbosity=0, interactive=False)
    compliance.wipe()
    with connection.cursor() as cursor:
        cursor.execute("SELECT version(), current_database()")
        version, database = cursor.fetchone()
    out.write(
        f"database: {database} on {version.split(',')[0]}; python {platform.python_version()}, "
        f"{os.cpu_count()} cpus\n"
    )
    out.write(f"generating {args.contracts} contracts and {args.rows} rows (seed {args.seed})...\n")
    out.flush()
    stats = compliance.generate(args.contracts, args.rows, seed=args.seed, stream=err)
    compliance.vacuum_analyze(vacuum=True)
    out.write(
        f"generated: {stats.contracts} contracts, {stats.clause_count} clauses, "
        f"{sum(stats.reports.values())} reports, {stats.rows} rows in {stats.seconds:.1f} s\n"
    )
    fx = make_users_and_pick()
    out.write(
        f"compliance contract {fx.contract_id}; create on contract {fx.create_contract_id} "
        f"{fx.create_period[0]}..{fx.create_period[1]}; import on contract "
        f"{fx.import_contract_id} {fx.import_period[0]}..{fx.import_period[1]}\n"
    )
    out.flush()
    with (
        override_settings(
            ALLOWED_HOSTS=["testserver"],
            SECURE_SSL_REDIRECT=False,
            IMPORT_MAX_ROWS=max(200_000, args.import_rows),
            IMPORT_MAX_BYTES=50 * 1024 * 1024,
        ),
        mock.patch.object(WriteRateThrottle, "allow_request", return_value=True),
        mock.patch.object(ImportRateThrottle, "allow_request", return_value=True),
    ):
        err.write("timing requests...\n")
        pairs = measure_requests(
            fx,
            requests=args.requests,
            warmup=args.warmup,
            report_rows=args.report_rows,
            as_of=AS_OF,
        )
        imported = None
        if args.import_rows:
            imported = measure_import(fx, args.import_rows, trace=not args.no_tracemalloc, err=err)
    print_report(pairs, imported, requests=args.requests, warmup=args.warmup, out=out)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.api",
        description="Time API requests in process against bare Django views over the same rows.",
    )
    parser.add_argument("--contracts", type=int, default=10_000)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--report-rows", type=int, default=10)
    parser.add_argument("--import-rows", type=int, default=100_000)
    parser.add_argument("--no-tracemalloc", action="store_true", help="skip the second import")
    parser.add_argument(
        "--force", action="store_true", help="wipe the domain tables even if they hold other data"
    )
    args = parser.parse_args(argv)
    if args.contracts < 1 or args.rows < 0 or args.requests < 1 or args.warmup < 0:
        parser.error("--contracts and --requests must be at least 1")
    compliance.setup_django()
    try:
        run(args, sys.stdout, sys.stderr)
    except BenchmarkError as error:
        print(f"bench.api: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
