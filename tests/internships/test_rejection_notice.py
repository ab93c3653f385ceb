"""A rejected report (or rejected correction) reaches the contractor: on the portal's home page
with the officer's comment and a link to fix it, and by e-mail after commit, in each recipient's
language; a failing mail server never undoes the rejection (issue 12)."""

from __future__ import annotations

from datetime import date

import pytest
from django.core import mail
from django.urls import reverse

from core.models import Profile
from internships import services
from internships.choices import ReportStatus
from tests.factories import (
    ContractFactory,
    ContractorUserFactory,
    ReportFactory,
    RowFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


class BrokenMailBackend:
    """A mail server that is down."""

    def __init__(self, *args, **kwargs) -> None:
        pass

    def send_messages(self, messages) -> int:
        raise ConnectionError("SMTP server down")


@pytest.fixture
def setup(officer):
    contract = ContractFactory(start_date=date(2025, 1, 1), end_date=date(2026, 12, 31))
    anna = ContractorUserFactory(username="bygg-anna", contractor=contract.contractor)
    erik = ContractorUserFactory(username="bygg-erik", contractor=contract.contractor)
    Profile.objects.create(user=erik, language="en")
    other = ContractorUserFactory(username="annan-firma")  # another contractor's user
    report = ReportFactory(contract=contract, status=ReportStatus.SUBMITTED)
    RowFactory(report=report)
    return {"contract": contract, "anna": anna, "erik": erik, "other": other, "report": report}


def _reject(setup, officer, comment="Timmar saknas för D-2."):
    return services.report_reject(report=setup["report"], user=officer, comment=comment)


def test_rejection_mails_each_contractor_user_in_their_language_after_commit(
    setup, officer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        _reject(setup, officer)
        assert mail.outbox == []  # nothing goes out before the rejection is committed
    for callback in callbacks:
        callback()

    by_recipient = {message.to[0]: message for message in mail.outbox}
    assert set(by_recipient) == {setup["anna"].email, setup["erik"].email}
    english, swedish = by_recipient[setup["erik"].email], by_recipient[setup["anna"].email]
    reference = setup["contract"].reference
    assert english.subject == f"[Social clauses] Report rejected: {reference}"
    assert "was rejected" in english.body and "Timmar saknas för D-2." in english.body
    assert "was rejected" not in swedish.body and "Timmar saknas för D-2." in swedish.body
    link = reverse("portal:report", args=[setup["report"].pk])
    assert link in english.body and link in swedish.body


def test_a_failing_mail_server_does_not_undo_the_rejection(
    setup, officer, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = f"{__name__}.BrokenMailBackend"
    with django_capture_on_commit_callbacks(execute=True):
        _reject(setup, officer)
    setup["report"].refresh_from_db()
    assert setup["report"].status == ReportStatus.REJECTED
    assert setup["report"].review_comment == "Timmar saknas för D-2."


def test_approving_sends_no_mail(setup, officer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.report_approve(report=setup["report"], user=officer)
    assert mail.outbox == []


def test_the_portal_home_page_lists_the_rejected_report_with_comment_and_link(
    client, setup, officer
):
    _reject(setup, officer)
    client.force_login(setup["anna"])

    page = client.get(reverse("portal:index")).content.decode()

    report = setup["report"]
    assert 'id="rejected-heading"' in page
    assert "Timmar saknas för D-2." in page
    edit = reverse("portal:report-edit", args=[report.contract_id, report.period_start])
    assert f'href="{edit}"' in page
    # Another contractor's user does not see it.
    client.force_login(setup["other"])
    assert "Timmar saknas för D-2." not in client.get(reverse("portal:index")).content.decode()


def test_the_notice_goes_once_the_report_is_sent_again(client, setup, officer):
    _reject(setup, officer)
    services.report_submit(report=setup["report"], user=setup["anna"])
    client.force_login(setup["anna"])
    assert 'id="rejected-heading"' not in client.get(reverse("portal:index")).content.decode()


def test_a_rejected_correction_shows_until_a_new_version_is_started(client, setup, officer):
    report = setup["report"]
    services.report_approve(report=report, user=officer)
    correction = services.report_correct(report=report, user=setup["anna"], reason="Fel timmar.")
    services.report_submit(report=correction, user=setup["anna"])
    services.report_reject(report=correction, user=officer, comment="Rättelsen saknar D-9.")
    client.force_login(setup["anna"])

    page = client.get(reverse("portal:index")).content.decode()
    assert "Rättelsen saknar D-9." in page
    assert f'href="{reverse("portal:report", args=[correction.pk])}"' in page

    services.report_correct(report=report, user=setup["anna"], reason="Nytt försök.")
    assert "Rättelsen saknar D-9." not in client.get(reverse("portal:index")).content.decode()


def test_staff_without_a_contractor_get_no_rejection_mail(setup, officer, manager):
    UserFactory(username="staff-only", groups=["officers"])
    _reject(setup, officer)
    services._rejection_mails_send(setup["report"].pk)
    recipients = {message.to[0] for message in mail.outbox}
    assert recipients == {setup["anna"].email, setup["erik"].email}
