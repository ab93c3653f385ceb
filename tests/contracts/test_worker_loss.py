"""Worker loss (issue 13): a worker killed whole (``kill -9`` of its process group, as a lost
container or the OOM killer does) in the middle of the day's run. A real worker against a Redis
server of this test's own and the test database; the run is taken over by the resume job, which
the test sends as beat would, and finishes once: nothing duplicated, nothing lost."""

from __future__ import annotations

import contextlib
import email
import os
import signal
import subprocess
import sys
import time
from datetime import date, timedelta
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from celery import Celery
from django.conf import settings
from django.db.models import Count
from django.utils import timezone

from bench.compliance import AS_OF, generate
from contracts import tasks
from contracts.choices import AlertKind, Metric
from contracts.models import (
    Alert,
    AlertNotification,
    ClauseSnapshot,
    ComplianceRun,
    SocialClause,
)
from contracts.selectors import active_contracts
from contracts.services import RUN_MAX_ATTEMPTS, compliance_run
from tests.factories import ContractFactory, SocialClauseFactory, UserFactory

CONTRACTS = 300
BATCH = 10  # contracts per committed batch: 30 batches, so the kill lands in the middle
LEASE = 3  # seconds without a heartbeat before a run is taken over


class Workers:
    """Real ``celery worker`` processes, each the leader of its own process group."""

    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env, self.logs, self.started = env, logs, []

    def start(self) -> subprocess.Popen:
        log = (self.logs / f"worker{len(self.started)}.log").open("w")
        command = [sys.executable, "-m", "celery", "-A", "config", "worker"]
        process = subprocess.Popen(
            [*command, "-P", "prefork", "-c", "1", "-l", "INFO", "--without-mingle"],
            cwd=settings.BASE_DIR,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=log,
            start_new_session=True,  # its own process group, as a container's
        )
        self.started.append(process)
        return process

    def kill(self, process: subprocess.Popen) -> None:
        os.killpg(process.pid, signal.SIGKILL)  # the main process and its pool child at once
        process.wait(timeout=10)

    def stop_all(self) -> None:
        for process in self.started:
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)

    def tail(self) -> str:
        return "\n".join(p.read_text()[-3000:] for p in sorted(self.logs.glob("worker*.log")))


def _wait_for(condition, *, timeout: float, every: float = 0.01, then=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        if then:
            then()
        time.sleep(every)
    return None


def _snapshots() -> dict[int, tuple]:
    return {
        clause_id: rest
        for clause_id, *rest in ClauseSnapshot.objects.filter(date=AS_OF).values_list(
            "clause_id", "expected", "reported", "verified", "status"
        )
    }


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_run_whose_worker_is_killed_whole_is_finished_once_by_a_restarted_worker(
    postgres, own_redis, tmp_path
):
    generate(CONTRACTS, 30_000, as_of=AS_OF, stream=StringIO())
    manager = UserFactory(username="wl-chef", groups=["managers"], email="chef@example.se")
    clauses = SocialClause.objects.filter(contract__in=active_contracts()).count()
    active = active_contracts().count()
    assert active > 2 * BATCH

    mails = tmp_path / "mail"
    mails.mkdir()
    db = settings.DATABASES["default"]
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("DEBUG", "PYTEST_XDIST_WORKER")},
        "DATABASE_URL": (
            f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
        ),
        "REDIS_URL": own_redis.url,
        "EMAIL_URL": f"filemail:///{mails}",  # environ drops one slash
        "VAR_DIR": str(tmp_path / "var"),
        "HTTPS": "0",
        "COMPLIANCE_RUN_BATCH": str(BATCH),
        "COMPLIANCE_RUN_LEASE_SECONDS": str(LEASE),
    }
    beat = Celery(broker=own_redis.url, set_as_current=False)  # sends tasks by name, as beat does
    workers = Workers(env, tmp_path)
    try:
        first = workers.start()
        beat.send_task("contracts.evaluate_all", kwargs={"as_of": AS_OF.isoformat()})
        mid_run = _wait_for(
            lambda: ComplianceRun.objects.filter(
                as_of=AS_OF, contracts_done__gt=0, finished_at__isnull=True
            ).first(),
            timeout=60,
        )
        assert mid_run is not None, workers.tail()
        workers.kill(first)

        killed = ComplianceRun.objects.get(as_of=AS_OF)
        assert killed.finished_at is None and killed.attempts == 1
        assert 0 < killed.contracts_done < active  # really in the middle
        assert ClauseSnapshot.objects.filter(date=AS_OF).count() < clauses
        started = time.monotonic()

        workers.start()
        finished = _wait_for(
            lambda: ComplianceRun.objects.filter(as_of=AS_OF, finished_at__isnull=False).first(),
            timeout=60,
            every=1.0,
            then=lambda: beat.send_task("contracts.resume_compliance_runs"),
        )
        assert finished is not None, workers.tail()
        recovered_in = time.monotonic() - started
        assert _wait_for(
            lambda: not AlertNotification.objects.filter(sent_at__isnull=True).exists(),
            timeout=30,
            every=0.2,
        ), workers.tail()
        # Redis hands out the killed worker's message again after its visibility timeout: the
        # day is done, so that delivery (sent here as it would come) changes nothing.
        late = [
            beat.send_task("contracts.evaluate_all", kwargs={"as_of": AS_OF.isoformat()}).id,
            beat.send_task("contracts.resume_compliance_runs").id,
        ]
        assert _wait_for(
            lambda: all(f"[{task_id}] succeeded" in workers.tail() for task_id in late),
            timeout=30,
            every=0.2,
        ), workers.tail()
    finally:
        workers.stop_all()

    run = ComplianceRun.objects.get(as_of=AS_OF)
    assert run.attempts == 2, recovered_in  # the killed attempt and the one that finished
    assert run.contracts_done == active and run.clauses == clauses
    # Snapshots: one per clause and day.
    assert ClauseSnapshot.objects.filter(date=AS_OF).count() == clauses
    # Alerts and notifications: none twice.
    opened = Alert.objects.count()
    assert opened > 0 and run.alerts_opened == opened
    assert not (
        Alert.objects.values("kind", "contract", "clause", "period_start")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .exists()
    )
    # No contract here has managers or contractor users of its own: the manager hears of every
    # alert staff hear of, once, and nobody else of anything.
    to_staff = Alert.objects.exclude(kind=AlertKind.REPORT_DUE_SOON).count()
    assert AlertNotification.objects.filter(recipient=manager).count() == to_staff
    assert AlertNotification.objects.count() == to_staff
    recipients = [
        email.message_from_string(raw.strip())["To"]
        for path in mails.iterdir()
        for raw in path.read_text().split("-" * 79)
        if raw.strip()
    ]
    assert recipients == [manager.email]  # one digest, sent once

    # The same result as an uninterrupted run: running the whole day again changes nothing.
    before = _snapshots()
    again = compliance_run(as_of=AS_OF)
    assert (again.alerts_opened, again.alerts_resolved) == (0, 0)
    assert _snapshots() == before
    assert Alert.objects.count() == opened


