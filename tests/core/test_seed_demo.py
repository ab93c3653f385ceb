"""The demo data set: what `make run` shows a new user."""

from collections import Counter
from datetime import date

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command

from contracts.choices import ClauseStatus, Metric
from contracts.models import Contract, SocialClause
from contracts.selectors import contract_schedule, evaluate_clauses
from internships.choices import ReportStatus
from internships.demo import seed_demo
from internships.models import PlacementReport, PlacementRow
from procurement.models import Contractor, Procurement

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
    for metric in Metric.values:
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
    assert officer and manager and first and second
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
