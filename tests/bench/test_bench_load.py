"""``python -m bench.load`` at a tiny size: the whole topology starts, every step runs and the
table comes out (the figures themselves live in docs/PERFORMANCE.md)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_bench_load_runs_the_topology_and_prints_the_table(postgres, tmp_path):
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    import psycopg

    database = f"{connection.settings_dict['NAME']}_benchload"
    env = {key: value for key, value in os.environ.items() if key not in {"PYTEST_XDIST_WORKER"}}
    server = urlsplit(os.environ["DATABASE_URL"])
    env["DATABASE_URL"] = urlunsplit(server._replace(path="/postgres"))
    # Its own var/ (collected static files, logs): collectstatic writing into the project's
    # var/static while another test's WhiteNoise scans it makes that test fail.
    env["VAR_DIR"] = str(tmp_path / "var")
    command = [
        sys.executable,
        "-m",
        "bench.load",
        "--database",
        database,
        "--contracts",
        "20",
        "--rows",
        "400",
        "--no-demo",
        "--clients",
        "2",
        "--api-read-clients",
        "3",
        "--requests",
        "4",
        "--duration",
        "2",
        "--overload-clients",
        "4",
        "--overload-duration",
        "2",
        "--recovery-timeout",
        "5",
        "--steps",
        "pages,api,overload,worker-kill",
        "--force",
    ]
    try:
        done = subprocess.run(
            command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=240
        )
    finally:
        params = connection.get_connection_params()
        admin = {k: v for k, v in params.items() if k in {"host", "port", "user", "password"}}
        with psycopg.connect(dbname="postgres", autocommit=True, **admin) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    assert done.returncode == 0, done.stderr[-3000:]
    table = done.stdout
    for line in (
        "baseline .values() GET",
        "healthz",
        "dashboard ?status=all",
        "review page",
        "API POST reports/ (5 rows)",
        "API alerts @3",
        "overload: /dashboard/ (manager)",
        "during overload: healthz",
        "overload normal after s:",
        "worker-kill clauses:",
        "reports lost: 0",
        "snapshots duplicated (clause, day): 0",
        "open alerts duplicated (key): 0",
    ):
        assert line in table, line
    # Every page and API call answered (no 5xx other than the load shedder's 503 under
    # overload, no connection errors) in the normal steps.
    normal = table.split("overload:")[0]
    assert " 0:" not in normal and " 500:" not in normal, normal
