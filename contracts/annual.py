"""The annual integration report (issue 7): what a year's procurement delivered, reconciled with
the compliance engine.

Built with pandas from one set-based extraction over the contracts with social clauses that ran
in the year or the year before:

- the clauses' totals split by target group (:func:`contracts.totals.clause_group_totals`) at
  three dates: the end of the year (or today, for the current year), the end of the year before
  and the end of the year before that — two aggregate queries each;
- the compliance engine (:func:`contracts.selectors.evaluate_clauses`) at the same three dates,
  given those totals summed per clause, so expected, status and forecast are the engine's own;
- one query for the contracts, one for the bands, one for the reporting schedule (which report
  stands for each period and when it came: :func:`contracts.selectors.report_refs`, read by
  :func:`contracts.schedule.build_schedule`, as every schedule is).

"Delivered in the year" is the engine's reported total at the year's end minus the one at the end
of the year before, and the same for expected and approved: every figure here equals what the
engine gives for those dates (tests/contracts/test_annual.py proves it). Target-group figures are
exact fractions until they are shown; a participant of a placements clause counts in one group.

The breakdowns by employment type, gender and age band, and the foreign-born women (gender and
born abroad, falling back to the target group: :func:`internships.selectors.is_foreign_born_woman`),
come from the same totals split by the rows' facts (:data:`contracts.totals.SPLITS`): they add up
to the clauses' totals as the target groups do. A dialogue clause has no target or expected: it
adds to what was delivered, never to a target or an expected figure.
"""

from __future__ import annotations

import gc
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

import pandas as pd
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from internships.choices import AgeBand, EmploymentType, Gender

from .benchmarks import BENCHMARKED, MSEK, VERDICTS, bands_all, contract_benchmark
from .choices import ClauseStatus, Metric, PeriodState
from .compliance import round_half_up
from .models import MAX_REPORT_GRACE_DAYS, Contract, SocialClause, TargetGroup
from .schedule import Period, ReportRef, build_schedule, reporting_periods
from .selectors import ClauseEvaluation, evaluate_clauses, report_refs
from .totals import ClauseTotals, clause_group_totals, facts_of

FIGURES = ["target", "expected", "delivered", "approved"]
ON_COURSE = {ClauseStatus.MET.value, ClauseStatus.ON_TRACK.value}
REPORT_STATES = ["on_time", "late", "missing", "not_due"]
_CENT = Decimal("0.01")
#: Column prefix of each benchmarked metric in the benchmarks table.
_PREFIX = {metric: metric.split("_")[-1] for metric in BENCHMARKED}


def _decimal(value: Fraction | Decimal | int) -> Decimal:
    """An exact value rounded to 2 places, as the engine shows its figures."""
    return round_half_up(value)


def _share(part: Decimal | Fraction | int, whole: Decimal | Fraction | int) -> Decimal | None:
    """``part`` as a percentage of ``whole``, to one decimal; ``None`` when ``whole`` is 0."""
    if not whole:
        return None
    return round_half_up(Fraction(part) * 100 / Fraction(whole), 1)


