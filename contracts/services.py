"""Writes of the contracts app: compliance runs, snapshots, alerts and their e-mail digests.

Every service owns its transaction (callers need no wrapper); who may do what is asked of
``core.roles`` only.

Everything here is idempotent: running a job twice, or on two workers at once, leaves the same
state and sends no e-mail twice (docs/RULES.md §4).
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import DatabaseError, transaction
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Now
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from core import audit
from core.models import language_of
from core.roles import (
    MANAGERS,
    ROLE_RELATIONS,
    contractor_id_of,
    is_officer,
    matcher_unit_id_of,
    members_of,
    sees_everything,
)
from procurement.models import ContractorMembership

from . import caching
from .choices import AlertKind, AlertState, ClauseStatus, FirstStart, PeriodState
from .compliance import forecast_short
from .models import (
    Alert,
    AlertNotification,
    ClauseMilestone,
    ClauseSnapshot,
    ComplianceRun,
    Contract,
    SocialClause,
    milestone_errors,
)
from .schedule import ScheduleEntry
from .selectors import (
    ALERT_SEVERITY,
    ClauseEvaluation,
    active_contracts,
    contract_schedules,
    digest_kind_counts,
    digest_worst_items,
    evaluate_clauses,
)

logger = logging.getLogger(__name__)

#: A claim on unsent notifications older than this is taken to be from a worker that died.
CLAIM_TIMEOUT = timedelta(minutes=10)

AlertKey = tuple[str, int, int | None, date | None]  # kind, contract, clause, period_start

#: Who hears of each kind of alert (docs/RULES.md §4).
_TO_STAFF = {
    AlertKind.REPORT_OVERDUE,
    AlertKind.CLAUSE_BEHIND,
    AlertKind.CLAUSE_BREACHED,
    AlertKind.CLAUSE_FORECAST_SHORT,
    AlertKind.CLAUSE_FIRST_START_MISSED,
}

_TO_CONTRACTOR = {AlertKind.REPORT_OVERDUE, AlertKind.REPORT_DUE_SOON}

#: Told to the users of the labour-market unit that serves the contract.
_TO_UNIT = {AlertKind.ROWS_UNCONFIRMED}


@dataclass(frozen=True)
class RunResult:
    """What one compliance run did."""

    as_of: date
    evaluations: list[ClauseEvaluation]
    snapshots: int
    alerts_opened: int
    alerts_resolved: int


def snapshots_upsert(*, evaluations: list[ClauseEvaluation], on: date) -> int:
    """Store each clause's evaluation as its snapshot of ``on`` (one per clause and day).

    A dialogue clause has no expectation; its snapshot stores 0 (the column is not null), and
    its status ``dialogue`` says that the figure means nothing.
    """
    snapshots = [
        ClauseSnapshot(
            clause_id=item.clause.id,
            date=on,
            expected=item.evaluation.expected if item.evaluation.expected is not None else 0,
            reported=item.evaluation.reported,
            verified=item.evaluation.verified,
            status=item.evaluation.status,
            first_start=item.evaluation.first_start or "",
        )
        for item in evaluations
    ]
    ClauseSnapshot.objects.bulk_create(
        snapshots,
        batch_size=2000,
        update_conflicts=True,
        unique_fields=["clause", "date"],
        update_fields=["expected", "reported", "verified", "status", "first_start", "updated_at"],
    )
    return len(snapshots)


def _wanted_alerts(
    evaluations: list[ClauseEvaluation], schedules: list[tuple[Contract, list[ScheduleEntry]]]
) -> set[AlertKey]:
    """The alert keys whose condition holds now."""
    wanted: set[AlertKey] = set()
    for item in evaluations:
        kind = {
            ClauseStatus.BEHIND: AlertKind.CLAUSE_BEHIND,
            ClauseStatus.BREACHED: AlertKind.CLAUSE_BREACHED,
        }.get(item.evaluation.status)
        if kind:
            wanted.add((kind.value, item.clause.contract_id, item.clause.id, None))
        if forecast_short(item.evaluation):
            key = (AlertKind.CLAUSE_FORECAST_SHORT.value, item.clause.contract_id, item.clause.id)
            wanted.add((*key, None))
        # No first job in time (docs/RULES.md §7.4); a dialogue clause raises no clause alert.
        if item.evaluation.first_start == FirstStart.MISSED and not item.clause.is_dialogue:
            key = (AlertKind.CLAUSE_FIRST_START_MISSED.value, item.clause.contract_id)
            wanted.add((*key, item.clause.id, None))
    for contract, entries in schedules:
        for entry in entries:
            kind = {
                PeriodState.OVERDUE: AlertKind.REPORT_OVERDUE,
                PeriodState.DUE_SOON: AlertKind.REPORT_DUE_SOON,
            }.get(entry.state)
            if kind:
                wanted.add((kind.value, contract.id, None, entry.period_start))
    return wanted


def _rows_unconfirmed_wanted(contracts: QuerySet[Contract], *, now: datetime) -> set[AlertKey]:
    """``rows_unconfirmed`` for each contract with a row waiting more than 14 days for its
    matcher's word (one query for all the contracts)."""
    from matching.selectors import contracts_with_rows_waiting

    waiting = contracts_with_rows_waiting(contract_ids=contracts.values("id"), now=now)
    return {(AlertKind.ROWS_UNCONFIRMED.value, contract_id, None, None) for contract_id in waiting}


