"""Row confirmation, disputes and referrals (matching/services.py)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from contracts.models import Contract, TargetGroup
from contracts.selectors import alert_list, clause_list, contract_list
from core.exceptions import TransitionError
from internships import services as report_services
from internships.choices import ReferralStatus, ReportStatus, Verification
from internships.models import PlacementRow, Referral
from internships.selectors import report_list
from matching import services
from matching.selectors import referral_list, rows_waiting
from procurement.selectors import contractor_list, procurement_list
from tests.factories import SocialClauseFactory, UserFactory

SUBMITTED, APPROVED = ReportStatus.SUBMITTED, ReportStatus.APPROVED


def test_a_matcher_sees_only_the_contracts_its_unit_serves(units):
    a, b = units["A"], units["B"]
    SocialClauseFactory(contract=a.contract)
    SocialClauseFactory(contract=b.contract)
    assert list(contract_list(user=a.matcher)) == [a.contract]
    assert {c.contract_id for c in clause_list(user=a.matcher)} == {a.contract.pk}
    assert list(contractor_list(user=a.matcher)) == [a.contract.contractor]
    assert list(procurement_list(user=a.matcher)) == [a.contract.procurement]


def test_a_matcher_sees_sent_reports_only_never_drafts_nor_rejected(units):
    a = units["A"]
    seen = set(report_list(user=a.matcher).values_list("status", flat=True))
    assert seen == {ReportStatus.SUBMITTED, ReportStatus.APPROVED}
    # The contractor still sees all of its own.
    assert report_list(user=a.contractor_user).count() == 4


def test_a_user_without_role_sees_nothing(units):
    nobody = UserFactory(username="ingen")
    assert not contract_list(user=nobody).exists()
    assert not referral_list(user=nobody).exists()
    assert not alert_list(user=nobody).exists()


def test_confirming_rows_stamps_who_and_when_and_asks_for_an_evaluation(units):
    a = units["A"]
    ids = [row.pk for row in a.rows[SUBMITTED] + a.rows[APPROVED]]
    before = timezone.now()
    services.rows_confirm(row_ids=ids, user=a.matcher)
    for row in PlacementRow.objects.filter(pk__in=ids):
        assert row.verification == Verification.CONFIRMED
        assert row.verified_by == a.matcher
        assert row.verified_at >= before
        # The audit trail says who did it.
        assert row.history.first().history_user == a.matcher
    contract = Contract.objects.get(pk=a.contract.pk)
    assert contract.evaluation_requested_at is not None
    assert not rows_waiting(user=a.matcher).exists()


def test_confirming_is_all_or_nothing(units):
    a, b = units["A"], units["B"]
    mine = a.rows[SUBMITTED][0].pk
    for refused in (
        b.rows[SUBMITTED][0].pk,  # another unit's
        a.rows[ReportStatus.DRAFT][0].pk,  # a draft
        a.rows[ReportStatus.REJECTED][0].pk,  # sent back
        10**9,  # none at all
    ):
        with pytest.raises(ValidationError) as raised:
            services.rows_confirm(row_ids=[mine, refused], user=a.matcher)
        assert str(refused) in raised.value.message_dict["rows"][0]
    assert not PlacementRow.objects.exclude(verification=Verification.UNCONFIRMED).exists()


def test_only_a_matcher_confirms_or_disputes(units, officer):
    a = units["A"]
    row = a.rows[SUBMITTED][0]
    for user in (officer, a.contractor_user):
        with pytest.raises(PermissionDenied):
            services.rows_confirm(row_ids=[row.pk], user=user)
        with pytest.raises(PermissionDenied):
            services.row_dispute(row_id=row.pk, user=user, comment="Nej")
    assert PlacementRow.objects.get(pk=row.pk).verification == Verification.UNCONFIRMED


def test_a_dispute_needs_a_comment_and_keeps_it(units):
    a = units["A"]
    row = a.rows[APPROVED][0]
    with pytest.raises(ValidationError) as raised:
        services.row_dispute(row_id=row.pk, user=a.matcher, comment="   ")
    assert "comment" in raised.value.message_dict
    assert PlacementRow.objects.get(pk=row.pk).verification == Verification.UNCONFIRMED
    services.row_dispute(row_id=row.pk, user=a.matcher, comment="Ingen praktik hos oss.")
    row.refresh_from_db()
    assert (row.verification, row.verification_comment) == (
        Verification.DISPUTED,
        "Ingen praktik hos oss.",
    )
    # Another unit's row does not exist for this matcher.
    with pytest.raises(PlacementRow.DoesNotExist):
        services.row_dispute(row_id=units["B"].rows[APPROVED][0].pk, user=a.matcher, comment="x")


def test_a_correction_keeps_the_word_on_unchanged_rows_only(units):
    a = units["A"]
    approved = a.reports[APPROVED]
    first, second = a.rows[APPROVED]
    services.rows_confirm(row_ids=[first.pk], user=a.matcher)
    services.row_dispute(row_id=second.pk, user=a.matcher, comment="Fel datum")
    correction = report_services.report_correct(
        report=approved, user=a.contractor_user, reason="Fel timmar"
    )
    copied = {row.participant_ref: row for row in correction.rows.all()}
    assert copied[first.participant_ref].verification == Verification.CONFIRMED
    assert copied[second.participant_ref].verification == Verification.DISPUTED
    assert copied[second.participant_ref].verification_comment == "Fel datum"
    # Saved again: the unchanged row keeps its word, the changed one waits again.
    rows = [
        {
            "participant_ref": row.participant_ref,
            "target_group": row.target_group,
            "start_date": row.start_date,
            "end_date": row.end_date,
            "hours": row.hours + (10 if row.participant_ref == second.participant_ref else 0),
        }
        for row in correction.rows.all()
    ]
    report_services.report_save(report=correction, rows=rows, user=a.contractor_user)
    saved = {row.participant_ref: row for row in correction.rows.all()}
    assert saved[first.participant_ref].verification == Verification.CONFIRMED
    assert saved[first.participant_ref].verified_by == a.matcher
    assert saved[second.participant_ref].verification == Verification.UNCONFIRMED
    assert saved[second.participant_ref].verification_comment == ""


def _referral(unit, **kwargs) -> Referral:
    values = {
        "user": unit.matcher,
        "contract": unit.contract,
        "target_group": TargetGroup.objects.get(code="youth"),
        "proposed_start": unit.contract.start_date + timedelta(days=10),
        "participant_ref": "KAND-1",
    }
    values.update(kwargs)
    return services.referral_create(**values)


def test_a_referral_never_stores_a_personnummer(units):
    a = units["A"]
    referral = _referral(a, participant_ref="", personnummer="19900101-0017")
    stored = Referral.objects.get(pk=referral.pk)
    assert "0017" not in stored.participant_ref
    assert "900101" not in stored.participant_ref
    assert stored.unit == a.unit and stored.referred_by == a.matcher
    with pytest.raises(ValidationError) as raised:
        _referral(a, participant_ref="", personnummer="19900101-0018")  # bad check digit
    assert "0018" not in str(raised.value)


def test_a_matcher_refers_only_to_its_units_contracts(units):
    with pytest.raises(ValidationError) as raised:
        _referral(units["A"], contract=units["B"].contract)
    assert "contract" in raised.value.message_dict
    assert not Referral.objects.exists()
    with pytest.raises(PermissionDenied):
        _referral(units["A"], user=units["A"].contractor_user)


def test_the_contractor_accepts_or_declines_with_a_reason_once(units):
    a, b = units["A"], units["B"]
    first, second = _referral(a), _referral(a, participant_ref="KAND-2")
    with pytest.raises(PermissionDenied):
        services.referral_accept(referral=first, user=b.contractor_user)
    with pytest.raises(PermissionDenied):
        services.referral_accept(referral=first, user=a.matcher)
    services.referral_accept(referral=first, user=a.contractor_user)
    with pytest.raises(ValidationError):
        services.referral_decline(referral=second, user=a.contractor_user, reason=" ")
    services.referral_decline(referral=second, user=a.contractor_user, reason="Fullt just nu")
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, first.decided_by) == (ReferralStatus.ACCEPTED, a.contractor_user)
    assert (second.status, second.decline_reason) == (ReferralStatus.DECLINED, "Fullt just nu")
    with pytest.raises(TransitionError):
        services.referral_decline(referral=first, user=a.contractor_user, reason="Ändrat")
    # Each side sees its own.
    assert set(referral_list(user=a.contractor_user)) == {first, second}
    assert not referral_list(user=b.contractor_user).exists()
    assert not referral_list(user=b.matcher).exists()


def test_an_accepted_referral_is_linked_to_the_row_that_reports_it(units):
    a = units["A"]
    referral = _referral(a, proposed_start=date(2024, 11, 1))
    services.referral_accept(referral=referral, user=a.contractor_user)
    period = a.contract.reporting_periods()[4]
    assert [
        r.pk
        for r in services.referrals_to_prefill(contract_id=a.contract.pk, period_end=period.end)
    ] == [referral.pk]
    report = report_services.PlacementReport(
        contract=a.contract, period_start=period.start, period_end=period.end
    )
    report_services.report_save(
        report=report,
        rows=[
            {
                "participant_ref": referral.participant_ref,
                "target_group": referral.target_group,
                "start_date": period.start,
                "end_date": period.end,
                "hours": 120,
            }
        ],
        user=a.contractor_user,
    )
    referral.refresh_from_db()
    assert referral.row is not None and referral.row.report_id == report.pk
    assert services.referrals_to_prefill(contract_id=a.contract.pk, period_end=period.end) == []