@dataclass
class AnnualReport:
    """The tables of one year's report (pandas DataFrames) and its headline numbers."""

    year: int
    as_of: date
    contracts: int
    value_msek: Decimal
    clauses: pd.DataFrame  # one line per clause of a contract running in the year
    by_metric: pd.DataFrame
    by_district: pd.DataFrame
    by_target_group: pd.DataFrame
    by_employment_type: pd.DataFrame  # per employment type and metric: delivered, approved
    by_gender: pd.DataFrame
    by_age_band: pd.DataFrame
    foreign_born_women: pd.DataFrame  # per metric: delivered for them and their share
    by_contractor: pd.DataFrame
    by_status: pd.DataFrame
    reports: pd.DataFrame  # every report due in the year: on time, late, missing, not yet due
    reports_summary: pd.DataFrame
    year_over_year: pd.DataFrame
    benchmarks: pd.DataFrame  # per contract: targets and delivery per MSEK against the band
    benchmark_summary: pd.DataFrame  # per metric: contracts below, within and above their band

    def tables(self) -> list[tuple[str, str, pd.DataFrame]]:
        """``(key, translated title, frame)`` of every table, in the order they are shown."""
        return [
            ("year_over_year", _("Year over year"), self.year_over_year),
            ("by_metric", _("Delivered against expected"), self.by_metric),
            ("by_status", _("Clause status at year end"), self.by_status),
            ("by_district", _("Per district"), self.by_district),
            ("by_target_group", _("Per target group"), self.by_target_group),
            ("by_employment_type", _("Per employment type"), self.by_employment_type),
            ("by_gender", _("Per gender"), self.by_gender),
            ("by_age_band", _("Per age band"), self.by_age_band),
            ("foreign_born_women", _("Foreign-born women"), self.foreign_born_women),
            ("by_contractor", _("Per contractor"), self.by_contractor),
            ("reports_summary", _("Reports received"), self.reports_summary),
            ("benchmark_summary", _("Targets against the benchmark bands"), self.benchmark_summary),
            ("benchmarks", _("Benchmarks per MSEK"), self.benchmarks),
            ("clauses", _("Clauses"), self.clauses),
            ("reports", _("Reports due"), self.reports),
        ]


@dataclass(frozen=True)
class _Point:
    """The extraction at one date: the engine's evaluation of every clause and its totals
    split by target group."""

    evaluations: dict[int, ClauseEvaluation]
    groups: dict[tuple[int, int], ClauseTotals]
    totals: dict[int, ClauseTotals]  # the groups summed: the engine's exact totals
    #: The totals split by the rows' facts (:data:`contracts.totals.SPLITS`, ``facts``).
    facts: dict[tuple[int, int], ClauseTotals]

    def reported(self, clause_id: int) -> Fraction:
        total = self.totals.get(clause_id)
        return total.reported if total else Fraction(0)

    def verified(self, clause_id: int) -> Fraction:
        total = self.totals.get(clause_id)
        return total.verified if total else Fraction(0)


def _point(contracts: QuerySet[Contract], as_of: date) -> _Point:
    groups, totals = clause_group_totals(contracts, as_of=as_of)
    evaluations = evaluate_clauses(as_of=as_of, contracts=contracts, totals=totals)
    facts = clause_group_totals(contracts, as_of=as_of, by="facts").groups
    return _Point({item.clause.id: item for item in evaluations}, groups, totals, facts)


def _minus(now: Decimal | None, before: Decimal | None) -> Decimal | None:
    """A figure of the year from two cumulative ones; ``None`` (a dialogue clause has no
    expected) stays ``None``."""
    if now is None:
        return None
    return now - (before or 0)


def _clause_frame(
    info: dict[int, dict], now: _Point, before: _Point, earlier: _Point
) -> pd.DataFrame:
    """One line per clause: its year's figures and the year before's."""
    lines = []
    for clause_id, item in now.evaluations.items():
        contract = info[item.clause.contract_id]
        e = item.evaluation
        b = before.evaluations[clause_id].evaluation
        a = earlier.evaluations[clause_id].evaluation
        lines.append(
            {
                "clause": clause_id,
                "contract_id": item.clause.contract_id,
                "contract": contract["reference"],
                "district": contract["district"],
                "contractor": contract["contractor"],
                "value_msek": contract["value_msek"],
                "in_year": contract["in_year"],
                "in_previous_year": contract["in_previous_year"],
                "metric": e.metric,
                "status": e.status,
                "forecast": e.forecast,
                "forecast_date": e.forecast_date,
                "target": e.target,
                "expected": _minus(e.expected, b.expected),
                # Exact (Fractions) so that every breakdown adds up; rounded when shown.
                "delivered": now.reported(clause_id) - before.reported(clause_id),
                "approved": now.verified(clause_id) - before.verified(clause_id),
                "reported_to_date": e.reported,
                "previous_status": b.status,
                "previous_expected": _minus(b.expected, a.expected),
                "previous_delivered": before.reported(clause_id) - earlier.reported(clause_id),
                "previous_approved": before.verified(clause_id) - earlier.verified(clause_id),
            }
        )
    frame = pd.DataFrame(lines, columns=_CLAUSE_COLUMNS)
    frame["in_year"] = frame["in_year"].astype(bool)
    frame["in_previous_year"] = frame["in_previous_year"].astype(bool)
    return frame.sort_values(["contract", "clause"], ignore_index=True)


