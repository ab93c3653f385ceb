"""Benchmarks per contract value (issue 7): what a contract targets and delivers per MSEK, against
the benchmark band for its size.

A band (:class:`~contracts.models.BenchmarkBand`) runs from its ``from_msek`` up to the next
band's and gives a realistic low–high range of placements and placement weeks per MSEK. A
contract's figures come from its clauses as the compliance engine evaluates them: targets, what
is reported so far and the projection at the pace so far, per metric, divided by the contract's
value in MSEK. One rule, used by the annual report, the contract page and the API.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

from .choices import Metric
from .models import BenchmarkBand
from .selectors import ClauseEvaluation

MSEK = Decimal(1_000_000)
#: The metrics that have a benchmark, and the band fields of their low and high rate.
BENCHMARKED = {
    Metric.PLACEMENTS.value: ("placements_low", "placements_high"),
    Metric.PLACEMENT_WEEKS.value: ("weeks_low", "weeks_high"),
}
BELOW, WITHIN, ABOVE = "below", "within", "above"
VERDICTS = {BELOW: _("below the band"), WITHIN: _("within the band"), ABOVE: _("above the band")}


@dataclass(frozen=True)
class MetricBenchmark:
    """One metric of one contract against its band (rates per MSEK; ``None`` when unknown)."""

    metric: str
    target: Decimal | None  # the sum of the contract's clause targets of this metric
    reported: Decimal | None
    band_low: Decimal | None  # the band's rate × the contract's value: a realistic target
    band_high: Decimal | None
    target_per_msek: Decimal | None
    reported_per_msek: Decimal | None
    projected_per_msek: Decimal | None
    verdict: str | None  # where the target lies against the band

    @property
    def verdict_label(self) -> str:
        return str(VERDICTS[self.verdict]) if self.verdict else ""


@dataclass(frozen=True)
class ContractBenchmark:
    """A contract's figures per MSEK against the band for its value."""

    contract_id: int
    value_msek: Decimal
    band: BenchmarkBand | None
    metrics: tuple[MetricBenchmark, ...]


def per_msek_text(value: Decimal | None) -> str:
    """A rate per MSEK as people read it, in the active language: two decimals ("0,06"), as the
    rates are computed; one decimal would show most rates of a large contract as "0,0"."""
    return "–" if value is None else number_format(value, decimal_pos=2, use_l10n=True)


def bands_all() -> list[BenchmarkBand]:
    """The bands, lowest first (one query)."""
    return list(BenchmarkBand.objects.order_by("from_msek"))


def band_for(value_msek: Decimal, bands: Sequence[BenchmarkBand]) -> BenchmarkBand | None:
    """The band a contract of ``value_msek`` falls in; ``bands`` sorted by ``from_msek``."""
    index = bisect_right([band.from_msek for band in bands], value_msek) - 1
    return bands[index] if index >= 0 else None


def _per(value: Decimal | None, msek: Decimal) -> Decimal | None:
    if value is None or not msek:
        return None
    return (value / msek).quantize(Decimal("0.01"))


def contract_benchmark(
    *,
    contract_id: int,
    value_sek: Decimal | None,
    evaluations: Iterable[ClauseEvaluation],
    bands: Sequence[BenchmarkBand],
) -> ContractBenchmark:
    """The benchmark of one contract from the engine's evaluations of its clauses."""
    msek = Decimal(value_sek or 0) / MSEK
    band = band_for(msek, bands)
    sums: dict[str, list[Decimal]] = {}
    for item in evaluations:
        # A dialogue clause has no target: it is not benchmarked.
        if item.evaluation.metric in BENCHMARKED and item.evaluation.target is not None:
            total = sums.setdefault(item.evaluation.metric, [Decimal(0)] * 3)
            total[0] += item.evaluation.target
            total[1] += item.evaluation.reported
            total[2] += item.evaluation.projected_total
    metrics = []
    for metric, (low_field, high_field) in BENCHMARKED.items():
        target, reported, projected = sums.get(metric, (None, None, None))
        low = getattr(band, low_field) if band else None
        high = getattr(band, high_field) if band else None
        target_rate = _per(target, msek)
        verdict = None
        if target_rate is not None and band is not None:
            verdict = BELOW if target_rate < low else ABOVE if target_rate > high else WITHIN
        metrics.append(
            MetricBenchmark(
                metric=metric,
                target=target,
                reported=reported,
                band_low=(low * msek).quantize(Decimal("0.1")) if band else None,
                band_high=(high * msek).quantize(Decimal("0.1")) if band else None,
                target_per_msek=target_rate,
                reported_per_msek=_per(reported, msek),
                projected_per_msek=_per(projected, msek),
                verdict=verdict,
            )
        )
    return ContractBenchmark(
        contract_id=contract_id,
        value_msek=msek.quantize(Decimal("0.01")),
        band=band,
        metrics=tuple(metrics),
    )
