"""The alert digest at portfolio scale (docs/RULES.md §4.3): one bounded e-mail per recipient,
counts per kind, the worst alerts first with links, and every counted row marked sent."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from contracts.choices import AlertKind, AlertState, Metric, ReportingFrequency
from contracts.models import Alert, AlertNotification
from contracts.services import DIGEST_ITEMS, alert_digests_send, compliance_run
from core.models import Profile
from internships.choices import ReportStatus
from tests.factories import (
    ContractFactory,
    ContractorUserFactory,
    ReportFactory,
    RowFactory,
    SocialClauseFactory,
)

pytestmark = pytest.mark.django_db

AS_OF = date(2026, 1, 20)
SITE = "http://127.0.0.1:8000"


def _contract(officer, **fields):
    contract = ContractFactory(status="active", **fields)
    contract.procurement.officer = officer
    contract.procurement.save()
    return contract


def _breached(officer, *, value: str, reported: int = 0):
    """A quarterly contract of 2024–mid 2025 whose clause of 10 placements is past its due date."""
    contract = _contract(
        officer, value_sek=Decimal(value), start_date=date(2024, 1, 1), end_date=date(2025, 6, 30)
    )
    SocialClauseFactory(
        contract=contract,
        metric=Metric.PLACEMENTS,
        target=Decimal(10),
        start_date=date(2024, 1, 1),
        due_date=date(2025, 6, 30),
    )
    if reported:
        report = ReportFactory(contract=contract, status=ReportStatus.APPROVED)
        RowFactory.create_batch(reported, report=report)
    return contract


@pytest.fixture
def portfolio(officer, manager):
    """Some two hundred new alerts for the officer and the manager: three breached clauses, a
    monthly contract that has sent nothing since 2009 (one overdue alert a month) and its clause
    behind; the monthly contract's user hears of its overdue reports."""
    Profile.objects.create(user=manager, language="en")
    old = _contract(
        officer,
        reference="K-OLD",
        start_date=date(2009, 1, 1),
        end_date=date(2027, 12, 31),
        reporting_frequency=ReportingFrequency.MONTHLY,
        value_sek=Decimal("1000000.00"),
    )
    SocialClauseFactory(
        contract=old,
        metric=Metric.HOURS,
        target=Decimal(50000),
        start_date=date(2009, 1, 1),
        due_date=date(2027, 12, 31),
    )
    contractor_user = ContractorUserFactory(username="bygg-olle", contractor=old.contractor)
    Profile.objects.create(user=contractor_user, language="en")
    # Worst first: all of the target missing on the larger contract, then on the smaller, then
    # half missing (on the largest contract: how far behind ranks before the contract's value).
    breached = [
        _breached(officer, value="90000000.00"),
        _breached(officer, value="2000000.00"),
        _breached(officer, value="500000000.00", reported=5),
    ]
    compliance_run(as_of=AS_OF)
    return {"old": old, "breached": breached, "contractor_user": contractor_user}


def _counts_in_db(user) -> dict[str, int]:
    counts: dict[str, int] = {}
    for kind in AlertNotification.objects.filter(recipient=user).values_list(
        "alert__kind", flat=True
    ):
        counts[kind] = counts.get(kind, 0) + 1
    return counts


def _admin_url(alert: Alert) -> str:
    return f"{SITE}/admin/contracts/alert/{alert.id}/change/"


def test_hundreds_of_alerts_make_one_short_digest_with_counts_and_the_worst_first(
    portfolio, manager, client
):
    counts = _counts_in_db(manager)
    total = sum(counts.values())
    assert total > 200 and counts[AlertKind.REPORT_OVERDUE] > 200
    # A manager with admin access (staff), as every officer: the links go to the admin.
    manager.is_staff = True
    manager.save()

    assert alert_digests_send() == 3

    (message,) = [m for m in mail.outbox if m.to == [manager.email]]
    assert f"{total} new alerts" in message.subject
    body = message.body
    # Bounded: ten alerts listed, whatever the number of alerts.
    assert len(body.splitlines()) < 70
    assert len(message.message().as_bytes()) < 12_000
    assert f"You have {total} new alerts since the last message." in body
    for kind, label in [
        (AlertKind.CLAUSE_BREACHED, "Clause breached"),
        (AlertKind.REPORT_OVERDUE, "Report overdue"),
        (AlertKind.CLAUSE_BEHIND, "Clause behind"),
    ]:
        assert f"- {label}: {counts[kind]}\n" in body
    assert f"{total - DIGEST_ITEMS} more alerts are not listed here." in body
    assert f"{SITE}/admin/contracts/alert/?state__exact=open" in body

    # The worst first: the breached clauses (most missing, then the larger contract), then the
    # oldest overdue reports; each with the admin page where it is acknowledged or closed.
    breached = [
        Alert.objects.get(kind=AlertKind.CLAUSE_BREACHED, contract=contract)
        for contract in portfolio["breached"]
    ]
    oldest_overdue = list(
        Alert.objects.filter(kind=AlertKind.REPORT_OVERDUE).order_by("period_start")[
            : DIGEST_ITEMS - len(breached)
        ]
    )
    assert oldest_overdue[0].period_start == date(2009, 1, 1)
    expected = [_admin_url(alert) for alert in breached + oldest_overdue]
    assert re.findall(r"http\S+/change/", body) == expected
    html = message.alternatives[0][0]
    assert re.findall(r'href="(http[^"]+/change/)"', html) == expected
    assert "<caption" in html and f"{total - DIGEST_ITEMS} more alerts" in html

    # The links open where the manager acts.
    client.force_login(manager)
    for url in [expected[0], expected[-1], f"{SITE}/admin/contracts/alert/?state__exact=open"]:
        response = client.get(url.removeprefix(SITE))
        assert response.status_code == 200, url
    assert breached[0].contract.reference in client.get(expected[0].removeprefix(SITE)).text

    # Every counted row is marked sent: the next run has nothing to send.
    assert not AlertNotification.objects.filter(recipient=manager, sent_at__isnull=True).exists()
    assert alert_digests_send() == 0