_CLAUSE_COLUMNS = [
    "clause",
    "contract_id",
    "contract",
    "district",
    "contractor",
    "value_msek",
    "in_year",
    "in_previous_year",
    "metric",
    "status",
    "forecast",
    "forecast_date",
    "target",
    "expected",
    "delivered",
    "approved",
    "reported_to_date",
    "previous_status",
    "previous_expected",
    "previous_delivered",
    "previous_approved",
]


def _grouped(frame: pd.DataFrame, by: list[str], figures: list[str] = FIGURES) -> pd.DataFrame:
    if frame.empty:
        return pd.DataFrame(columns=[*by, "clauses", *figures])
    grouped = frame.groupby(by, sort=True).agg(
        clauses=("clause", "count"), **{name: (name, _sum) for name in figures}
    )
    return _shown(grouped.reset_index())


def _sum(values: pd.Series) -> Fraction | Decimal | None:
    r"""An exact sum (pandas would turn objects it can into floats). Fractions are added as
    integer numerators per denominator, then one Fraction per denominator. ``None`` (a dialogue
    clause's target and expected) adds nothing; only ``None``\s sum to ``None``."""
    decimals, numerators = Decimal(0), defaultdict(int)
    told, untold = False, False
    for value in values:
        if _untold(value):
            untold = True
            continue
        told = True
        if isinstance(value, Fraction):
            numerators[value.denominator] += value.numerator
        else:
            decimals += value
    if untold and not told:
        return None
    if not numerators:
        return decimals
    return sum((Fraction(n, d) for d, n in numerators.items()), Fraction(decimals))


def _untold(value: object) -> bool:
    return value is None or (isinstance(value, float) and value != value)  # None or NaN