def _key(alert: Alert) -> AlertKey:
    return (alert.kind, alert.contract_id, alert.clause_id, alert.period_start)


def alerts_sync(
    *,
    evaluations: list[ClauseEvaluation],
    schedules: list[tuple[Contract, list[ScheduleEntry]]],
    contracts: QuerySet[Contract],
    now: datetime,
) -> tuple[int, int]:
    """Open the alerts whose condition holds, resolve those whose condition cleared.

    Returns ``(opened, resolved)``. A breached clause stays alerted until an officer closes it.
    Two runs at once are safe: the partial unique constraint lets only one open alert per key
    exist, and the loser's insert is ignored.
    """
    wanted = _wanted_alerts(evaluations, schedules)
    wanted |= _rows_unconfirmed_wanted(contracts, now=now)
    current = {
        _key(alert): alert
        for alert in Alert.objects.filter(contract__in=contracts.values("id")).exclude(
            state=AlertState.RESOLVED
        )
    }
    cleared = [
        alert.id
        for key, alert in current.items()
        if key not in wanted and alert.kind != AlertKind.CLAUSE_BREACHED
    ]
    resolved = (
        Alert.objects.filter(id__in=cleared)
        .exclude(state=AlertState.RESOLVED)
        .update(state=AlertState.RESOLVED, resolved_at=now)
    )
    new = [
        Alert(kind=kind, contract_id=contract_id, clause_id=clause_id, period_start=period_start)
        for kind, contract_id, clause_id, period_start in sorted(
            wanted - current.keys(),
            key=lambda key: (key[0], key[1], key[2] or 0, key[3] or date.min),
        )
    ]
    Alert.objects.bulk_create(new, batch_size=2000, ignore_conflicts=True)
    _notifications_ensure(contracts)
    return len(new), resolved


def _recipients_by_contract(contract_ids: set[int]) -> tuple[dict, dict]:
    """Staff and contractor recipients of each contract, in four queries."""
    staff: dict[int, set[int]] = defaultdict(set)
    with_managers: set[int] = set()
    for contract_id, user_id in Contract.managers.through.objects.filter(
        contract_id__in=contract_ids, user__is_active=True
    ).values_list("contract_id", "user_id"):
        staff[contract_id].add(user_id)
        with_managers.add(contract_id)
    all_managers = set(members_of(MANAGERS).values_list("id", flat=True))
    for contract_id, officer_id in Contract.objects.filter(id__in=contract_ids).values_list(
        "id", "procurement__officer_id"
    ):
        if contract_id not in with_managers:
            staff[contract_id] |= all_managers
        if officer_id:
            staff[contract_id].add(officer_id)
    contractor_users: dict[int, set[int]] = defaultdict(set)
    for contract_id, user_id in ContractorMembership.objects.filter(
        contractor__contracts__id__in=contract_ids, user__is_active=True
    ).values_list("contractor__contracts__id", "user_id"):
        contractor_users[contract_id].add(user_id)
    return staff, contractor_users


def _unit_users_by_contract(contract_ids: set[int]) -> dict[int, set[int]]:
    """The active users of the labour-market unit serving each contract, in one query."""
    from procurement.models import LabourMarketUnitMembership

    users: dict[int, set[int]] = defaultdict(set)
    for contract_id, user_id in LabourMarketUnitMembership.objects.filter(
        unit__contracts__id__in=contract_ids, user__is_active=True
    ).values_list("unit__contracts__id", "user_id"):
        users[contract_id].add(user_id)
    return users


