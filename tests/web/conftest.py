"""Fixtures of the web interface tests: a contractor with a contract and a clause."""

from __future__ import annotations

import os
import shutil
from datetime import date
from decimal import Decimal

import pytest

from contracts.choices import Metric
from tests.conftest import _unavailable
from tests.factories import (
    ContractFactory,
    ContractorFactory,
    ContractorUserFactory,
    SocialClauseFactory,
)
from tests.web.test_browser import CHROMIUM, CHROMIUM_ARGS, SHOTS


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium driven by Playwright (never a browser Playwright downloads)."""
    if not shutil.which(CHROMIUM):
        _unavailable(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    # Playwright's sync API runs an event loop in this thread; Django's ORM calls in the test
    # (not in the browser) are safe here.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def contractor(db):
    return ContractorFactory(name="Vätterbygg AB")


@pytest.fixture
def contractor_user(contractor):
    return ContractorUserFactory(username="bygg-anna", contractor=contractor)


@pytest.fixture
def contract(contractor):
    contract = ContractFactory(
        reference="K-2025-001",
        contractor=contractor,
        start_date=date(2025, 1, 1),
        end_date=date(2026, 12, 31),
    )
    SocialClauseFactory(contract=contract, metric=Metric.PLACEMENTS, target=Decimal(8))
    return contract


@pytest.fixture
def other_contract(db):
    return ContractFactory(reference="K-2025-999", start_date=date(2025, 1, 1))
