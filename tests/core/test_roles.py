"""The one module that tells roles apart (core.roles, docs/RULES.md §6), and that no other module
asks the groups or the membership itself (issue 12, point 3)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.contrib.auth.models import AnonymousUser

from core import roles
from tests.factories import ContractorFactory, ContractorUserFactory, UserFactory

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


def test_contractor_predicates_tell_own_from_other_contractor(officer):
    own, other = ContractorFactory(), ContractorFactory()
    user = ContractorUserFactory(username="bygg-anna", contractor=own)
    admin = UserFactory(username="root", is_superuser=True)

    assert roles.is_contractor_user(user) and not roles.is_contractor_user(officer)
    assert roles.is_contractor_user_of(user, own.pk)
    assert not roles.is_contractor_user_of(user, other.pk)
    assert roles.acts_for_contractor(user, own.pk) and not roles.acts_for_contractor(user, other.pk)
    assert roles.acts_for_contractor(admin, other.pk)  # a superuser may act for anyone
    assert not roles.acts_for_contractor(officer, own.pk)
    assert roles.writes_reports(user) and roles.writes_reports(admin)
    assert not roles.writes_reports(officer)
    anonymous = AnonymousUser()
    assert not roles.writes_reports(anonymous)
    assert not roles.acts_for_contractor(anonymous, own.pk)


def test_members_of_a_role_are_its_active_users(officer, manager):
    UserFactory(username="gone", groups=["managers"], is_active=False)
    assert list(roles.members_of(roles.MANAGERS)) == [manager]
    assert list(roles.members_of(roles.OFFICERS)) == [officer]


def test_users_of_a_contractor_are_its_active_users_only():
    own, other = ContractorFactory(), ContractorFactory()
    anna = ContractorUserFactory(username="bygg-anna", contractor=own)
    ContractorUserFactory(username="bygg-gone", contractor=own, is_active=False)
    ContractorUserFactory(username="annan-firma", contractor=other)
    assert list(roles.users_of_contractor(own.pk)) == [anna]


#: Asking the groups or the membership directly: only core/roles.py may.
ROLE_CHECK = re.compile(
    r"\.groups\.(filter|values_list|exists)|(contractor|matcher)_membership(\b|__)"
)
ALLOWED = {
    "core/roles.py",
    "internships/demo.py",
    "procurement/models.py",
}  # the model, the seed data


def test_no_module_outside_core_roles_checks_roles_itself():
    offenders = []
    for path in ROOT.glob("*/**/*.py"):
        relative = path.relative_to(ROOT).as_posix()
        if relative.split("/")[0] in {"tests", "bench", ".venv", "var"} or "migrations" in relative:
            continue
        if relative in ALLOWED:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if ROLE_CHECK.search(line):
                offenders.append(f"{relative}:{number}: {line.strip()}")
    assert offenders == []


def test_report_services_refuse_another_contractors_user():
    from django.core.exceptions import PermissionDenied

    from internships import services
    from internships.choices import ReportStatus
    from tests.factories import ContractFactory, ReportFactory

    contract = ContractFactory()
    stranger = ContractorUserFactory(username="annan-firma")
    draft = ReportFactory(contract=contract)
    approved = ReportFactory(
        contract=contract,
        period_start=contract.reporting_periods()[1].start,
        period_end=contract.reporting_periods()[1].end,
        status=ReportStatus.APPROVED,
    )
    calls = [
        lambda: services.report_save(report=draft, rows=[], user=stranger),
        lambda: services.report_submit(report=draft, user=stranger),
        lambda: services.report_delete(report=draft, user=stranger),
        lambda: services.report_correct(report=approved, user=stranger, reason="x"),
    ]
    for call in calls:
        with pytest.raises(PermissionDenied):
            call()
    draft.refresh_from_db()
    assert draft.status == ReportStatus.DRAFT
    assert not draft.__class__.objects.filter(corrects=approved).exists()