def _notifications_ensure(contracts: QuerySet[Contract]) -> int:
    """Give every open alert without notifications one per recipient (idempotent)."""
    alerts = list(
        Alert.objects.filter(contract__in=contracts.values("id"))
        .exclude(state=AlertState.RESOLVED)
        .annotate(notified=Count("notifications"))
        .filter(notified=0)
        .values_list("id", "kind", "contract_id")
    )
    if not alerts:
        return 0
    contract_ids = {contract_id for _a, _k, contract_id in alerts}
    staff, contractor_users = _recipients_by_contract(contract_ids)
    unit_users = (
        _unit_users_by_contract(contract_ids)
        if any(kind in _TO_UNIT for _a, kind, _c in alerts)
        else {}
    )
    notifications = []
    for alert_id, kind, contract_id in alerts:
        recipients: set[int] = set()
        if kind in _TO_STAFF:
            recipients |= staff[contract_id]
        if kind in _TO_CONTRACTOR:
            recipients |= contractor_users[contract_id]
        if kind in _TO_UNIT:
            recipients |= unit_users.get(contract_id, set())
        notifications += [
            AlertNotification(alert_id=alert_id, recipient_id=user_id) for user_id in recipients
        ]
    AlertNotification.objects.bulk_create(notifications, batch_size=2000, ignore_conflicts=True)
    return len(notifications)


def compliance_run(*, as_of: date, contracts: QuerySet[Contract] | None = None) -> RunResult:
    """Evaluate the clauses of ``contracts`` (default: every active one) on ``as_of``, store the
    snapshots and bring the alerts up to date."""
    contracts = active_contracts() if contracts is None else contracts
    evaluations = evaluate_clauses(as_of=as_of, contracts=contracts)
    schedules = contract_schedules(contracts, as_of=as_of)
    with transaction.atomic():
        snapshots = snapshots_upsert(evaluations=evaluations, on=as_of)
        opened, resolved = alerts_sync(
            evaluations=evaluations, schedules=schedules, contracts=contracts, now=timezone.now()
        )
        caching.figures_changed()
    return RunResult(as_of, evaluations, snapshots, opened, resolved)


#: A day's run that failed this many times (each a worker lost or an error) is left for an
#: operator: a run that kills its worker every time must not kill every worker forever.
RUN_MAX_ATTEMPTS = 5


def _run_free() -> Q:
    """Runs no live worker holds: nobody owns them, or their heartbeat is older than the lease.

    Heartbeats are written and compared on the database's clock, not the workers' (which may
    differ between hosts); ``Now()`` is the statement's time, not the transaction's.
    """
    lease = timedelta(seconds=settings.COMPLIANCE_RUN_LEASE_SECONDS)
    return (Q(owner="") | Q(heartbeat_at__lt=Now() - lease)) & Q(attempts__lt=RUN_MAX_ATTEMPTS)


def _run_claim(*, as_of: date, token: str) -> bool:
    """Take the lease of the day's unfinished run if no live worker holds it.

    ``skip_locked``: a run whose row is locked is in the middle of a batch (its worker is alive,
    or its dead worker's database session is still rolling back): never wait for it, never take
    it. A run that is not locked is free if nobody owns it or its heartbeat is older than the
    lease, which a live worker never lets happen: it renews the heartbeat with every batch and
    holds the row locked while a batch runs.
    """
    with transaction.atomic():
        run = (
            ComplianceRun.objects.select_for_update(skip_locked=True)
            .filter(_run_free(), as_of=as_of, finished_at__isnull=True)
            .first()
        )
        if run is None:
            return False
        if run.owner:
            logger.warning("Taking over the compliance run of %s from a lost worker.", as_of)
        run.owner, run.heartbeat_at, run.attempts = token, Now(), run.attempts + 1
        run.save(update_fields=["owner", "heartbeat_at", "attempts"])
    if run.attempts == RUN_MAX_ATTEMPTS:
        logger.error("The compliance run of %s is on its last attempt.", as_of)
    return True


