"""The real services: PostgreSQL, Redis, the broker and a real Celery worker."""

import os

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.db import connection

from config.celery import app as celery_app
from core.models import Heartbeat
from core.tasks import WORKER_HEARTBEAT, heartbeat


@pytest.mark.skipif(os.environ.get("REQUIRE_SERVICES") != "1", reason="only checked in CI mode")
def test_ci_mode_runs_on_postgresql_and_redis(postgres, redis_url):
    assert connection.vendor == "postgresql"
    assert settings.CELERY_BROKER_URL.startswith("redis://")


@pytest.mark.django_db
def test_health_check_reports_database_and_broker(client):
    response = client.get("/healthz/")

    assert response.status_code == 200
    assert response.json()["database"] == "ok"
    assert response.json()["broker"] == "ok"
    assert response.json()["cache"] == "ok"
    assert response.json()["status"] == "ok"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_real_worker_runs_the_heartbeat_through_the_broker(django_db_blocker):
    # Whichever broker is configured (Redis in CI, the file-system broker by default), a task
    # goes out through it, a real worker thread runs it, and its write reaches the database.
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=20):
        result = heartbeat.delay()
        result.get(timeout=20, interval=0.05)

    assert Heartbeat.objects.filter(name=WORKER_HEARTBEAT).exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_worker_round_trip_on_redis(redis_url):
    assert redis_url == settings.CELERY_BROKER_URL
    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=20):
        heartbeat.delay().get(timeout=20, interval=0.05)

    assert Heartbeat.objects.filter(name=WORKER_HEARTBEAT).count() == 1
