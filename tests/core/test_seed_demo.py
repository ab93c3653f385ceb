"""The demo data set: what `make run` shows a new user."""

from collections import Counter
from datetime import date

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command

from contracts.choices import ClauseKind, ClauseStatus, Metric
from contracts.models import Contract, SocialClause
from contracts.selectors import contract_schedule, evaluate_clauses
from internships.choices import (
    AgeBand,
    BornAbroad,
    EmploymentType,
    Gender,
    ReferralStatus,
    ReportStatus,
    Verification,
)
from internships.demo import seed_demo
from internships.models import PlacementReport, PlacementRow, Referral
from procurement.models import (
    Contractor,
    LabourMarketUnit,
    LabourMarketUnitMembership,
    Procurement,
)

pytestmark = pytest.mark.django_db

# The demo is dated relative to the day it is made; it must work on any day of the year.
SEED_DAYS = [date(2026, 11, 28), date(2027, 2, 28), date(2028, 2, 29), date(2026, 12, 31)]


def _table_counts() -> dict[str, int]:
    return {
        "contractors": Contractor.objects.count(),
        "procurements": Procurement.objects.count(),
        "contracts": Contract.objects.count(),
        "clauses": SocialClause.objects.count(),
        "reports": PlacementReport.objects.count(),
        "rows": PlacementRow.objects.count(),
    }


@pytest.mark.parametrize("today", SEED_DAYS)
def test_demo_shows_every_clause_status_on_any_day(today):
    seed_demo(today=today)

    statuses = Counter(item.evaluation.status for item in evaluate_clauses(as_of=today))

    assert set(statuses) == set(ClauseStatus.values), statuses


def test_demo_has_the_promised_breadth():
    today = date(2026, 11, 28)
    seed_demo(today=today)

    counts = _table_counts()
    assert counts["contractors"] >= 5
    assert counts["procurements"] >= 3
    assert counts["contracts"] >= 12
    assert Contract.objects.values("district").distinct().count() >= 5
    clauses = SocialClause.objects.all()
    assert {clause.metric for clause in clauses} == set(Metric.values)
    # The metrics of §4 in every shape; full-time months come from the 11554 template (below).
    for metric in set(Metric.values) - {Metric.FTE_MONTHS}:
        of_metric = clauses.filter(metric=metric)
        assert of_metric.filter(milestones__isnull=False).exists(), metric
        assert of_metric.filter(milestones__isnull=True).exists(), metric
        assert of_metric.filter(target_groups__isnull=False).exists(), metric
        assert of_metric.filter(target_groups__isnull=True).exists(), metric
    statuses = set(PlacementReport.objects.values_list("status", flat=True))
    assert statuses == set(ReportStatus.values)
    first_report = PlacementReport.objects.order_by("period_start").first()
    assert (today - first_report.period_start).days >= 2 * 365


def test_demo_has_overdue_periods():
    today = date(2026, 11, 28)
    seed_demo(today=today)

    states = Counter(
        entry.state
        for contract in Contract.objects.all()
        for entry in contract_schedule(contract, as_of=today)
    )
    assert states["overdue"] >= 2
    assert states["received"] > states["overdue"]


def test_seeding_twice_changes_nothing():
    seed_demo(today=date(2026, 11, 28))
    before = _table_counts()

    result = seed_demo(today=date(2026, 11, 28))

    assert _table_counts() == before
    assert not {k: v for k, v in result.created.items() if v}


def test_demo_users_log_in_with_their_roles():
    call_command("seed_demo", "--password", "another-pass-1")

    officer = authenticate(username="officer", password="another-pass-1")
    manager = authenticate(username="manager", password="another-pass-1")
    first = authenticate(username="entreprenor1", password="another-pass-1")
    second = authenticate(username="entreprenor2", password="another-pass-1")
    matcher = authenticate(username="matchare", password="another-pass-1")
    assert officer and manager and first and second and matcher
    assert matcher.matcher_membership.unit.name == "Jönköpings kommun, Arbetsmarknadsenheten"
    assert not matcher.is_staff and not matcher.groups.exists()
    assert officer.groups.filter(name="officers").exists() and officer.is_staff
    assert manager.groups.filter(name="managers").exists() and manager.is_staff
    assert not first.is_staff and not second.is_staff
    assert first.contractor_membership.contractor != second.contractor_membership.contractor
    assert authenticate(username="officer", password="demo1234") is None


