"""Faults (issue 6): Redis stopped while contractors report, a PostgreSQL connection lost in the
middle of a task, and two beat processes at once. Real services throughout: a Redis server this
test starts and stops, the real PostgreSQL, real worker and beat processes."""

from __future__ import annotations

import email
import subprocess
import sys
import time
from datetime import date
from decimal import Decimal

import psycopg
import pytest
import redis as redis_client
from django.conf import settings
from django.db import connection
from rest_framework.test import APIClient

from config.celery import app as celery_app
from contracts import tasks
from contracts.choices import Metric
from contracts.models import ClauseSnapshot, Contract
from internships.models import PlacementReport
from tests.factories import (
    ContractFactory,
    ContractorUserFactory,
    SocialClauseFactory,
    UserFactory,
)


def _point_celery_at(url: str) -> None:
    celery_app.conf.broker_url = url
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.mark.redis
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_with_redis_stopped_a_report_is_accepted_quickly_and_evaluated_by_the_next_run(
    redis_url, own_redis, settings
):
    # ``redis_url``: runs with the production broker settings (REDIS_URL set), which this test
    # then points at a Redis server of its own.
    url = own_redis.url
    contract = ContractFactory(start_date=date(2024, 1, 1), end_date=date(2025, 12, 31))
    clause = SocialClauseFactory(contract=contract, metric=Metric.PLACEMENTS, target=Decimal(5))
    user = ContractorUserFactory(username="redis-ner", contractor=contract.contractor)
    original = celery_app.conf.broker_url
    # Broker and throttle counters both in that Redis, as in production.
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}
    }
    _point_celery_at(url)
    try:
        api = APIClient()
        api.force_authenticate(user)
        assert api.post("/api/v1/alerts/", {}).status_code in (403, 405)  # Redis answers now
        own_redis.stop()
        with pytest.raises(redis_client.ConnectionError):
            redis_client.Redis.from_url(url, socket_connect_timeout=1).ping()

        period = contract.reporting_periods()[0]
        body = {
            "contract": contract.pk,
            "period_start": period.start.isoformat(),
            "period_end": period.end.isoformat(),
            "rows": [
                {
                    "participant_ref": f"R-{n}",
                    "target_group": "youth",
                    "start_date": period.start.isoformat(),
                    "end_date": period.end.isoformat(),
                    "hours": "100",
                }
                for n in range(3)
            ],
        }
        started = time.monotonic()
        created = api.post("/api/v1/reports/", body, format="json")
        created_in = time.monotonic() - started
        assert created.status_code == 201, created.content
        started = time.monotonic()
        submitted = api.post(f"/api/v1/reports/{created.json()['id']}/submit/")
        submitted_in = time.monotonic() - started
        assert submitted.status_code == 200, submitted.content
        assert created_in < 2 and submitted_in < 2, (created_in, submitted_in)
    finally:
        _point_celery_at(original)

    report = PlacementReport.objects.get()
    assert report.status == "submitted" and report.rows.count() == 3  # nothing lost
    assert Contract.objects.get(pk=contract.pk).evaluation_requested_at is not None
    tasks.evaluate_requested.apply().get()  # the next scheduled run, once the broker is back
    snapshot = ClauseSnapshot.objects.get(clause=clause)
    assert snapshot.reported == 3


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_connection_lost_in_the_middle_of_a_task_is_retried_and_the_work_done_once(postgres):
    contract = ContractFactory(start_date=date(2024, 1, 1), end_date=date(2025, 12, 31))
    clause = SocialClauseFactory(contract=contract, metric=Metric.PLACEMENTS, target=Decimal(5))
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    params = connection.get_connection_params()
    admin = {k: v for k, v in params.items() if k in ("host", "port", "user", "password", "dbname")}
    attempts: list[int] = []

    def lose_the_connection_once(execute, sql, params, many, context):
        if not attempts:
            attempts.append(pid)
            with psycopg.connect(**admin, autocommit=True) as other:
                other.execute("SELECT pg_terminate_backend(%s)", [pid])  # as a DB restart does
        return execute(sql, params, many, context)

    runs: list[str] = []
    original_run = tasks.evaluate_contract.run

    def counted(*args, **kwargs):
        runs.append("run")
        return original_run(*args, **kwargs)

    tasks.evaluate_contract.run = counted
    try:
        with connection.execute_wrapper(lose_the_connection_once):
            tasks.evaluate_contract.apply(args=[contract.pk, "2025-06-30"])
    finally:
        tasks.evaluate_contract.run = original_run

    assert attempts == [pid]  # the connection really was lost
    assert len(runs) == 2  # one failed attempt, one retry (bounded: max_retries=5)
    assert tasks.evaluate_contract.max_retries == 5
    assert ClauseSnapshot.objects.filter(clause=clause, date=date(2025, 6, 30)).count() == 1


