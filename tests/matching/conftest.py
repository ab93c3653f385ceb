"""A labour-market unit serving one contract, another unit serving another, and reports in
each status with rows (docs/RULES.md, the Swedish model)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from contracts.models import Contract
from internships.choices import ReportStatus
from internships.models import PlacementReport, PlacementRow
from procurement.models import LabourMarketUnit, LabourMarketUnitMembership
from tests.factories import (
    ContractFactory,
    ContractorUserFactory,
    ReportFactory,
    RowFactory,
    UserFactory,
)


@dataclass
class Unit:
    unit: LabourMarketUnit
    matcher: User
    contract: Contract
    contractor_user: User
    reports: dict[str, PlacementReport]
    rows: dict[str, list[PlacementRow]]


def make_unit(name: str, letter: str) -> Unit:
    unit = LabourMarketUnit.objects.create(name=name)
    matcher = UserFactory(username=f"matchare-{letter}")
    LabourMarketUnitMembership.objects.create(user=matcher, unit=unit)
    contract = ContractFactory(reference=f"K-MATCH-{letter}", matcher=unit)
    contractor_user = ContractorUserFactory(
        username=f"entreprenor-{letter}", contractor=contract.contractor
    )
    periods = contract.reporting_periods()
    reports, rows = {}, {}
    statuses = [
        ReportStatus.DRAFT,
        ReportStatus.SUBMITTED,
        ReportStatus.APPROVED,
        ReportStatus.REJECTED,
    ]
    for period, status in zip(periods, statuses, strict=False):
        report = ReportFactory(
            contract=contract, period_start=period.start, period_end=period.end, status=status
        )
        if status != ReportStatus.DRAFT:
            report.submitted_at = timezone.now() - timedelta(days=20)
            report.save(update_fields=["submitted_at"])
        reports[status] = report
        rows[status] = [
            RowFactory(report=report, participant_ref=f"{letter}-{status}-{i}", hours=Decimal(80))
            for i in range(2)
        ]
    return Unit(unit, matcher, contract, contractor_user, reports, rows)


@pytest.fixture
def units(db) -> dict[str, Unit]:
    return {"A": make_unit("Arbetsmarknadsenheten Jönköping", "A"), "B": make_unit("AF Väst", "B")}