def _shown(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with its exact values rounded to 2 places, as the engine shows figures."""
    return frame.apply(
        lambda column: (
            column.map(lambda v: _decimal(v) if isinstance(v, Fraction) else v)
            if column.dtype == object
            else column
        )
    )


def _split_sums(
    now: dict[tuple[int, object], ClauseTotals],
    before: dict[tuple[int, object], ClauseTotals],
    clauses: pd.DataFrame,
) -> dict[tuple[object, str], list[Fraction]]:
    """Delivered and approved in the year per key of a split (``now`` less ``before``) and
    metric, exactly: ``(key, metric) → [delivered, approved]``."""
    metric_of = dict(zip(clauses["clause"], clauses["metric"], strict=True))
    # Numerators summed per denominator (integers), then one Fraction per denominator: exact,
    # without adding a Fraction per clause and group (most of the report's Python time).
    parts: dict[tuple[object, str, int], list[int]] = defaultdict(lambda: [0, 0])
    for split, sign in ((now, 1), (before, -1)):
        for (clause_id, group), value in split.items():
            metric = metric_of.get(clause_id)
            if metric is None:  # a clause of a contract that did not run in the year
                continue
            reported, verified = value.reported, value.verified
            parts[(group, metric, reported.denominator)][0] += sign * reported.numerator
            parts[(group, metric, verified.denominator)][1] += sign * verified.numerator
    sums: dict[tuple[object, str], list[Fraction]] = defaultdict(lambda: [Fraction(0)] * 2)
    for (group, metric, denominator), (reported, verified) in parts.items():
        total = sums[(group, metric)]
        total[0] += Fraction(reported, denominator)
        total[1] += Fraction(verified, denominator)
    return sums


def _group_frame(
    now: _Point, before: _Point, clauses: pd.DataFrame, names: dict[int, tuple[str, str]]
) -> pd.DataFrame:
    """Delivered and approved in the year per target group and metric (exact until shown)."""
    sums = _split_sums(now.groups, before.groups, clauses)
    lines = [
        {
            "target_group_code": names[group][0],
            "target_group": names[group][1],
            "metric": metric,
            "delivered": delivered,
            "approved": approved,
        }
        for (group, metric), (delivered, approved) in sums.items()
    ]
    columns = ["target_group_code", "target_group", "metric", "delivered", "approved"]
    frame = pd.DataFrame(lines, columns=columns).sort_values(
        ["target_group", "metric"], ignore_index=True
    )
    return frame


def _facts_frame(now: _Point, before: _Point, clauses: pd.DataFrame) -> pd.DataFrame:
    """Delivered and approved in the year per combination of the rows' facts and metric (exact
    until shown): ``foreign_born_woman`` (bool), ``employment_type``, ``gender``, ``age_band``."""
    sums = _split_sums(now.facts, before.facts, clauses)
    lines = []
    for (key, metric), (delivered, approved) in sums.items():
        fbw, employment_type, gender, age_band = facts_of(key)
        lines.append(
            {
                "foreign_born_woman": fbw,
                "employment_type": employment_type,
                "gender": gender,
                "age_band": age_band,
                "metric": metric,
                "delivered": delivered,
                "approved": approved,
            }
        )
    columns = [
        "foreign_born_woman",
        "employment_type",
        "gender",
        "age_band",
        "metric",
        "delivered",
        "approved",
    ]
    return pd.DataFrame(lines, columns=columns)


def _fact_table(facts: pd.DataFrame, column: str, codes: list[str]) -> pd.DataFrame:
    """Delivered and approved in the year per value of one fact (``column``) and metric, in the
    order of ``codes`` (its choices), "not told" included; shown rounded."""
    lines = []
    for code in codes:
        for metric in Metric.values:
            chosen = facts[(facts[column] == code) & (facts["metric"] == metric)]
            if chosen.empty:
                continue
            lines.append(
                {
                    column: code,
                    "metric": metric,
                    "delivered": _decimal(sum(chosen["delivered"], Fraction(0))),
                    "approved": _decimal(sum(chosen["approved"], Fraction(0))),
                }
            )
    return pd.DataFrame(lines, columns=[column, "metric", "delivered", "approved"])


def _foreign_born_women(facts: pd.DataFrame) -> pd.DataFrame:
    """Per metric: delivered in the year for foreign-born women, for everyone, and the share."""
    lines = []
    for metric in Metric.values:
        of_metric = facts[facts["metric"] == metric]
        if of_metric.empty:
            continue
        whole = sum(of_metric["delivered"], Fraction(0))
        part = sum(of_metric.loc[of_metric["foreign_born_woman"], "delivered"], Fraction(0))
        lines.append(
            {
                "metric": metric,
                "delivered": _decimal(part),
                "all_groups": _decimal(whole),
                "share_pct": _share(part, whole),
            }
        )
    return pd.DataFrame(lines, columns=["metric", "delivered", "all_groups", "share_pct"])


#: The annual report's state of a period due in the year, from its schedule state.
_REPORT_STATE = {
    PeriodState.OVERDUE: "missing",
    PeriodState.DUE_SOON: "not_due",
    PeriodState.UPCOMING: "not_due",
}


def _reports(
    schedules: list[tuple[int, str, list[Period]]],
    refs: dict[int, dict[date, ReportRef]],
    year: int,
    as_of: date,
) -> pd.DataFrame:
    """Every report due in ``year`` and when it came: on time, late, missing or not yet due.

    The reporting schedule as it stood on ``as_of`` (:func:`contracts.schedule.build_schedule`)
    decides: a received period came on time or late (its first report that was not sent back
    was submitted by or after the due date; a correction does not make it late), an overdue one
    is missing, and the others are not yet due.
    """
    lines = []
    for contract_id, reference, periods in schedules:
        due = [period for period in periods if period.due_date.year == year]
        if not due:
            continue
        for entry in build_schedule(
            due, reports=refs.get(contract_id, {}), as_of=as_of, as_it_stood=True
        ):
            if entry.state == PeriodState.RECEIVED:
                state = "late" if entry.late else "on_time"
            else:
                state = _REPORT_STATE[entry.state]
            lines.append(
                {
                    "contract": reference,
                    "period_start": entry.period_start,
                    "period_end": entry.period_end,
                    "due_date": entry.due_date,
                    "received": entry.received_on,
                    "state": state,
                }
            )
    columns = ["contract", "period_start", "period_end", "due_date", "received", "state"]
    frame = pd.DataFrame(lines, columns=columns)
    return frame.sort_values(["due_date", "contract"], ignore_index=True)


def _reports_summary(reports: pd.DataFrame) -> pd.DataFrame:
    counts = reports["state"].value_counts()
    due = int(sum(counts.get(state, 0) for state in ("on_time", "late", "missing")))
    lines = [
        {
            "state": state,
            "reports": int(counts.get(state, 0)),
            "share_pct": _share(int(counts.get(state, 0)), due) if state != "not_due" else None,
        }
        for state in REPORT_STATES
    ]
    return pd.DataFrame(lines, columns=["state", "reports", "share_pct"])


def _on_time_share(reports: pd.DataFrame) -> Decimal | None:
    due = reports[reports["state"] != "not_due"]
    return _share(int((due["state"] == "on_time").sum()), len(due))


def _contracts_value(info: dict[int, dict], flag: str) -> tuple[int, Decimal]:
    """How many of the contracts have ``flag`` (``in_year``, ``in_previous_year``), and their
    value in MSEK."""
    chosen = [c for c in info.values() if c[flag]]
    return len(chosen), sum((c["value_msek"] for c in chosen), Decimal(0))


def _year_over_year(
    clauses: pd.DataFrame,
    info: dict[int, dict],
    reports: tuple[pd.DataFrame, pd.DataFrame],
    fbw: tuple[Decimal | None, Decimal | None],
) -> pd.DataFrame:
    this = clauses[clauses["in_year"]]
    last = clauses[clauses["in_previous_year"]]
    n_now, v_now = _contracts_value(info, "in_year")
    n_then, v_then = _contracts_value(info, "in_previous_year")
    lines: list[tuple[str, str, object, object]] = [
        ("contracts", _("Contracts with social clauses"), n_now, n_then),
        ("value_msek", _("Contract value (MSEK)"), v_now.quantize(_CENT), v_then.quantize(_CENT)),
        ("clauses", _("Clauses"), len(this), len(last)),
        (
            "clauses_on_course",
            _("Clauses met or on track at year end"),
            int(this["status"].isin(ON_COURSE).sum()) if len(this) else 0,
            int(last["previous_status"].isin(ON_COURSE).sum()) if len(last) else 0,
        ),
    ]
    for metric in Metric:
        now = this[this["metric"] == metric.value] if len(this) else this
        then = last[last["metric"] == metric.value] if len(last) else last
        if not len(now) and not len(then):
            continue
        lines.append(
            (
                f"{metric.value}_delivered",
                _("%(metric)s delivered") % {"metric": str(metric.label).capitalize()},
                _decimal(sum(now["delivered"], Fraction(0))),
                _decimal(sum(then["previous_delivered"], Fraction(0))),
            )
        )
        # A dialogue clause expects nothing: its None adds nothing.
        lines.append(
            (
                f"{metric.value}_expected",
                _("%(metric)s expected") % {"metric": str(metric.label).capitalize()},
                sum((v for v in now["expected"] if not _untold(v)), Decimal(0)),
                sum((v for v in then["previous_expected"] if not _untold(v)), Decimal(0)),
            )
        )
    lines.append(
        (
            "reports_on_time_pct",
            _("Reports on time (%)"),
            _on_time_share(reports[0]),
            _on_time_share(reports[1]),
        )
    )
    lines.append(("foreign_born_women_pct", _("Placements: foreign-born women (%)"), *fbw))
    rows = []
    for key, label, now, then in lines:
        change = change_pct = None
        if now is not None and then is not None:
            change = now - then
            change_pct = _share(change, then) if then else None
        rows.append(
            {
                "figure": key,
                "label": label,
                "this_year": now,
                "previous_year": then,
                "change": change,
                "change_pct": change_pct,
            }
        )
    return pd.DataFrame(
        rows, columns=["figure", "label", "this_year", "previous_year", "change", "change_pct"]
    )


def _benchmarks(info: dict[int, dict], now: _Point) -> pd.DataFrame:
    bands = bands_all()
    by_contract: dict[int, list[ClauseEvaluation]] = defaultdict(list)
    for item in now.evaluations.values():
        by_contract[item.clause.contract_id].append(item)
    lines = []
    for contract_id, contract in sorted(info.items(), key=lambda pair: pair[1]["reference"]):
        if not contract["in_year"]:
            continue
        benchmark = contract_benchmark(
            contract_id=contract_id,
            value_sek=contract["value_sek"],
            evaluations=by_contract[contract_id],
            bands=bands,
        )
        line = {
            "contract": contract["reference"],
            "value_msek": benchmark.value_msek,
            "band": str(benchmark.band) if benchmark.band else None,
        }
        for item in benchmark.metrics:
            prefix = _PREFIX[item.metric]
            line |= {
                f"{prefix}_target": item.target,
                f"{prefix}_band_low": item.band_low,
                f"{prefix}_band_high": item.band_high,
                f"{prefix}_target_per_msek": item.target_per_msek,
                f"{prefix}_reported_per_msek": item.reported_per_msek,
                f"{prefix}_projected_per_msek": item.projected_per_msek,
                f"{prefix}_verdict": item.verdict,
            }
        lines.append(line)
    columns = ["contract", "value_msek", "band"] + [
        f"{prefix}_{name}"
        for prefix in _PREFIX.values()
        for name in (
            "target",
            "band_low",
            "band_high",
            "target_per_msek",
            "reported_per_msek",
            "projected_per_msek",
            "verdict",
        )
    ]
    return pd.DataFrame(lines, columns=columns)


def _benchmark_summary(benchmarks: pd.DataFrame) -> pd.DataFrame:
    """Per benchmarked metric and verdict: how many contracts, and their median rates."""
    lines = []
    for metric, prefix in _PREFIX.items():
        for verdict in VERDICTS:
            chosen = benchmarks[benchmarks[f"{prefix}_verdict"] == verdict]

            def median(column: str, chosen: pd.DataFrame = chosen) -> Decimal | None:
                values = sorted(v for v in chosen[column] if v is not None)
                if not values:
                    return None
                middle = len(values) // 2
                if len(values) % 2:
                    return values[middle]
                return ((values[middle - 1] + values[middle]) / 2).quantize(_CENT)

            lines.append(
                {
                    "metric": metric,
                    "verdict": verdict,
                    "contracts": len(chosen),
                    "median_target_per_msek": median(f"{prefix}_target_per_msek"),
                    "median_reported_per_msek": median(f"{prefix}_reported_per_msek"),
                }
            )
    columns = [
        "metric",
        "verdict",
        "contracts",
        "median_target_per_msek",
        "median_reported_per_msek",
    ]
    return pd.DataFrame(lines, columns=columns)


@contextmanager
def _without_cyclic_gc():
    """Pause the cyclic garbage collector: the report allocates a few million short-lived
    objects (Fractions, rows), and the collections they trigger, each scanning every live
    object, cost about a second at 10,000 contracts (docs/PERFORMANCE.md). Reference counting
    still frees them; cycles left behind are collected once it is back on."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def annual_report(
    *, year: int, today: date | None = None, contracts: QuerySet[Contract] | None = None
) -> AnnualReport:
    """The report for ``year`` over ``contracts`` (default: every contract running in it)."""
    with _without_cyclic_gc():
        return _annual_report(year=year, today=today, contracts=contracts)


