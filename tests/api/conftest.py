"""Fixtures of the API tests: the demo data set, seeded once per module, and one client per role.

The demo is seeded inside a transaction that is held open for the whole module and rolled back at
its end; every test runs in a savepoint inside it (pytest-django's ``db``), so a test sees the
seeded data, may change anything, and leaves nothing behind for the next test or module.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.db import transaction
from django.test import override_settings
from knox.models import AuthToken
from rest_framework.test import APIClient

from contracts.choices import AlertKind
from contracts.models import (
    Alert,
    AlertNotification,
    ClauseMilestone,
    ClauseSnapshot,
    Contract,
    SocialClause,
    TargetGroup,
)
from contracts.services import compliance_run
from internships.choices import ReportStatus
from internships.demo import DEFAULT_PASSWORD, seed_demo
from internships.models import PlacementReport, PlacementRow, Referral
from procurement.models import (
    Contractor,
    ContractorMembership,
    District,
    LabourMarketUnit,
    LabourMarketUnitMembership,
    Procurement,
)
from tests.factories import ContractFactory, ProcurementFactory, ReportFactory, RowFactory

#: The day the demo data is made for: fixed, so figures and states do not move with the calendar.
DEMO_DAY = date(2026, 11, 28)
API = "/api/v1/"
#: The roles of docs/RULES.md §6, as the demo names its users.
CONTRACTOR_A, CONTRACTOR_B = "entreprenor1", "entreprenor2"
#: A matcher: a user of the labour-market unit that serves contractor A's matrix contract only.
MATCHER = "matcher"
ROLES = ("anonymous", CONTRACTOR_A, CONTRACTOR_B, "officer", "manager", "superuser", MATCHER)

# Throttle counters live in the cache: a cache of our own keeps tests from counting each other's
# requests (and never touches a Redis that REDIS_URL may point at).
TEST_CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "api-tests",
    }
}
# Checking a password with the production hasher costs ~0.3 s; these tests log in often.
FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@dataclass(frozen=True)
class Demo:
    """What the API tests need to know about the seeded data."""

    users: dict[str, User]  # by role; the superuser is "superuser" (username "admin")
    tokens: dict[str, str]  # by role: a raw API token
    contractor_a: Contractor
    contractor_b: Contractor


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker) -> Iterator[Demo]:
    """The demo data set plus a superuser, an API token per user and the alerts of a compliance
    run, committed to nothing: rolled back when the module's tests are done.

    The database is unblocked only to build and to roll back; tests reach it through ``db``.
    """
    with (
        django_db_blocker.unblock(),
        override_settings(PASSWORD_HASHERS=FAST_HASHERS, CACHES=TEST_CACHES),
    ):
        outer = transaction.atomic()
        outer.__enter__()
        try:
            seed_demo(today=DEMO_DAY)
            compliance_run(as_of=DEMO_DAY, contracts=Contract.objects.all())
            User.objects.create_superuser("admin", "admin@example.se", DEFAULT_PASSWORD)
            unit = LabourMarketUnit.objects.create(name="Matris arbetsmarknadsenhet")
            LabourMarketUnitMembership.objects.create(
                unit=unit,
                user=User.objects.create_user(MATCHER, "matchare@example.se", DEFAULT_PASSWORD),
            )
            users = {
                user.username: user
                for user in User.objects.filter(
                    username__in=[
                        CONTRACTOR_A,
                        CONTRACTOR_B,
                        "officer",
                        "manager",
                        "admin",
                        MATCHER,
                    ]
                ).select_related("contractor_membership__contractor")
            }
            users["superuser"] = users.pop("admin")
            tokens = {role: AuthToken.objects.create(user)[1] for role, user in users.items()}
            data = Demo(
                users=users,
                tokens=tokens,
                contractor_a=users[CONTRACTOR_A].contractor_membership.contractor,
                contractor_b=users[CONTRACTOR_B].contractor_membership.contractor,
            )
        except BaseException:
            outer.__exit__(*sys.exc_info())
            raise
    try:
        yield data
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture(autouse=True)
def _api_settings(settings) -> Iterator[None]:
    settings.CACHES = TEST_CACHES
    settings.PASSWORD_HASHERS = FAST_HASHERS
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def client_for(demo, db):
    """``client_for(role)``: an API client authenticated with that role's token (none for
    ``anonymous``)."""

    def make(role: str) -> APIClient:
        client = APIClient()
        if role != "anonymous":
            client.credentials(HTTP_AUTHORIZATION=f"Token {demo.tokens[role]}")
        return client

    return make


# --- Known objects of two contractors ----------------------------------------------------------


@dataclass
class Side:
    """One contractor's objects, each in a known state."""

    letter: str
    contractor: Contractor
    procurement: Procurement  # only this contractor has contracts in it
    contract: Contract  # quarterly, 2024-01-01 – 2025-12-31; has reports, so PROTECTed
    clause: SocialClause
    reports: dict[str, PlacementReport]  # one per status, in the first four periods
    alert: Alert  # an open report_overdue alert, which the contractor's users see
    free_periods: list[tuple[date, date]]  # periods of ``contract`` without a report
    referral: Referral | None = None  # a proposed referral (side A: by the matcher's unit)