# The ledger's rules, in-process (the test above shows them with a real worker).

DAY = date(2025, 6, 30)


@pytest.fixture
def three_contracts(settings):
    settings.COMPLIANCE_RUN_BATCH = 1
    settings.COMPLIANCE_RUN_LEASE_SECONDS = 60
    contracts = [ContractFactory() for _ in range(3)]
    return [
        SocialClauseFactory(contract=contract, metric=Metric.PLACEMENTS, target=Decimal(5))
        for contract in contracts
    ]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_run_held_by_a_live_worker_is_not_taken_over(three_contracts):
    ComplianceRun.objects.create(as_of=DAY, owner="alive", heartbeat_at=timezone.now(), attempts=1)

    assert tasks.evaluate_all.apply(kwargs={"as_of": DAY.isoformat()}).get() == {"finished": False}
    assert tasks.resume_compliance_runs.apply().get() == []
    assert not ClauseSnapshot.objects.exists()
    assert ComplianceRun.objects.get(as_of=DAY).owner == "alive"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_run_whose_heartbeat_stopped_goes_on_from_its_last_batch(three_contracts):
    first, second, third = three_contracts
    ComplianceRun.objects.create(
        as_of=DAY,
        owner="dead",
        heartbeat_at=timezone.now() - timedelta(seconds=61),
        attempts=1,
        last_contract_id=first.contract_id,
        contracts_done=1,
        clauses=1,
    )

    assert tasks.resume_compliance_runs.apply().get() == [DAY.isoformat()]

    run = ComplianceRun.objects.get(as_of=DAY)
    assert run.finished_at is not None and run.owner == "" and run.attempts == 2
    assert (run.contracts_done, run.clauses) == (3, 3)
    # Only the batches after the last committed one were evaluated again.
    assert set(ClauseSnapshot.objects.values_list("clause_id", flat=True)) == {
        second.id,
        third.id,
    }


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_finished_day_is_not_run_again_when_its_message_comes_back(three_contracts):
    tasks.evaluate_all.apply(kwargs={"as_of": DAY.isoformat()}).get()
    ClauseSnapshot.objects.all().delete()

    again = tasks.evaluate_all.apply(kwargs={"as_of": DAY.isoformat()}).get()

    assert again["finished"] and again["clauses"] == 3
    assert ComplianceRun.objects.get(as_of=DAY).attempts == 1
    assert not ClauseSnapshot.objects.exists()  # nothing was evaluated the second time


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_failed_batch_frees_the_run_at_once_and_keeps_the_batches_before_it(
    three_contracts, monkeypatch
):
    from contracts import services

    calls = []
    real = services.compliance_run

    def fail_the_second_batch(**kwargs):
        calls.append(kwargs)
        if len(calls) == 2:
            raise RuntimeError("boom")
        return real(**kwargs)

    monkeypatch.setattr(services, "compliance_run", fail_the_second_batch)
    with pytest.raises(RuntimeError):
        services.compliance_day_run(as_of=DAY)

    run = ComplianceRun.objects.get(as_of=DAY)
    assert run.owner == "" and run.finished_at is None and run.contracts_done == 1
    assert ClauseSnapshot.objects.count() == 1
    assert tasks.resume_compliance_runs.apply().get() == [DAY.isoformat()]  # no lease to wait
    assert ClauseSnapshot.objects.count() == 3


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_run_that_failed_five_times_is_left_for_an_operator(three_contracts):
    ComplianceRun.objects.create(as_of=DAY, attempts=RUN_MAX_ATTEMPTS)

    assert tasks.resume_compliance_runs.apply().get() == []
    assert tasks.evaluate_all.apply(kwargs={"as_of": DAY.isoformat()}).get() == {"finished": False}
    assert not ClauseSnapshot.objects.exists()