def _annual_report(
    *, year: int, today: date | None, contracts: QuerySet[Contract] | None
) -> AnnualReport:
    today = today or timezone.localdate()
    as_of = min(today, date(year, 12, 31))
    previous_end, earlier_end = date(year - 1, 12, 31), date(year - 2, 12, 31)
    base = (contracts if contracts is not None else Contract.objects.all()).filter(
        pk__in=SocialClause.objects.values("contract_id")
    )
    # The contracts of this year and the last; and those that ended the year before that, whose
    # last report may fall due in the previous year.
    both = base.filter(start_date__lte=date(year, 12, 31), end_date__gte=date(year - 2, 1, 1))

    info: dict[int, dict] = {}
    schedules: list[tuple[int, str, list[Period]]] = []
    for row in both.values(
        "id",
        "reference",
        "district__name",
        "contractor__name",
        "value_sek",
        "start_date",
        "end_date",
        "reporting_frequency",
        "report_grace_days",
    ):
        start, end = row["start_date"], row["end_date"]
        info[row["id"]] = {
            "reference": row["reference"],
            "district": row["district__name"] or "–",
            "contractor": row["contractor__name"],
            "value_sek": row["value_sek"],
            "value_msek": (Decimal(row["value_sek"] or 0) / MSEK).quantize(_CENT),
            "in_year": start <= date(year, 12, 31) and end >= date(year, 1, 1),
            "in_previous_year": start <= previous_end and end >= date(year - 1, 1, 1),
        }
        periods = reporting_periods(
            start_date=start,
            end_date=end,
            frequency=row["reporting_frequency"],
            grace_days=row["report_grace_days"],
        )
        schedules.append((row["id"], row["reference"], periods))

    now = _point(both, as_of)
    before = _point(both, previous_end)
    earlier = _point(both, earlier_end)
    all_clauses = _clause_frame(info, now, before, earlier)
    clauses = all_clauses[all_clauses["in_year"]].reset_index(drop=True)

    names = {
        pk: (code, str(name))
        for pk, code, name in (
            (group.pk, group.code, group.name) for group in TargetGroup.objects.all()
        )
    }
    groups = _group_frame(now, before, clauses, names)
    last_clauses = all_clauses[all_clauses["in_previous_year"]]
    facts = _facts_frame(now, before, clauses)
    fbw = _foreign_born_women(facts)
    fbw_then = _foreign_born_women(_facts_frame(before, earlier, last_clauses))

    def placements_share(frame: pd.DataFrame) -> Decimal | None:
        line = frame[frame["metric"] == Metric.PLACEMENTS.value]
        return line["share_pct"].iloc[0] if len(line) else None

    # The report of each period that can fall due in the year or the year before (a period due
    # in a year starts in it or before; one due in the year before ends before its due date).
    refs = report_refs(
        both,
        period_starts=(
            date(year - 2, 1, 1) - timedelta(days=MAX_REPORT_GRACE_DAYS),
            date(year, 12, 31),
        ),
    )
    # A year's reports are those due in it, whichever year their contract ran in.
    reports = _reports(schedules, refs, year, as_of)
    reports_then = _reports(schedules, refs, year - 1, previous_end)

    groups_shown = groups.assign(
        delivered=groups["delivered"].map(_decimal), approved=groups["approved"].map(_decimal)
    )
    benchmarks = _benchmarks(info, now)
    contracts_in_year, value_in_year = _contracts_value(info, "in_year")
    shown = ["clause", "contract", "district", "contractor", "value_msek", "metric", "status"]
    clause_table = _shown(
        clauses[[*shown, "forecast", "forecast_date", *FIGURES, "reported_to_date"]]
    )
    return AnnualReport(
        year=year,
        as_of=as_of,
        contracts=contracts_in_year,
        value_msek=value_in_year,
        clauses=clause_table,
        by_metric=_grouped(clauses, ["metric"]),
        by_district=_grouped(clauses, ["district", "metric"]),
        by_target_group=groups_shown,
        by_employment_type=_fact_table(facts, "employment_type", EmploymentType.values),
        by_gender=_fact_table(facts, "gender", Gender.values),
        by_age_band=_fact_table(facts, "age_band", AgeBand.values),
        foreign_born_women=fbw,
        by_contractor=_grouped(clauses, ["contractor", "metric"]),
        by_status=_grouped(clauses, ["status"], figures=[]),
        reports=reports,
        reports_summary=_reports_summary(reports),
        year_over_year=_year_over_year(
            all_clauses,
            info,
            (reports, reports_then),
            (placements_share(fbw), placements_share(fbw_then)),
        ),
        benchmarks=benchmarks,
        benchmark_summary=_benchmark_summary(benchmarks),
    )
