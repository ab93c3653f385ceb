"""Scheduled jobs, snapshots, alerts and e-mail digests (docs/RULES.md §1–§4), with real parts."""

from __future__ import annotations

import threading
from datetime import date, timedelta
from decimal import Decimal

import pytest
from celery.contrib.testing.worker import start_worker
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from config.celery import app as celery_app
from contracts import tasks
from contracts.choices import AlertKind, AlertState, ClauseStatus, Metric
from contracts.models import Alert, AlertNotification, ClauseMilestone, ClauseSnapshot, Contract
from contracts.services import (
    CLAIM_TIMEOUT,
    AlertStateError,
    alert_acknowledge,
    alert_close,
    alert_digests_send,
    compliance_run,
)
from core.models import Profile
from internships.choices import ReportStatus
from internships.services import TransitionError, report_approve, report_reject, report_submit
from tests.factories import (
    ContractFactory,
    ContractorUserFactory,
    ReportFactory,
    RowFactory,
    SocialClauseFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

# A contract of 2024 reported quarterly; the first quarter's report is due 2024-04-10.
AS_OF = date(2024, 7, 1)


@pytest.fixture
def world(officer, manager):
    contract = ContractFactory(status="active")
    contract.procurement.officer = officer
    contract.procurement.save()
    contractor_user = ContractorUserFactory(username="bygg-anna", contractor=contract.contractor)
    clause = SocialClauseFactory(
        contract=contract, metric=Metric.PLACEMENT_WEEKS, target=Decimal(100)
    )
    return {"contract": contract, "clause": clause, "contractor_user": contractor_user}


def _open(kind: str) -> list[Alert]:
    return list(Alert.objects.filter(kind=kind).exclude(state=AlertState.RESOLVED))


def test_nightly_run_snapshots_every_clause_once_per_day(world):
    compliance_run(as_of=AS_OF)
    compliance_run(as_of=AS_OF)
    compliance_run(as_of=AS_OF + timedelta(days=1))

    snapshots = ClauseSnapshot.objects.filter(clause=world["clause"]).order_by("date")
    assert [s.date for s in snapshots] == [AS_OF, AS_OF + timedelta(days=1)]
    assert snapshots[0].status == ClauseStatus.BEHIND
    assert snapshots[0].expected == Decimal("24.93")


def test_snapshot_of_the_day_is_updated_when_a_report_counts(world):
    compliance_run(as_of=AS_OF)
    report = ReportFactory(contract=world["contract"], status=ReportStatus.SUBMITTED)
    RowFactory.create_batch(5, report=report)  # 5 × 13 weeks = 65 ≥ 24.93 expected

    compliance_run(as_of=AS_OF)

    snapshot = ClauseSnapshot.objects.get(clause=world["clause"], date=AS_OF)
    assert snapshot.reported == Decimal("65.00")
    assert snapshot.verified == Decimal("0.00")
    assert snapshot.status == ClauseStatus.ON_TRACK


def test_behind_clause_raises_one_alert_which_resolves_itself(world):
    compliance_run(as_of=AS_OF)
    compliance_run(as_of=AS_OF)
    assert len(_open(AlertKind.CLAUSE_BEHIND)) == 1

    report = ReportFactory(contract=world["contract"], status=ReportStatus.APPROVED)
    RowFactory.create_batch(5, report=report)
    compliance_run(as_of=AS_OF)

    assert _open(AlertKind.CLAUSE_BEHIND) == []
    assert Alert.objects.get(kind=AlertKind.CLAUSE_BEHIND).resolved_at is not None


def test_a_clause_on_track_but_short_at_its_pace_raises_a_forecast_alert(world, manager):
    # Back-loaded milestones: nothing is expected before October, so the clause is on track.
    clause = world["clause"]
    ClauseMilestone.objects.create(clause=clause, date=date(2024, 10, 1), cumulative_target=50)
    report = ReportFactory(contract=world["contract"], status=ReportStatus.SUBMITTED)
    RowFactory(report=report)  # 13 weeks in 182 days: 52 of 100 by the due date at that pace

    compliance_run(as_of=AS_OF)

    (item,) = [i for i in compliance_run(as_of=AS_OF).evaluations if i.clause.id == clause.id]
    assert (item.evaluation.status, item.evaluation.forecast) == ("on_track", "late")
    (alert,) = _open(AlertKind.CLAUSE_FORECAST_SHORT)
    assert alert.clause_id == clause.id
    assert _open(AlertKind.CLAUSE_BEHIND) == []
    # Managers hear of it, with the reason in the digest (in their language); contractors do not.
    Profile.objects.create(user=manager, language="en")
    alert_digests_send(now=timezone.now())
    (message,) = [m for m in mail.outbox if manager.email in m.to]
    due = clause.due_date.isoformat()
    assert f"At the pace so far the target is not reached by the due date, {due}." in message.body
    assert not [m for m in mail.outbox if world["contractor_user"].email in m.to]

    # More work at the same time puts the pace back on course: the alert resolves itself.
    RowFactory.create_batch(6, report=report)
    compliance_run(as_of=AS_OF)
    assert _open(AlertKind.CLAUSE_FORECAST_SHORT) == []
    (item,) = [i for i in compliance_run(as_of=AS_OF).evaluations if i.clause.id == clause.id]
    assert item.evaluation.forecast == "on_time"
    assert AS_OF < item.evaluation.forecast_date <= clause.due_date


def test_a_behind_clause_gets_no_forecast_alert_on_top(world):
    compliance_run(as_of=AS_OF)  # behind: 0 of 24.93 expected, and no pace at all
    assert len(_open(AlertKind.CLAUSE_BEHIND)) == 1
    assert _open(AlertKind.CLAUSE_FORECAST_SHORT) == []


def test_breached_clause_alert_stays_until_an_officer_closes_it(world, officer):
    compliance_run(as_of=date(2026, 1, 15))
    (alert,) = _open(AlertKind.CLAUSE_BREACHED)

    report = ReportFactory(contract=world["contract"], status=ReportStatus.APPROVED)
    RowFactory.create_batch(8, report=report)  # now met
    compliance_run(as_of=date(2026, 1, 16))
    assert _open(AlertKind.CLAUSE_BREACHED) == [alert]

    alert_close(alert=alert, user=officer, comment="Vite debiterat enligt avtalet.")
    assert _open(AlertKind.CLAUSE_BREACHED) == []
    alert.refresh_from_db()
    assert alert.state == AlertState.RESOLVED and alert.resolved_at is not None
    assert alert.closed_by == officer
    assert alert.close_comment == "Vite debiterat enligt avtalet."
    compliance_run(as_of=date(2026, 1, 17))  # met now: the breach is not raised again
    assert _open(AlertKind.CLAUSE_BREACHED) == []


def test_closing_an_alert_needs_an_officer_a_comment_and_an_open_breach(world, officer, manager):
    compliance_run(as_of=date(2026, 1, 15))
    (breached,) = _open(AlertKind.CLAUSE_BREACHED)
    (overdue, *_rest) = _open(AlertKind.REPORT_OVERDUE)

    def state(alert):
        alert.refresh_from_db()
        return (alert.state, alert.closed_by_id, alert.close_comment, alert.resolved_at)

    before = state(breached)
    with pytest.raises(PermissionDenied):
        alert_close(alert=breached, user=manager, comment="Ok")
    with pytest.raises(PermissionDenied):
        alert_close(alert=breached, user=world["contractor_user"], comment="Ok")
    with pytest.raises(ValidationError) as blank:
        alert_close(alert=breached, user=officer, comment="   ")
    assert "comment" in blank.value.message_dict
    assert state(breached) == before

    overdue_before = state(overdue)
    with pytest.raises(AlertStateError):
        alert_close(alert=overdue, user=officer, comment="Not mine to close")
    assert state(overdue) == overdue_before

    alert_close(alert=breached, user=officer, comment="Vite debiterat.")
    closed = state(breached)
    with pytest.raises(AlertStateError):
        alert_close(alert=breached, user=officer, comment="Again")
    assert state(breached) == closed


def test_a_digest_leaves_out_an_alert_resolved_before_it_was_sent(world, officer):
    Profile.objects.create(user=officer, language="en")
    compliance_run(as_of=date(2024, 4, 11))  # Q1 overdue, and the clause behind
    assert {a.kind for a in Alert.objects.all()} == {
        AlertKind.REPORT_OVERDUE,
        AlertKind.CLAUSE_BEHIND,
    }
    # The report arrives before the digest goes out: the overdue alert resolves.
    ReportFactory(contract=world["contract"], status=ReportStatus.SUBMITTED)
    compliance_run(as_of=date(2024, 4, 12))
    overdue = Alert.objects.get(kind=AlertKind.REPORT_OVERDUE)
    assert overdue.state == AlertState.RESOLVED

    sent = alert_digests_send()

    by_recipient = {message.to[0]: message for message in mail.outbox}
    assert officer.email in by_recipient
    assert "Clause behind" in by_recipient[officer.email].body
    assert "Report overdue" not in by_recipient[officer.email].body
    assert "1 new alert" in by_recipient[officer.email].subject
    # The contractor's user heard only of the overdue report: no e-mail at all.
    assert "bygg-anna@example.se" not in by_recipient
    assert sent == len(mail.outbox) == 2  # the officer and the manager
    # Its rows stay unsent, a record that no e-mail told of it; later runs leave them alone.
    assert overdue.notifications.filter(sent_at__isnull=True).count() == 3
    assert alert_digests_send() == 0
    assert not overdue.notifications.exclude(claimed_by="").exists()


def test_overdue_and_due_soon_periods_raise_alerts_that_a_report_clears(world):
    compliance_run(as_of=date(2024, 4, 5))
    (due_soon,) = _open(AlertKind.REPORT_DUE_SOON)
    assert due_soon.period_start == date(2024, 1, 1)

    compliance_run(as_of=date(2024, 4, 11))
    assert _open(AlertKind.REPORT_DUE_SOON) == []
    (overdue,) = _open(AlertKind.REPORT_OVERDUE)
    assert overdue.period_start == date(2024, 1, 1)

    ReportFactory(contract=world["contract"], status=ReportStatus.SUBMITTED)
    compliance_run(as_of=date(2024, 4, 12))
    assert _open(AlertKind.REPORT_OVERDUE) == []


def test_a_draft_does_not_clear_an_overdue_alert(world):
    ReportFactory(contract=world["contract"], status=ReportStatus.DRAFT)
    compliance_run(as_of=date(2024, 4, 11))
    assert len(_open(AlertKind.REPORT_OVERDUE)) == 1


def test_database_allows_one_open_alert_per_key(world):
    key = {"kind": AlertKind.REPORT_OVERDUE, "contract": world["contract"], "period_start": AS_OF}
    Alert.objects.create(**key)
    with pytest.raises(IntegrityError), transaction.atomic():
        Alert.objects.create(**key)
    Alert.objects.filter(**key).update(state=AlertState.RESOLVED)
    Alert.objects.create(**key)  # a new episode once the old one is resolved
    clause_key = {"kind": AlertKind.CLAUSE_BEHIND, "contract": world["contract"]}
    Alert.objects.create(clause=world["clause"], **clause_key)
    with pytest.raises(IntegrityError), transaction.atomic():
        Alert.objects.create(clause=world["clause"], **clause_key)


def test_recipients_follow_the_kind_of_alert(world, officer, manager):
    other_manager = UserFactory(username="other-manager", groups=["managers"])
    world["contract"].managers.add(manager)
    compliance_run(as_of=date(2024, 4, 11))  # overdue Q1 and a behind clause

    def recipients(kind):
        return set(
            AlertNotification.objects.filter(alert__kind=kind).values_list(
                "recipient__username", flat=True
            )
        )

    assert recipients(AlertKind.CLAUSE_BEHIND) == {officer.username, manager.username}
    assert recipients(AlertKind.REPORT_OVERDUE) == {
        officer.username,
        manager.username,
        "bygg-anna",
    }
    assert other_manager.username not in recipients(AlertKind.REPORT_OVERDUE)


def test_without_contract_managers_every_manager_hears(world, manager):
    compliance_run(as_of=AS_OF)
    assert AlertNotification.objects.filter(
        alert__kind=AlertKind.CLAUSE_BEHIND, recipient=manager
    ).exists()


def test_due_soon_goes_to_the_contractor_only(world, officer, manager):
    compliance_run(as_of=date(2024, 4, 5))
    recipients = set(
        AlertNotification.objects.filter(alert__kind=AlertKind.REPORT_DUE_SOON).values_list(
            "recipient__username", flat=True
        )
    )
    assert recipients == {"bygg-anna"}


def test_one_digest_per_recipient_in_their_language_and_never_twice(world, officer, manager):
    Profile.objects.create(user=manager, language="en")
    compliance_run(as_of=date(2024, 4, 11))

    assert alert_digests_send() == 3
    assert alert_digests_send() == 0
    compliance_run(as_of=date(2024, 4, 12))
    assert alert_digests_send() == 0

    by_recipient = {message.to[0]: message for message in mail.outbox}
    assert set(by_recipient) == {officer.email, manager.email, "bygg-anna@example.se"}
    english = by_recipient[manager.email]
    swedish = by_recipient[officer.email]
    assert "2 new alerts" in english.subject
    assert "Report overdue" in english.body and "K-" in english.body
    assert english.alternatives[0][1] == "text/html"
    assert "<table" in english.alternatives[0][0]
    assert "new alerts" not in swedish.subject  # Swedish by default
    assert world["contract"].reference in swedish.body


def test_a_claim_left_by_a_dead_worker_expires_and_nothing_is_lost(world):
    compliance_run(as_of=AS_OF)
    # A worker claimed the rows and died before sending.
    AlertNotification.objects.update(claimed_by="dead-worker", claimed_at=timezone.now())
    assert alert_digests_send() == 0
    later = timezone.now() + CLAIM_TIMEOUT + timedelta(seconds=1)
    assert alert_digests_send(now=later) == 3  # officer, manager and the contractor's user
    assert not AlertNotification.objects.filter(sent_at__isnull=True).exists()


def test_a_failed_send_releases_the_claim_for_the_next_run(world, monkeypatch):
    compliance_run(as_of=AS_OF)

    def broken(self, *args, **kwargs):
        raise ConnectionError("SMTP server down")

    with monkeypatch.context() as patch:
        patch.setattr("django.core.mail.EmailMultiAlternatives.send", broken)
        with pytest.raises(ConnectionError):
            alert_digests_send()
    assert (
        AlertNotification.objects.filter(sent_at__isnull=True, claimed_at__isnull=True).count() == 5
    )

    assert alert_digests_send() == 3


def test_acknowledging_an_alert_records_who_and_when(world, manager):
    compliance_run(as_of=AS_OF)
    (alert,) = _open(AlertKind.CLAUSE_BEHIND)

    alert_acknowledge(alert=alert, user=manager)

    alert.refresh_from_db()
    assert alert.state == AlertState.ACKNOWLEDGED
    assert alert.acknowledged_by == manager and alert.acknowledged_at is not None
    compliance_run(as_of=AS_OF)  # still behind: no second alert
    assert Alert.objects.filter(kind=AlertKind.CLAUSE_BEHIND).count() == 1


def test_contractor_cannot_acknowledge(world):
    from django.core.exceptions import PermissionDenied

    compliance_run(as_of=AS_OF)
    (alert,) = _open(AlertKind.CLAUSE_BEHIND)
    with pytest.raises(PermissionDenied):
        alert_acknowledge(alert=alert, user=world["contractor_user"])


def test_report_transitions_enqueue_a_re_evaluation_after_commit(
    world, officer, django_capture_on_commit_callbacks, monkeypatch
):
    queued = []
    monkeypatch.setattr(
        tasks.evaluate_contract, "apply_async", lambda args, **kw: queued.append(args)
    )
    report = ReportFactory(contract=world["contract"])
    RowFactory(report=report)

    with django_capture_on_commit_callbacks(execute=True):
        report_submit(report=report, user=world["contractor_user"])
    assert queued == [[world["contract"].id]]
    assert Contract.objects.get(pk=world["contract"].pk).evaluation_requested_at is not None

    with pytest.raises(TransitionError):
        report_submit(report=report, user=world["contractor_user"])
    with django_capture_on_commit_callbacks(execute=True):
        report_reject(report=report, user=officer, comment="Timmar saknas")
    with django_capture_on_commit_callbacks(execute=True):
        report_submit(report=report, user=world["contractor_user"])
    with django_capture_on_commit_callbacks(execute=True):
        report_approve(report=report, user=officer)
    assert len(queued) == 4
    report.refresh_from_db()
    assert report.status == ReportStatus.APPROVED and report.reviewed_by == officer


def _broker_pools_reset(*, broker_url: str) -> None:
    """Point the Celery app at ``broker_url``; its connection pools are made again on use."""
    celery_app.conf.broker_url = broker_url
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


def test_submission_with_the_broker_unreachable_succeeds_and_the_next_run_evaluates_it(
    world, django_capture_on_commit_callbacks, settings
):
    report = ReportFactory(contract=world["contract"])
    RowFactory.create_batch(5, report=report)
    original = celery_app.conf.broker_url
    _broker_pools_reset(broker_url="redis://127.0.0.1:1/0")  # a real client; nothing listens
    try:
        with django_capture_on_commit_callbacks(execute=True):
            report_submit(report=report, user=world["contractor_user"])
    finally:
        _broker_pools_reset(broker_url=original)
    report.refresh_from_db()
    assert report.status == ReportStatus.SUBMITTED
    assert Contract.objects.get(pk=world["contract"].pk).evaluation_requested_at is not None

    summary = tasks.evaluate_requested.apply().get()  # what beat runs every five minutes

    assert summary["clauses"] == 1
    assert ClauseSnapshot.objects.filter(clause=world["clause"], date=timezone.localdate()).exists()
    assert Contract.objects.get(pk=world["contract"].pk).evaluation_requested_at is None


def test_tasks_are_idempotent_and_acknowledged_late():
    for task in (
        tasks.evaluate_all,
        tasks.evaluate_contract,
        tasks.evaluate_requested,
        tasks.send_alert_digests,
    ):
        assert task.acks_late and task.reject_on_worker_lost, task.name
        assert task.max_retries <= 5 and task.retry_backoff_max <= 300, task.name
    assert set(celery_app.conf.beat_schedule) >= {"nightly-compliance", "alert-digests"}


def test_evaluate_compliance_prints_a_table_and_stores_snapshots(world, capsys):
    call_command("evaluate_compliance", "--as-of", "2024-07-01")
    out = capsys.readouterr().out
    assert world["contract"].reference in out
    assert "24.93" in out
    assert ClauseSnapshot.objects.count() == 1


def test_evaluate_compliance_dry_run_stores_nothing(world, capsys):
    call_command(
        "evaluate_compliance",
        "--as-of",
        "2024-07-01",
        "--dry-run",
        "--contract",
        str(world["contract"].id),
    )
    assert world["contract"].reference in capsys.readouterr().out
    assert ClauseSnapshot.objects.count() == 0
    assert Alert.objects.count() == 0


def test_evaluate_compliance_refuses_an_unknown_contract(world):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("evaluate_compliance", "--contract", "999999")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_real_worker_on_redis_evaluates_a_submitted_report(redis_url, officer, manager):
    contract = ContractFactory(
        status="active", start_date=date(2025, 1, 1), end_date=date(2027, 12, 31)
    )
    contract.procurement.officer = officer
    contract.procurement.save()
    user = ContractorUserFactory(contractor=contract.contractor)
    clause = SocialClauseFactory(contract=contract, metric=Metric.PLACEMENTS, target=Decimal(50))
    report = ReportFactory(contract=contract)
    RowFactory(report=report)

    with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
        report_submit(report=report, user=user)  # on_commit → broker → worker
        deadline = timezone.now() + timedelta(seconds=30)
        while timezone.now() < deadline and not (
            ClauseSnapshot.objects.filter(clause=clause).exists()
            and AlertNotification.objects.filter(sent_at__isnull=False).exists()
        ):
            threading.Event().wait(0.1)

    snapshot = ClauseSnapshot.objects.get(clause=clause)
    assert snapshot.reported == Decimal("1.00")
    assert Alert.objects.filter(contract=contract).exists()
    assert len(mail.outbox) >= 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_workers_sending_digests_at_once_send_each_e_mail_once(postgres, officer, manager):
    for _ in range(30):
        contract = ContractFactory(status="active")
        contract.procurement.officer = officer
        contract.procurement.save()
        SocialClauseFactory(contract=contract, metric=Metric.HOURS, target=Decimal(1000))
    compliance_run(as_of=AS_OF)
    # 30 behind clauses and 30 overdue first quarters, each for the officer and the manager.
    assert AlertNotification.objects.count() == 120

    barrier = threading.Barrier(2)
    results: list[int] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait()
            results.append(alert_digests_send())
            compliance_run(as_of=AS_OF)  # and an evaluation run at the same time
        except BaseException as error:  # reported by the assertion below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert errors == []
    assert sum(results) == 2
    assert sorted(message.to[0] for message in mail.outbox) == sorted(
        [officer.email, manager.email]
    )
    for message in mail.outbox:  # each counts all 60 alerts and lists the worst ten
        assert message.subject == "[Sociala krav] 60 nya varningar"
        assert len(message.body.split("K-")) == 11
    assert not AlertNotification.objects.filter(sent_at__isnull=True).exists()
    assert Alert.objects.exclude(state=AlertState.RESOLVED).count() == 60