def _run_batch(*, as_of: date, token: str) -> bool:
    """Evaluate the next batch of the day's run and commit it with the run's progress.

    Returns whether there may be more to do. The ledger row stays locked for the batch, so the
    batch's snapshots, alerts and the cursor past it commit together or not at all.
    """
    with transaction.atomic():
        run = ComplianceRun.objects.select_for_update().filter(as_of=as_of, owner=token).first()
        if run is None:  # the lease was lost (this worker stalled past it): the new owner goes on
            logger.warning("Lost the compliance run of %s to another worker.", as_of)
            return False
        ids = list(
            active_contracts()
            .filter(id__gt=run.last_contract_id)
            .values_list("id", flat=True)[: settings.COMPLIANCE_RUN_BATCH]
        )
        if ids:
            result = compliance_run(as_of=as_of, contracts=Contract.objects.filter(id__in=ids))
            run.last_contract_id = ids[-1]
            run.contracts_done += len(ids)
            run.clauses += len(result.evaluations)
            run.alerts_opened += result.alerts_opened
            run.alerts_resolved += result.alerts_resolved
        else:
            run.finished_at, run.owner = Now(), ""
        run.heartbeat_at = Now()
        run.save()
    return bool(ids)


def compliance_day_run(*, as_of: date) -> ComplianceRun | None:
    """The day's compliance run over every active contract, done once (docs/RULES.md §4).

    Starts the day's run, or goes on with one whose worker died, from the last batch it
    committed. Returns the day's ledger row when the run is finished (by this call or an
    earlier one), or ``None`` when a live worker holds it, or it has run out of attempts.
    """
    ComplianceRun.objects.get_or_create(as_of=as_of)
    token = uuid.uuid4().hex
    if _run_claim(as_of=as_of, token=token):
        try:
            while _run_batch(as_of=as_of, token=token):
                pass
        except Exception:
            # Let the next attempt (a retry, or the resume job) start at once, not after the
            # lease; with the database gone, the lease expires instead.
            with contextlib.suppress(DatabaseError):
                ComplianceRun.objects.filter(as_of=as_of, owner=token).update(owner="")
            raise
    run = ComplianceRun.objects.get(as_of=as_of)
    return run if run.finished_at else None


def compliance_runs_resume() -> list[date]:
    """Go on with every day's run left unfinished by a lost worker; return the days finished.

    Run every minute by beat: after a worker is killed, its run is taken over once its lease
    has expired (``COMPLIANCE_RUN_LEASE_SECONDS``), by whichever worker is up.
    """
    days = ComplianceRun.objects.filter(_run_free(), finished_at__isnull=True).values_list(
        "as_of", flat=True
    )
    return [day for day in days if compliance_day_run(as_of=day)]


def contract_evaluation_request(*, contract_id: int) -> None:
    """Mark a contract for re-evaluation, in the caller's transaction (see ``Contract``)."""
    Contract.objects.filter(pk=contract_id).update(evaluation_requested_at=timezone.now())
    caching.figures_changed()  # a report sent or reviewed: the dashboard's figures change


def requested_evaluations_run(*, as_of: date, contract_ids: list[int] | None = None) -> RunResult:
    """Re-evaluate the contracts marked for it (or the given ones) and clear their marks.

    A mark set while the run was under way is kept, so that change is evaluated next time.
    """
    started = timezone.now()
    if contract_ids is None:
        contract_ids = list(
            Contract.objects.filter(evaluation_requested_at__isnull=False).values_list(
                "id", flat=True
            )
        )
    result = compliance_run(as_of=as_of, contracts=Contract.objects.filter(id__in=contract_ids))
    Contract.objects.filter(id__in=contract_ids, evaluation_requested_at__lte=started).update(
        evaluation_requested_at=None
    )
    return result


class AlertStateError(ValueError):
    """The alert's kind or state does not allow this (the API answers 409)."""


def alert_acknowledge(*, alert: Alert, user) -> Alert:
    """A manager or officer has seen the alert. Resolved alerts cannot be acknowledged."""
    if not sees_everything(user):
        raise PermissionDenied(_("Only managers and officers can acknowledge alerts."))
    # Locked and saved (not a bare UPDATE) so that the audit trail records who acknowledged it.
    with transaction.atomic():
        current = Alert.objects.select_for_update().get(pk=alert.pk)
        if current.state == AlertState.OPEN:
            current.state = AlertState.ACKNOWLEDGED
            current.acknowledged_by = user
            current.acknowledged_at = timezone.now()
            audit.by(current, user).save(
                update_fields=["state", "acknowledged_by", "acknowledged_at"]
            )
    alert.refresh_from_db()
    if alert.state == AlertState.RESOLVED:
        raise AlertStateError(_("A resolved alert cannot be acknowledged."))
    return alert