def test_seed_demo_if_empty_leaves_existing_data_alone():
    seed_demo(today=date(2026, 11, 28))
    Contract.objects.filter(reference="K-2024-102").update(title="Changed by a user")

    call_command("seed_demo", "--if-empty")

    assert Contract.objects.get(reference="K-2024-102").title == "Changed by a user"


def test_demo_has_the_swedish_model():
    """Issue 14: the matching organisation and its user, an 11554 clause and a dialogue clause
    on contracts it serves, rows with every new fact, the matcher's word on rows, referrals."""
    today = date(2026, 11, 28)
    seed_demo(today=today)

    unit = LabourMarketUnit.objects.get(name="Jönköpings kommun, Arbetsmarknadsenheten")
    assert unit.org_number == "212000-0530"
    assert LabourMarketUnitMembership.objects.get(user__username="matchare").unit == unit
    served = Contract.objects.filter(matcher=unit)
    assert served.count() >= 2
    uhm = SocialClause.objects.get(contract__in=served, template="uhm_11554_a")
    assert (uhm.kind, uhm.metric, uhm.first_start_within_days) == (
        ClauseKind.NUMERIC,
        Metric.FTE_MONTHS,
        183,
    )
    assert uhm.requires_matcher_confirmation
    assert set(uhm.employment_types) == {EmploymentType.EMPLOYMENT, EmploymentType.APPRENTICESHIP}
    assert "heltidsmånader" in uhm.text
    dialogue = SocialClause.objects.get(contract__in=served, kind=ClauseKind.DIALOGUE)
    assert dialogue.target is None

    rows = PlacementRow.objects.filter(report__contract__in=served)
    sent = rows.exclude(report__status=ReportStatus.DRAFT)
    assert sent.filter(verification=Verification.CONFIRMED).exists()
    disputed = sent.filter(verification=Verification.DISPUTED)
    assert disputed.exists() and all(row.verification_comment for row in disputed)
    assert all(row.verified_by.username == "matchare" for row in disputed)
    assert rows.filter(offered_on__isnull=False).exists()
    assert rows.filter(ended_by_participant=True).exists()
    assert set(rows.values_list("employment_type", flat=True)) == set(EmploymentType.values)

    every_row = PlacementRow.objects.all()
    assert {Gender.WOMAN, Gender.MAN, Gender.UNDISCLOSED} <= set(
        every_row.values_list("gender", flat=True)
    )
    assert set(every_row.values_list("born_abroad", flat=True)) == set(BornAbroad.values)
    assert every_row.values("age_band").distinct().count() >= 5
    assert every_row.filter(home_district__isnull=True).exists()
    assert every_row.values("home_district").distinct().count() >= 5

    referrals = Referral.objects.filter(contract__in=served)
    accepted = referrals.filter(status=ReferralStatus.ACCEPTED, row__isnull=False).get()
    assert accepted.row.participant_ref == accepted.participant_ref
    assert accepted.row.report.contract_id == accepted.contract_id
    declined = referrals.filter(status=ReferralStatus.DECLINED)
    assert declined.exists() and all(referral.decline_reason for referral in declined)
    assert referrals.filter(status=ReferralStatus.PROPOSED).exists()


def test_the_row_facts_leave_the_figures_of_the_older_clauses_as_they_were():
    """The facts given to the older demo rows change no figure of the clauses they count for:
    evaluated with every row's facts back at their defaults, every such clause is the same."""
    today = date(2026, 11, 28)
    seed_demo(today=today)
    older = Contract.objects.filter(matcher__isnull=True)
    with_facts = {
        item.clause.id: item.evaluation for item in evaluate_clauses(as_of=today, contracts=older)
    }

    PlacementRow.objects.update(
        employment_type=EmploymentType.INTERNSHIP,
        gender=Gender.UNDISCLOSED,
        born_abroad=BornAbroad.UNDISCLOSED,
        age_band=AgeBand.UNDISCLOSED,
        home_district=None,
    )
    without = {
        item.clause.id: item.evaluation for item in evaluate_clauses(as_of=today, contracts=older)
    }

    assert with_facts == without
    assert not PlacementRow.objects.filter(
        report__contract__in=older, ended_by_participant=True
    ).exists()
    assert not PlacementRow.objects.filter(
        report__contract__in=older, offered_on__isnull=False
    ).exists()