def test_the_digest_is_in_swedish_for_a_swedish_recipient(portfolio, officer):
    total = sum(_counts_in_db(officer).values())

    alert_digests_send()

    (message,) = [m for m in mail.outbox if m.to == [officer.email]]
    assert f"[Sociala krav] {total} nya varningar" == message.subject.replace("\xa0", " ")
    body = message.body.replace("\xa0", " ")
    assert f"Du har {total} nya varningar sedan förra meddelandet." in body
    assert "Nya varningar per typ:" in body
    assert "De 10 mest brådskande varningarna, allvarligast först:" in body
    assert f"Ytterligare {total - DIGEST_ITEMS} varningar visas inte här. Se alla:" in body


def test_a_contractor_user_is_sent_to_the_portal(portfolio, client):
    user = portfolio["contractor_user"]
    old = portfolio["old"]

    alert_digests_send()

    (message,) = [m for m in mail.outbox if m.to == [user.email]]
    assert "Clause" not in message.body  # report alerts only (docs/RULES.md §4.3)
    links = re.findall(rf"{SITE}/portal/\S*", message.body)
    assert links == [f"{SITE}/portal/contracts/{old.id}/"] * DIGEST_ITEMS + [f"{SITE}/portal/"]
    periods = re.findall(r"Period starting: (\S+)", message.body)
    assert periods == [f"2009-{month:02d}-01" for month in range(1, DIGEST_ITEMS + 1)]
    assert "admin" not in message.body and "admin" not in message.alternatives[0][0]
    client.force_login(user)
    assert client.get(f"/portal/contracts/{old.id}/").status_code == 200
    assert client.get("/portal/").status_code == 200


def test_the_digest_takes_the_same_few_queries_for_hundreds_of_alerts(portfolio):
    with CaptureQueriesContext(connection) as queries:
        assert alert_digests_send() == 3
    # Claim, release, counts, worst items, recipients; then per recipient its role and its
    # rows marked sent.
    assert len(queries) <= 5 + 2 * 3


def test_a_small_digest_lists_every_alert(officer):
    contract = _contract(officer, reference="K-SMALL")
    SocialClauseFactory(contract=contract, metric=Metric.HOURS, target=Decimal(1000))
    compliance_run(as_of=date(2024, 4, 11))  # the first quarter overdue, the clause behind
    Profile.objects.create(user=officer, language="en")
    officer.is_staff = True  # officers work in the admin
    officer.save()

    alert_digests_send()

    (message,) = [m for m in mail.outbox if m.to == [officer.email]]
    alerts = Alert.objects.filter(contract=contract).order_by("id")
    assert len(alerts) == 2
    assert "These alerts are new since the last message:" in message.body
    assert "more alert" not in message.body and "by kind" not in message.body
    assert "- Report overdue: K-SMALL" in message.body
    assert "- Clause behind: K-SMALL" in message.body
    # Worst first: an overdue report before a clause behind.
    assert message.body.index("Report overdue") < message.body.index("Clause behind")
    assert sorted(re.findall(r"http\S+/change/", message.body)) == sorted(
        _admin_url(alert) for alert in alerts
    )
    assert f"See all your alerts: {SITE}/admin/contracts/alert/?state__exact=open" in message.body


def test_a_failed_send_releases_every_counted_row(portfolio, manager, monkeypatch):
    def broken(self, *args, **kwargs):
        raise ConnectionError("SMTP server down")

    with monkeypatch.context() as patch:
        patch.setattr("django.core.mail.EmailMultiAlternatives.send", broken)
        with pytest.raises(ConnectionError):
            alert_digests_send()
    unsent = AlertNotification.objects.filter(sent_at__isnull=True)
    assert unsent.count() == AlertNotification.objects.count() > 400
    assert not unsent.exclude(claimed_by="").exists()

    assert alert_digests_send() == 3
    assert not AlertNotification.objects.filter(sent_at__isnull=True).exists()


def test_a_resolved_alert_is_neither_counted_nor_listed(portfolio, manager):
    closed = Alert.objects.get(kind=AlertKind.CLAUSE_BREACHED, contract=portfolio["breached"][0])
    Alert.objects.filter(pk=closed.pk).update(state=AlertState.RESOLVED)

    alert_digests_send()

    (message,) = [m for m in mail.outbox if m.to == [manager.email]]
    assert "- Clause breached: 2\n" in message.body
    assert _admin_url(closed) not in message.body
    assert closed.notifications.filter(sent_at__isnull=True).count() == 2


def test_a_manager_without_admin_access_is_sent_to_the_dashboard(portfolio, manager, client):
    assert not manager.is_staff

    alert_digests_send()

    (message,) = [m for m in mail.outbox if m.to == [manager.email]]
    links = re.findall(r"http\S+", message.body)
    assert f"{SITE}/dashboard/#alerts" in links
    breached = Alert.objects.filter(kind=AlertKind.CLAUSE_BREACHED).order_by("id").first()
    assert f"{SITE}/dashboard/?clause={breached.clause_id}#history" in links
    assert f"{SITE}/dashboard/overdue/" in links
    assert not [link for link in links if "/admin/" in link]
    client.force_login(manager)
    for link in {*links} - {f"{SITE}/"}:
        response = client.get(link.removeprefix(SITE).split("#")[0])
        assert response.status_code == 200, link