def alert_close(*, alert: Alert, user, comment: str) -> Alert:
    """An officer closes a ``clause_breached`` alert, saying why (docs/RULES.md §4).

    A breached clause stays breached, so the compliance run never resolves this alert: an
    officer decides it has been dealt with (a penalty charged, a deficiency case settled). The
    alert records who closed it, when (``resolved_at``) and the comment. Other kinds resolve
    themselves when their condition clears.
    """
    if not is_officer(user):
        raise PermissionDenied(_("Only procurement officers can close alerts."))
    comment = (comment or "").strip()
    if not comment:
        raise ValidationError({"comment": _("Say why the alert is closed.")})
    with transaction.atomic():
        current = Alert.objects.select_for_update().get(pk=alert.pk)
        if current.kind != AlertKind.CLAUSE_BREACHED:
            raise AlertStateError(
                _("Only a clause breached alert is closed by hand; this one is %(kind)s.")
                % {"kind": current.get_kind_display()}
            )
        if current.state == AlertState.RESOLVED:
            raise AlertStateError(_("This alert is already closed."))
        current.state = AlertState.RESOLVED
        current.resolved_at = timezone.now()
        current.closed_by = user
        current.close_comment = comment
        audit.by(current, user).save(
            update_fields=["state", "resolved_at", "closed_by", "close_comment"]
        )
    alert.refresh_from_db()
    return alert


#: How many alerts a digest lists; it counts the rest by kind and links to the full list, so
#: the first run over a large portfolio sends a short e-mail, not thousands of lines.
DIGEST_ITEMS = 10


def alert_digests_send(*, now: datetime | None = None) -> int:
    """Send each recipient one e-mail with their new alerts; return the number of e-mails.

    The e-mail counts the new alerts by kind and lists the ``DIGEST_ITEMS`` worst, each with a
    link to where the recipient acts on it, and a link to the full list (docs/RULES.md §4.3).
    Every row counted is marked sent.

    Rows are claimed with a conditional UPDATE whose conditions the database re-checks under the
    row lock, so two workers never claim the same row. Rows are marked sent right after their
    e-mail; if sending fails, the claim is released for the next run. A worker killed between
    claim and send leaves a claim that expires after ``CLAIM_TIMEOUT``: nothing is lost.
    """
    now = now or timezone.now()
    token = uuid.uuid4().hex
    # An alert resolved before its digest went out is news no longer: its unsent rows are never
    # claimed (they stay unsent, as a record that no e-mail told of it). The alert's state is
    # asked in a subquery on ``alert_id``, not through a join: a join would make Django move
    # every condition into a subquery, and PostgreSQL would then not re-check ``sent_at`` and
    # ``claimed_at`` under the row lock, letting two workers claim the same rows.
    unresolved = Alert.objects.exclude(state=AlertState.RESOLVED).values("id")
    AlertNotification.objects.filter(sent_at__isnull=True, alert_id__in=unresolved).filter(
        Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - CLAIM_TIMEOUT)
    ).update(claimed_by=token, claimed_at=now)
    claimed = AlertNotification.objects.filter(claimed_by=token, sent_at__isnull=True)
    # The alerts' states are asked again after the claim, just before sending: an alert
    # resolved since the claim is left out too, and its claim released.
    resolved = Alert.objects.filter(state=AlertState.RESOLVED).values("id")
    claimed.filter(alert_id__in=resolved).update(claimed_by="", claimed_at=None)
    # Counted and ranked in the database: the claimed rows are this run's alone from here on.
    counts = digest_kind_counts(claimed)
    if not counts:
        return 0
    worst = digest_worst_items(claimed, per_recipient=DIGEST_ITEMS)
    recipients = (
        get_user_model()
        .objects.filter(id__in=counts)
        # Which page a link goes to depends on the role: asked of these, not one query each.
        .select_related("profile", *ROLE_RELATIONS)
        .order_by("id")
    )
    sent = 0
    failures = []
    for recipient in recipients:
        mine = claimed.filter(recipient_id=recipient.id)
        try:
            if recipient.email:
                _digest_message(recipient, counts[recipient.id], worst.get(recipient.id, [])).send()
                sent += 1
        except Exception as error:  # released for the next run, then re-raised
            mine.update(claimed_by="", claimed_at=None)
            failures.append(error)
            continue
        mine.update(sent_at=timezone.now())
    if failures:
        raise failures[0]
    return sent