@dataclass
class World:
    sides: dict[str, Side]
    district: District
    target_group: TargetGroup
    users: dict[str, User]
    tokens: dict[str, str]


def _side(letter: str, contractor: Contractor, officer: User) -> Side:
    procurement = ProcurementFactory(reference=f"VH-MATRIS-{letter}", officer=officer)
    contract = ContractFactory(
        reference=f"K-MATRIS-{letter}",
        procurement=procurement,
        contractor=contractor,
        start_date=date(2024, 1, 1),
        end_date=date(2025, 12, 31),
    )
    clause = SocialClause.objects.create(contract=contract, metric="hours", target=Decimal(500))
    periods = contract.reporting_periods()
    reports = {}
    first_statuses = [
        ReportStatus.DRAFT,
        ReportStatus.SUBMITTED,
        ReportStatus.APPROVED,
        ReportStatus.REJECTED,
    ]
    for period, status in zip(periods, first_statuses, strict=False):
        report = ReportFactory(
            contract=contract, period_start=period.start, period_end=period.end, status=status
        )
        RowFactory(report=report, hours=Decimal(40))
        reports[status] = report
    alert = Alert.objects.create(
        kind=AlertKind.REPORT_OVERDUE, contract=contract, period_start=periods[4].start
    )
    return Side(
        letter=letter,
        contractor=contractor,
        procurement=procurement,
        contract=contract,
        clause=clause,
        reports=reports,
        alert=alert,
        free_periods=[(period.start, period.end) for period in periods[len(reports) :]],
    )


@pytest.fixture(scope="module")
def world(demo, django_db_blocker) -> World:
    """Objects of contractors A and B in known states, added to the module's demo data (and
    rolled back with it)."""
    with django_db_blocker.unblock():
        officer = demo.users["officer"]
        sides = {
            "A": _side("A", demo.contractor_a, officer),
            "B": _side("B", demo.contractor_b, officer),
        }
        # The matcher's unit serves A's matrix contract; another unit serves B's. Each side has
        # a proposed referral from the unit that serves it.
        units = {
            "A": demo.users[MATCHER].matcher_membership.unit,
            "B": LabourMarketUnit.objects.create(name="Annan arbetsmarknadsenhet"),
        }
        for letter, side in sides.items():
            side.contract.matcher = units[letter]
            side.contract.save(update_fields=["matcher"])
            side.referral = Referral.objects.create(
                contract=side.contract,
                unit=units[letter],
                participant_ref=f"MATRIS-KANDIDAT-{letter}",
                target_group=TargetGroup.objects.get(code="youth"),
                proposed_start=date(2024, 3, 1),
            )
        return World(
            sides=sides,
            district=District.objects.order_by("name").first(),
            target_group=TargetGroup.objects.get(code="youth"),
            users=demo.users,
            tokens=demo.tokens,
        )


def database_state() -> dict[str, list]:
    """Every row of every table the API can write, to compare before and after a request."""
    models = [
        Contractor,
        ContractorMembership,
        Procurement,
        Contract,
        Contract.managers.through,
        SocialClause,
        SocialClause.target_groups.through,
        ClauseMilestone,
        ClauseSnapshot,
        PlacementReport,
        PlacementRow,
        Referral,
        Alert,
        AlertNotification,
        AuthToken,
        User,
    ]
    return {model._meta.label: list(model.objects.order_by("pk").values_list()) for model in models}
