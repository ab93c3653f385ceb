"""Fixtures of the web interface tests: a contractor with a contract and a clause."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from contracts.choices import Metric
from tests.factories import (
    ContractFactory,
    ContractorFactory,
    ContractorUserFactory,
    SocialClauseFactory,
)


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
