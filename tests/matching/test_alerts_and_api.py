"""The rows_unconfirmed alert, the matching API and the matcher page."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from rest_framework.test import APIClient

from contracts.choices import AlertKind, AlertState
from contracts.models import Alert, AlertNotification, Contract, TargetGroup
from contracts.selectors import alert_list
from contracts.services import alert_digests_send, compliance_run
from internships.choices import ReferralStatus, ReportStatus, Verification
from internships.models import PlacementRow, Referral
from matching import services

SUBMITTED, APPROVED = ReportStatus.SUBMITTED, ReportStatus.APPROVED


def _run():
    return compliance_run(as_of=timezone.localdate(), contracts=Contract.objects.all())


def _open_waiting_alerts():
    return Alert.objects.filter(kind=AlertKind.ROWS_UNCONFIRMED).exclude(state=AlertState.RESOLVED)


def test_rows_waiting_over_14_days_raise_an_alert_to_the_unit_until_none_waits(units):
    a, b = units["A"], units["B"]
    # B's reports were submitted 10 days ago: not yet.
    b.contract.reports.exclude(submitted_at=None).update(
        submitted_at=timezone.now() - timedelta(days=10)
    )
    _run()
    alert = _open_waiting_alerts().get()
    assert alert.contract_id == a.contract.pk
    recipients = set(
        AlertNotification.objects.filter(alert=alert).values_list("recipient", flat=True)
    )
    assert recipients == {a.matcher.pk}
    assert list(alert_list(user=a.matcher)) == [alert]
    assert not alert_list(user=b.matcher).exists()
    # Not the contractor's business (it sees its report alerts only).
    assert alert not in alert_list(user=a.contractor_user)
    mail.outbox.clear()
    a.matcher.email = "matchare@example.se"
    a.matcher.save()
    alert_digests_send()
    [digest] = [message for message in mail.outbox if message.to == ["matchare@example.se"]]
    assert "/matchning/" in digest.body
    # Every waiting row confirmed or disputed: resolved at the next run.
    rows = [*a.rows[SUBMITTED], *a.rows[APPROVED]]
    services.rows_confirm(row_ids=[row.pk for row in rows[1:]], user=a.matcher)
    _run()
    assert _open_waiting_alerts().exists()
    services.row_dispute(row_id=rows[0].pk, user=a.matcher, comment="Okänd deltagare")
    _run()
    assert not _open_waiting_alerts().exists()


def test_a_contract_without_a_matcher_never_raises_it(units):
    Contract.objects.update(matcher=None)
    _run()
    assert not _open_waiting_alerts().exists()


# --- API ---------------------------------------------------------------------------------------


def _client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_api_confirm_many_then_list_what_waits(units):
    a = units["A"]
    client = _client(a.matcher)
    waiting = client.get("/api/v1/rows/?verification=unconfirmed").json()
    ids = sorted(row["id"] for row in waiting["results"])
    assert ids == sorted(row.pk for row in [*a.rows[SUBMITTED], *a.rows[APPROVED]])
    response = client.post("/api/v1/rows/confirm/", {"rows": ids[:3]}, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()["rows"]
    assert {row["verification"] for row in body} == {"confirmed"}
    assert {row["verified_by"] for row in body} == {a.matcher.pk}
    left = client.get("/api/v1/rows/?verification=unconfirmed").json()["results"]
    assert [row["id"] for row in left] == ids[3:]


def test_api_confirm_refuses_the_lot_with_a_field_message(units):
    a, b = units["A"], units["B"]
    client = _client(a.matcher)
    other = b.rows[SUBMITTED][0].pk
    response = client.post(
        "/api/v1/rows/confirm/", {"rows": [a.rows[SUBMITTED][0].pk, other]}, format="json"
    )
    assert response.status_code == 400
    assert str(other) in response.json()["rows"][0]
    assert client.post("/api/v1/rows/confirm/", {"rows": []}, format="json").status_code == 400
    assert client.post("/api/v1/rows/confirm/", {"rows": ["x"]}, format="json").status_code == 400
    assert not PlacementRow.objects.exclude(verification=Verification.UNCONFIRMED).exists()


def test_api_dispute_needs_a_comment_and_is_404_outside_reach(units):
    a, b = units["A"], units["B"]
    client = _client(a.matcher)
    row = a.rows[APPROVED][0]
    response = client.post(f"/api/v1/rows/{row.pk}/dispute/", {"comment": ""}, format="json")
    assert response.status_code == 400 and "comment" in response.json()
    other = b.rows[APPROVED][0]
    response = client.post(f"/api/v1/rows/{other.pk}/dispute/", {"comment": "x"}, format="json")
    assert response.status_code == 404
    draft = a.rows[ReportStatus.DRAFT][0]
    response = client.post(f"/api/v1/rows/{draft.pk}/dispute/", {"comment": "x"}, format="json")
    assert response.status_code == 404  # a draft is not the matcher's to see
    response = client.post(f"/api/v1/rows/{row.pk}/dispute/", {"comment": "Fel"}, format="json")
    assert response.status_code == 200
    assert response.json()["verification"] == "disputed"
    # The contractor sees the dispute and its comment on its report.
    report = _client(a.contractor_user).get(f"/api/v1/reports/{row.report_id}/").json()
    mine = next(r for r in report["rows"] if r["id"] == row.pk)
    assert (mine["verification"], mine["verification_comment"]) == ("disputed", "Fel")


def test_api_contractor_and_officer_may_not_confirm(units, officer):
    a = units["A"]
    row = a.rows[SUBMITTED][0].pk
    for user in (a.contractor_user, officer):
        response = _client(user).post("/api/v1/rows/confirm/", {"rows": [row]}, format="json")
        assert response.status_code == 403


def test_api_referral_round_trip(units):
    a, b = units["A"], units["B"]
    matcher = _client(a.matcher)
    body = {
        "contract": a.contract.pk,
        "personnummer": "19900101-0017",
        "target_group": "youth",
        "employment_type": "employment",
        "proposed_start": "2024-03-01",
    }
    response = matcher.post("/api/v1/referrals/", body, format="json")
    assert response.status_code == 201, response.json()
    created = response.json()
    assert "0017" not in str(created) and created["status"] == "proposed"
    assert created["unit"] == a.unit.pk
    refused = matcher.post("/api/v1/referrals/", {**body, "contract": b.contract.pk}, format="json")
    assert refused.status_code == 400 and "contract" in refused.json()
    bad = matcher.post(
        "/api/v1/referrals/", {**body, "personnummer": "19900101-0018"}, format="json"
    )
    assert bad.status_code == 400 and "0018" not in str(bad.json())
    contractor = _client(a.contractor_user)
    url = f"/api/v1/referrals/{created['id']}/"
    assert _client(b.contractor_user).post(url + "accept/").status_code == 404
    assert matcher.post(url + "accept/").status_code == 403
    response = contractor.post(url + "decline/", {"reason": ""}, format="json")
    assert response.status_code == 400 and "reason" in response.json()
    response = contractor.post(url + "decline/", {"reason": "Ingen plats"}, format="json")
    assert response.status_code == 200
    assert response.json()["decline_reason"] == "Ingen plats"
    assert contractor.post(url + "accept/").status_code == 409
    assert matcher.get(url).json()["status"] == ReferralStatus.DECLINED


def test_api_me_says_the_unit(units):
    a = units["A"]
    me = _client(a.matcher).get("/api/v1/auth/me/").json()
    assert me["unit"] == a.unit.pk and "matcher" in me["roles"]
    assert _client(a.contractor_user).get("/api/v1/auth/me/").json()["unit"] is None


# --- Pages -------------------------------------------------------------------------------------


def test_a_matcher_lands_on_the_matcher_page_in_swedish(client, units):
    a = units["A"]
    client.force_login(a.matcher)
    assert client.get("/").url == "/matchning/"
    page = client.get("/matchning/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Matchning" in text and a.contract.reference in text
    assert units["B"].contract.reference not in text
    for row in a.rows[SUBMITTED]:
        assert f'value="{row.pk}"' in text
    for row in units["B"].rows[SUBMITTED] + a.rows[ReportStatus.DRAFT]:
        assert f'value="{row.pk}"' not in text


def test_the_page_confirms_many_and_refuses_a_dispute_without_comment(client, units):
    a = units["A"]
    client.force_login(a.matcher)
    ids = [row.pk for row in a.rows[SUBMITTED]]
    response = client.post("/matchning/", {"action": "confirm", "rows": ids})
    assert response.status_code == 302
    assert set(PlacementRow.objects.filter(pk__in=ids).values_list("verification", flat=True)) == {
        Verification.CONFIRMED
    }
    row = a.rows[APPROVED][0]
    response = client.post("/matchning/", {"action": "dispute", "row": row.pk, "comment": ""})
    assert response.status_code == 400
    assert "Ange varför raden ifrågasätts." in response.content.decode()
    assert PlacementRow.objects.get(pk=row.pk).verification == Verification.UNCONFIRMED
    response = client.post("/matchning/", {"action": "confirm"})
    assert response.status_code == 400


def test_the_page_keeps_a_referrals_input_but_never_the_personnummer(client, units):
    a = units["A"]
    client.force_login(a.matcher)
    response = client.post(
        "/matchning/",
        {
            "action": "refer",
            "contract": a.contract.pk,
            "personnummer": "19900101-0018",
            "target_group": TargetGroup.objects.get(code="youth").pk,
            "employment_type": "internship",
            "proposed_start": "2024-03-01",
            "notes": "Svetsare",
        },
    )
    assert response.status_code == 400
    text = response.content.decode()
    assert "Svetsare" in text and "0018" not in text
    assert not Referral.objects.exists()


def test_others_may_not_open_the_matcher_page(client, units, officer):
    for user in (units["A"].contractor_user, officer):
        client.force_login(user)
        assert client.get("/matchning/").status_code == 403


def test_the_contractor_declines_on_the_portal_and_the_reason_is_required(client, units):
    a = units["A"]
    referral = services.referral_create(
        user=a.matcher,
        contract=a.contract,
        target_group=TargetGroup.objects.get(code="youth"),
        proposed_start=a.contract.start_date,
        participant_ref="KAND-9",
    )
    client.force_login(a.contractor_user)
    assert "KAND-9" in client.get("/portal/referrals/").content.decode()
    url = f"/portal/referrals/{referral.pk}/answer/"
    response = client.post(url, {"answer": "decline", f"r{referral.pk}-reason": ""})
    assert response.status_code == 400
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.PROPOSED
    client.post(url, {"answer": "decline", f"r{referral.pk}-reason": "Ingen plats"})
    referral.refresh_from_db()
    assert (referral.status, referral.decline_reason) == (ReferralStatus.DECLINED, "Ingen plats")
    client.force_login(units["B"].contractor_user)
    assert client.post(url, {"answer": "accept"}).status_code == 404


def test_an_accepted_referral_prefills_the_next_report_form(client, units):
    a = units["A"]
    referral = services.referral_create(
        user=a.matcher,
        contract=a.contract,
        target_group=TargetGroup.objects.get(code="youth"),
        proposed_start=a.contract.reporting_periods()[4].start,
        participant_ref="KAND-PREFILL",
    )
    services.referral_accept(referral=referral, user=a.contractor_user)
    client.force_login(a.contractor_user)
    period = a.contract.reporting_periods()[4].start.isoformat()
    page = client.get(f"/portal/contracts/{a.contract.pk}/periods/{period}/report/")
    assert page.status_code == 200
    assert 'value="KAND-PREFILL"' in page.content.decode()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_confirming_on_postgres_commits_and_asks_for_an_evaluation(units):
    a = units["A"]
    ids = [row.pk for row in a.rows[APPROVED]]
    services.rows_confirm(row_ids=ids, user=a.matcher)
    assert PlacementRow.objects.filter(pk__in=ids, verification=Verification.CONFIRMED).count() == 2
    assert Contract.objects.get(pk=a.contract.pk).evaluation_requested_at is not None


def test_the_page_names_rows_by_their_plain_id_past_a_thousand(client, units):
    # Swedish formatting groups digits ("41 165"): an id in an attribute must not be, or the
    # checkbox's label, the browser's selector and the confirmation all miss the row.
    from tests.factories import RowFactory

    a = units["A"]
    row = RowFactory(id=1_234_567, report=a.reports[SUBMITTED], participant_ref="A-big", hours=80)
    client.force_login(a.matcher)
    text = client.get("/matchning/").content.decode()
    assert 'value="1234567" id="row-1234567"' in text
    assert 'for="row-1234567"' in text
    response = client.post("/matchning/", {"action": "confirm", "rows": ["1234567"]})
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.verification == Verification.CONFIRMED


def test_the_page_shows_the_longest_waiting_rows_and_offers_only_those(client, units, settings):
    from matching import views

    a = units["A"]
    waiting = [row.pk for row in a.rows[SUBMITTED]]
    assert len(waiting) >= 2
    settings.DEBUG = False
    views_limit = views.ROWS_SHOWN
    views.ROWS_SHOWN = 1
    try:
        client.force_login(a.matcher)
        text = client.get("/matchning/").content.decode()
    finally:
        views.ROWS_SHOWN = views_limit
    # One row listed, the count says how many wait, and the select offers only what is shown.
    assert text.count('name="rows"') == 1
    assert f"{len(waiting) + len(a.rows[APPROVED])} rader väntar" in text
    assert "De 1 rader som har väntat längst visas" in text
    select = re.search(r'<select name="row"[^>]*>(.*?)</select>', text, re.S).group(1)
    assert select.count("<option") == 2  # the empty choice and the one row shown
