"""Smoke test of the compliance benchmark at a tiny size (no timing is asserted)."""

from __future__ import annotations

import re
from collections import defaultdict
from io import StringIO

import pytest
from django.db import connection

from bench.compliance import BenchmarkError, require_postgresql, run
from contracts.models import Contract, SocialClause
from internships.models import PlacementReport, PlacementRow, RowDates, row_errors


def test_the_benchmark_runs_and_ends_with_the_ratio(postgres):
    out, err = StringIO(), StringIO()

    run(5, 200, repeats=1, prepare=False, out=out, err=err)

    lines = out.getvalue().splitlines()
    assert re.fullmatch(r"ratio: \d+\.\d{2}", lines[-1])
    assert any(line.startswith("rows: 200 ") for line in lines)
    assert "rows " in err.getvalue()  # progress was shown
    assert Contract.objects.count() == 5
    assert SocialClause.objects.count() >= 5
    assert PlacementRow.objects.count() == 200


def test_the_generated_rows_obey_the_model_rules(postgres):
    run(5, 200, repeats=1, prepare=False, out=StringIO(), err=StringIO())

    rows = defaultdict(list)
    for row in PlacementRow.objects.all():
        rows[row.report_id].append(RowDates.of(row))
    for report in PlacementReport.objects.select_related("contract"):
        report.full_clean(validate_constraints=False)
        assert row_errors(report, rows[report.id]) == []


def test_the_benchmark_refuses_anything_but_postgresql(monkeypatch):
    monkeypatch.setattr(connection, "vendor", "sqlite")

    with pytest.raises(BenchmarkError, match="needs PostgreSQL"):
        require_postgresql()
