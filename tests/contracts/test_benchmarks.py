"""Benchmarks per contract value (issue 7): which band a contract falls in and where its targets
lie against it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from contracts.benchmarks import band_for, bands_all, contract_benchmark
from contracts.choices import Metric
from contracts.models import BenchmarkBand, Contract
from contracts.selectors import evaluate_clauses
from tests.factories import ContractFactory, ReportFactory, RowFactory, SocialClauseFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def bands() -> list[BenchmarkBand]:
    BenchmarkBand.objects.all().delete()
    for start, p_low, p_high, w_low, w_high in [
        ("0", "0.20", "0.50", "4", "10"),
        ("10", "0.10", "0.30", "3", "6"),
        ("50", "0.05", "0.15", "2", "5"),
    ]:
        BenchmarkBand.objects.create(
            from_msek=Decimal(start),
            placements_low=Decimal(p_low),
            placements_high=Decimal(p_high),
            weeks_low=Decimal(w_low),
            weeks_high=Decimal(w_high),
        )
    return bands_all()


@pytest.mark.parametrize(
    ("msek", "band_from"),
    [
        ("0", "0"),
        ("9.99", "0"),
        ("10", "10"),  # a band starts at its own value
        ("49.9", "10"),
        ("50", "50"),
        ("5000", "50"),  # the last band is open-ended
    ],
)
def test_a_contract_falls_in_the_band_that_starts_at_or_below_its_value(bands, msek, band_from):
    assert band_for(Decimal(msek), bands).from_msek == Decimal(band_from)


def test_no_band_below_the_first_one(bands):
    BenchmarkBand.objects.filter(from_msek=0).delete()
    assert band_for(Decimal(5), bands_all()) is None


def _benchmark(contract: Contract):
    return contract_benchmark(
        contract_id=contract.pk,
        value_sek=contract.value_sek,
        evaluations=evaluate_clauses(
            as_of=date(2025, 6, 30), contracts=Contract.objects.filter(pk=contract.pk)
        ),
        bands=bands_all(),
    )


@pytest.mark.parametrize(
    ("target", "verdict"),
    [(Decimal(1), "below"), (Decimal(5), "within"), (Decimal(15), "within"), (16, "above")],
)
def test_the_target_per_msek_is_judged_against_the_band(bands, target, verdict):
    # 100 MSEK: the band from 50 suggests 5–15 placements and 200–500 placement weeks.
    contract = ContractFactory(value_sek=Decimal(100_000_000))
    SocialClauseFactory(contract=contract, metric=Metric.PLACEMENTS, target=target)

    placements, weeks = _benchmark(contract).metrics

    assert (placements.band_low, placements.band_high) == (Decimal("5.0"), Decimal("15.0"))
    assert placements.target_per_msek == (Decimal(target) / 100).quantize(Decimal("0.01"))
    assert placements.verdict == verdict
    # No placement-weeks clause: the band's suggestion is there, the contract's figures are not.
    assert (weeks.band_low, weeks.band_high) == (Decimal("200.0"), Decimal("500.0"))
    assert weeks.target is None and weeks.verdict is None and weeks.reported_per_msek is None


def test_reported_and_projected_per_msek_come_from_the_engine(bands):
    contract = ContractFactory(value_sek=Decimal(20_000_000))  # band from 10
    clause = SocialClauseFactory(contract=contract, metric=Metric.PLACEMENT_WEEKS, target=100)
    report = ReportFactory(contract=contract, status="approved")
    RowFactory.create_batch(2, report=report)  # 2 × 13 weeks in the first quarter of 2024

    (evaluation,) = evaluate_clauses(
        as_of=date(2025, 6, 30), contracts=Contract.objects.filter(pk=contract.pk)
    )
    _placements, weeks = _benchmark(contract).metrics

    assert evaluation.clause.id == clause.id
    assert weeks.reported == evaluation.evaluation.reported == Decimal("26.00")
    assert weeks.reported_per_msek == Decimal("1.30")
    assert weeks.projected_per_msek == (evaluation.evaluation.projected_total / 20).quantize(
        Decimal("0.01")
    )
    assert weeks.target_per_msek == Decimal("5.00") and weeks.verdict == "within"


def test_a_band_must_have_its_high_end_at_or_above_its_low_end(bands):
    band = BenchmarkBand(
        from_msek=Decimal(500),
        placements_low=Decimal("0.5"),
        placements_high=Decimal("0.4"),
        weeks_low=Decimal(1),
        weeks_high=Decimal(2),
    )
    with pytest.raises(ValidationError) as error:
        band.full_clean()
    assert set(error.value.message_dict) == {"placements_high"}
    with pytest.raises(IntegrityError), transaction.atomic():
        band.save()  # and the database refuses it too
    with pytest.raises(ValidationError):
        BenchmarkBand(
            from_msek=Decimal(10), placements_low=0, placements_high=1, weeks_low=0, weeks_high=1
        ).full_clean()  # one band per starting value


def test_the_migration_seeds_starting_bands():
    assert BenchmarkBand.objects.count() >= 4
    assert band_for(Decimal(0), bands_all()) is not None