FAST_BEAT = """
from config.celery import app
app.conf.beat_schedule = {
    "evaluate": {"task": "contracts.evaluate_all", "schedule": 2.0},
    "digests": {"task": "contracts.send_alert_digests", "schedule": 2.0},
}
"""


@pytest.mark.redis
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_beat_processes_for_a_minute_send_no_duplicate_alert(postgres, redis_url, tmp_path):
    # Data the jobs will alert on: a clause well behind, two managers and the officer.
    officer = UserFactory(username="beat-officer", groups=["officers"], email="o@example.se")
    contract = ContractFactory(start_date=date(2024, 1, 1), end_date=date(2027, 12, 31))
    contract.procurement.officer = officer
    contract.procurement.save()
    managers = [
        UserFactory(username=f"beat-chef{n}", groups=["managers"], email=f"c{n}@example.se")
        for n in range(2)
    ]
    SocialClauseFactory(contract=contract, metric=Metric.PLACEMENTS, target=Decimal(50))
    redis_client.Redis.from_url(redis_url).flushdb()

    module = tmp_path / "fastbeat.py"
    module.write_text(FAST_BEAT)
    mails = tmp_path / "mail"
    mails.mkdir()
    db = settings.DATABASES["default"]
    env = {
        **{k: v for k, v in __import__("os").environ.items() if k != "DEBUG"},
        "DATABASE_URL": (
            f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
        ),
        "REDIS_URL": redis_url,
        "EMAIL_URL": f"filemail:///{mails}",  # environ drops one slash
        "PYTHONPATH": f"{tmp_path}:{settings.BASE_DIR}",
        "VAR_DIR": str(tmp_path / "var"),
        "HTTPS": "0",
    }
    celery = [sys.executable, "-m", "celery"]
    processes = [
        subprocess.Popen(
            [*celery, "-A", "config", "worker", "-P", "solo", "-c", "1", "-l", "WARNING"],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=(tmp_path / "worker.log").open("w"),
        )
    ] + [
        subprocess.Popen(
            [
                *celery,
                "-A",
                "fastbeat",
                "beat",
                "-l",
                "WARNING",
                "-S",
                "celery.beat:PersistentScheduler",
                "-s",
                str(tmp_path / f"beat{n}"),
            ],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=(tmp_path / f"beat{n}.log").open("w"),
        )
        for n in range(2)
    ]
    try:
        time.sleep(60)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()

    logs = {p.name: p.read_text()[-2000:] for p in tmp_path.glob("*.log")}
    recipients: list[str] = []
    for path in mails.iterdir():
        for raw in path.read_text().split("-" * 79):
            if raw.strip():
                recipients.append(email.message_from_string(raw.strip())["To"])
    expected = sorted([officer.email, *(m.email for m in managers)])
    assert sorted(recipients) == expected, logs  # one digest each, however often beats fired
    from contracts.models import Alert, AlertNotification

    assert Alert.objects.filter(contract=contract).count() >= 1
    assert AlertNotification.objects.filter(sent_at__isnull=True).count() == 0
    assert not any(p.returncode not in (0, -15, 1) for p in processes if p.returncode is not None)
