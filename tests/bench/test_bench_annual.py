"""Smoke test of the annual-report benchmark at a tiny size (no timing is asserted)."""

from __future__ import annotations

import re
from io import StringIO

from bench.annual import run
from contracts.models import Contract
from internships.models import PlacementRow


def test_the_benchmark_builds_the_report_and_ends_with_the_goal(postgres):
    out, err = StringIO(), StringIO()

    best = run(5, 200, repeats=1, prepare=False, out=out, err=err)

    lines = out.getvalue().splitlines()
    assert re.fullmatch(r"goal: best build \d+\.\d{2} s < 10 s: (PASS|FAIL)", lines[-1])
    assert f"{best:.2f} s" in lines[-1]
    assert any(re.fullmatch(r"queries per build: \d+", line) for line in lines)
    assert any(line.startswith("pdf: ") for line in lines)
    assert (Contract.objects.count(), PlacementRow.objects.count()) == (5, 200)

    # --reuse keeps data of the asked size instead of generating it again.
    again = StringIO()
    run(5, 200, repeats=1, prepare=False, reuse=True, out=again, err=StringIO())
    assert "reusing 5 contracts and 200 rows" in again.getvalue()
    assert PlacementRow.objects.count() == 200