def _digest_links(recipient, alerts: list[Alert]) -> tuple[list[tuple[Alert, str]], str]:
    """Each alert with the address where ``recipient`` acts on it, and the full list's address.

    Staff act in the admin (acknowledge, close; its list of open alerts); a manager without
    admin access on the dashboard (a clause's history, the overdue reports, the open alerts); a
    contractor's user writes the report on the portal's contract page (its home page lists every
    contract).
    """
    site_url = settings.SITE_URL.rstrip("/")
    if sees_everything(recipient) and recipient.is_staff:
        items = [
            (alert, site_url + reverse("admin:contracts_alert_change", args=[alert.id]))
            for alert in alerts
        ]
        full_list = reverse("admin:contracts_alert_changelist") + "?state__exact=open"
    elif sees_everything(recipient):
        dashboard = reverse("dashboard:index")
        items = [
            (
                alert,
                site_url
                + (
                    f"{dashboard}?clause={alert.clause_id}#history"
                    if alert.clause_id
                    else reverse("dashboard:overdue")
                ),
            )
            for alert in alerts
        ]
        full_list = f"{dashboard}#alerts"
    elif matcher_unit_id_of(recipient) is not None and contractor_id_of(recipient) is None:
        # A matcher confirms the waiting rows on its own page.
        matching = reverse("matching:index")
        items = [(alert, f"{site_url}{matching}#waiting") for alert in alerts]
        full_list = matching
    else:
        items = [
            (alert, site_url + reverse("portal:contract", args=[alert.contract_id]))
            for alert in alerts
        ]
        full_list = reverse("portal:index")
    return items, site_url + full_list


def _digest_message(
    recipient, counts: dict[str, int], worst: list[Alert]
) -> EmailMultiAlternatives:
    """The digest e-mail, in the recipient's language, as plain text and HTML: the new alerts
    counted by kind, the worst of them listed (all of them when they are few)."""
    total = sum(counts.values())
    items, full_list_url = _digest_links(recipient, worst)
    with translation.override(language_of(recipient)):
        context = {
            "recipient": recipient,
            "total": total,
            "counts": [
                (AlertKind(kind).label, counts[kind]) for kind in ALERT_SEVERITY if counts.get(kind)
            ],
            "items": items,
            "more": total - len(items),
            "full_list_url": full_list_url,
            "site_url": settings.SITE_URL.rstrip("/"),
        }
        subject = render_to_string("contracts/email/alert_digest_subject.txt", context)
        text = render_to_string("contracts/email/alert_digest.txt", context)
        html = render_to_string("contracts/email/alert_digest.html", context)
    message = EmailMultiAlternatives(
        subject=" ".join(subject.split()), body=text, to=[recipient.email]
    )
    message.attach_alternative(html, "text/html")
    return message


def clause_save(
    *,
    clause: SocialClause,
    target_groups: list | None = None,
    milestones: list[dict] | None = None,
) -> SocialClause:
    """Validate and save a clause with its target groups and (complete list of) milestones."""
    clause.full_clean()
    if milestones is not None:
        pairs = [(item["date"], item["cumulative_target"]) for item in milestones]
        errors = milestone_errors(clause, pairs)
        if errors:
            raise ValidationError(
                {
                    "milestones": [
                        _("Milestone %(number)d, %(field)s: %(message)s")
                        % {"number": index + 1, "field": field, "message": message}
                        for index, field, message in errors
                    ]
                }
            )
    with transaction.atomic():
        clause.save()
        if target_groups is not None:
            clause.target_groups.set(target_groups)
        if milestones is not None:
            for old in clause.milestones.all():
                old.delete()  # one by one, so that the audit trail records each
            audit.bulk_create(
                ClauseMilestone,
                (
                    ClauseMilestone(clause=clause, date=when, cumulative_target=value)
                    for when, value in pairs
                ),
                user=None,  # the request's user, from the history middleware
            )
    return clause
