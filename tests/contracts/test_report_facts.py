"""Issue 14 point 5: foreign-born women (gender and born abroad, falling back to the target group)
and the breakdowns by employment type, gender and age band on the dashboard and in the annual
report, reconciled with the engine and with a brute-force count over hand-made rows that hold
every combination of gender, born abroad and target group. Dialogue clauses shown without a
target."""

from __future__ import annotations

import io
import itertools
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

import openpyxl
import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from contracts import annual_output
from contracts.annual import _decimal, _sum, annual_report
from contracts.benchmarks import contract_benchmark
from contracts.choices import ClauseStatus, Forecast, Metric
from contracts.compliance import Evaluation, round_half_up
from contracts.dashboard import ClauseLine, _lines, _rankings, dashboard_build
from contracts.models import Contract, TargetGroup
from contracts.selectors import ClauseEvaluation
from contracts.totals import clause_group_totals, clause_totals, facts_key, facts_of
from internships.choices import AgeBand, BornAbroad, EmploymentType, Gender, ReportStatus
from internships.counting import counts_as_reported, counts_as_verified
from internships.models import PlacementRow
from internships.selectors import (
    foreign_born_women_q,
    foreign_born_women_sql,
    is_foreign_born_woman,
)
from tests.factories import ContractFactory, ReportFactory, RowFactory, SocialClauseFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("compiled_catalogue")]

YEAR = 2025
TODAY = date(2026, 2, 1)
MIN_WEEKS = 4
GROUPS = ("foreign_born_women", "youth")


def test_the_definition_of_foreign_born_women_as_written_in_the_spec():
    # DESIGN §10.1, written out case by case: woman and born abroad, whatever the group; and
    # the group foreign_born_women only where neither gender nor born abroad is told.
    expected_true = {
        ("woman", "yes", "youth"),
        ("woman", "yes", "foreign_born_women"),
        ("woman", "yes", None),
        ("undisclosed", "undisclosed", "foreign_born_women"),
    }
    for gender, born, group in itertools.product(Gender.values, BornAbroad.values, (*GROUPS, None)):
        assert is_foreign_born_woman(gender, born, group) == (
            (gender, born, group) in expected_true
        )
    # Told facts win over the group: a man of the group, or a woman born in Sweden, is not one.
    assert not is_foreign_born_woman("man", "undisclosed", "foreign_born_women")
    assert not is_foreign_born_woman("woman", "no", "foreign_born_women")
    assert not is_foreign_born_woman("woman", "undisclosed", "foreign_born_women")


def _every_combination(contract: Contract) -> list[PlacementRow]:
    """Rows of every gender × born abroad × target group, in reports of every status; employment
    types and age bands cycle through their choices. Returns every row made."""
    groups = {g.code: g for g in TargetGroup.objects.filter(code__in=GROUPS)}
    periods = contract.reporting_periods()
    statuses = [
        ReportStatus.APPROVED,
        ReportStatus.SUBMITTED,
        ReportStatus.DRAFT,
        ReportStatus.REJECTED,
    ]
    types, ages = EmploymentType.values, AgeBand.values
    rows = []
    n = 0
    for index, status in enumerate(statuses):
        period = periods[index]
        report = ReportFactory(
            contract=contract,
            period_start=period.start,
            period_end=period.end,
            status=status,
        )
        for gender, born, group in itertools.product(Gender.values, BornAbroad.values, GROUPS):
            n += 1
            # Some rows shorter than the minimum weeks (they add weeks and hours, no placement).
            length = 10 if n % 5 == 0 else (period.end - period.start).days
            rows.append(
                RowFactory(
                    report=report,
                    participant_ref=f"P{n:03d}",
                    target_group=groups[group],
                    gender=gender,
                    born_abroad=born,
                    employment_type=types[n % len(types)],
                    age_band=ages[n % len(ages)],
                    start_date=period.start,
                    end_date=period.start + timedelta(days=length),
                    hours=Decimal(37) + Decimal(n) / 4,
                )
            )
    # One participant in two counted reports: first of the group (neither fact told), then
    # not: a foreign-born woman by their first row.
    for index, group in ((0, "foreign_born_women"), (1, "youth")):
        report = contract.reports.get(period_start=periods[index].start)
        rows.append(
            RowFactory(
                report=report,
                participant_ref="TWICE",
                target_group=groups[group],
                employment_type=EmploymentType.APPRENTICESHIP,
                age_band=AgeBand.AGE_16_24,
                hours=Decimal(100),
            )
        )
    return rows


@pytest.fixture
def combinations():
    contract = ContractFactory(start_date=date(YEAR, 1, 1), end_date=date(YEAR, 12, 31))
    for metric in (Metric.PLACEMENTS, Metric.PLACEMENT_WEEKS, Metric.HOURS):
        SocialClauseFactory(
            contract=contract,
            metric=metric,
            target=Decimal(500),
            min_placement_weeks=Decimal(MIN_WEEKS),
        )
    return contract, _every_combination(contract)


def test_the_q_the_sql_and_the_predicate_agree_on_every_row(combinations):
    _contract, rows = combinations
    by_predicate = {
        row.pk
        for row in rows
        if is_foreign_born_woman(row.gender, row.born_abroad, row.target_group.code)
    }
    assert by_predicate  # the data holds some of each
    assert set(
        PlacementRow.objects.filter(foreign_born_women_q()).values_list("pk", flat=True)
    ) == (by_predicate)
    group = TargetGroup.objects.get(code="foreign_born_women").pk
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT r.id FROM internships_placementrow r WHERE "  # noqa: S608 - our constants
            + foreign_born_women_sql("r", "group"),
            {"group": group},
        )
        assert {pk for (pk,) in cursor} == by_predicate
    # Through a relation (the prefix).
    assert set(
        PlacementRow.objects.filter(report__rows__in=by_predicate)
        .filter(foreign_born_women_q("report__rows__"))
        .values_list("report__rows", flat=True)
    ) == (by_predicate)


def _brute_force(rows: list[PlacementRow]) -> dict:
    """The year's delivery per metric, per fact value and for foreign-born women, counted row by
    row in Python: ``(metric, key) → [delivered, approved]``. Keys: ``("all",)``,
    ``("fbw",)``, ``("employment_type", code)``, ``("gender", code)``, ``("age_band", code)``.
    A participant of the placements clause counts once, under the least of their counted rows'
    ``(not a foreign-born woman, employment type, gender, age band)``, each fact in the order
    of its choices."""
    result: dict = defaultdict(lambda: [Fraction(0), Fraction(0)])
    people: dict[str, list] = defaultdict(list)

    def add(metric, facts, fbw, reported, verified):
        keys = [("all",), ("employment_type", facts[0]), ("gender", facts[1])]
        keys += [("age_band", facts[2])] + ([("fbw",)] if fbw else [])
        for key in keys:
            result[(metric, key)][0] += reported
            result[(metric, key)][1] += verified

    for row in rows:
        status = row.report.status
        if not counts_as_reported(status, False):
            continue
        approved = counts_as_verified(status, False)
        fbw = is_foreign_born_woman(row.gender, row.born_abroad, row.target_group.code)
        facts = (row.employment_type, row.gender, row.age_band)
        days = (row.end_date - row.start_date).days + 1  # every row lies inside the year
        add(Metric.PLACEMENT_WEEKS, facts, fbw, Fraction(days, 7), Fraction(days, 7) * approved)
        add(Metric.HOURS, facts, fbw, Fraction(row.hours), Fraction(row.hours) * approved)
        order = (
            EmploymentType.values.index(row.employment_type),
            Gender.values.index(row.gender),
            AgeBand.values.index(row.age_band),
        )
        people[row.participant_ref].append(((not fbw, *order), (fbw, *facts), days, approved))
    for own in people.values():
        _order, (fbw, *facts) = min((entry[0], entry[1]) for entry in own)
        reported = sum(entry[2] for entry in own) >= 7 * MIN_WEEKS
        verified = sum(entry[2] for entry in own if entry[3]) >= 7 * MIN_WEEKS
        add(Metric.PLACEMENTS, facts, fbw, Fraction(reported), Fraction(verified))
    return result


def test_a_facts_key_reads_back_and_orders_foreign_born_women_first():
    combos = list(
        itertools.product((True, False), EmploymentType.values, Gender.values, AgeBand.values)
    )
    keys = [facts_key(*combo) for combo in combos]
    assert len(set(keys)) == len(combos)
    assert [facts_of(key) for key in keys] == combos
    assert max(facts_key(True, *c[1:]) for c in combos) < min(
        facts_key(False, *c[1:]) for c in combos
    )


def test_the_facts_split_adds_up_to_the_engines_totals(combinations):
    contract, _rows = combinations
    contracts = Contract.objects.filter(pk=contract.pk)
    as_of = date(YEAR, 12, 31)
    totals = clause_totals(contracts, as_of=as_of)
    split = clause_group_totals(contracts, as_of=as_of, by="facts")
    assert split.clauses == totals
    for clause_id, total in totals.items():
        parts = [v for (c, _key), v in split.groups.items() if c == clause_id]
        assert sum((p.reported for p in parts), Fraction(0)) == total.reported
        assert sum((p.verified for p in parts), Fraction(0)) == total.verified


def test_the_annual_report_counts_as_a_brute_force_count_over_the_rows(combinations):
    _contract, rows = combinations
    expected = _brute_force(rows)
    report = annual_report(year=YEAR, today=TODAY)
    metrics = (Metric.PLACEMENTS, Metric.PLACEMENT_WEEKS, Metric.HOURS)

    fbw = report.foreign_born_women.set_index("metric")
    for metric in metrics:
        part, whole = expected[(metric, ("fbw",))][0], expected[(metric, ("all",))][0]
        assert part and part < whole
        line = fbw.loc[metric]
        assert (line["delivered"], line["all_groups"]) == (_decimal(part), _decimal(whole))
        assert line["share_pct"] == round_half_up(part * 100 / whole, 1)
    by_metric = report.by_metric.set_index("metric")
    for table, column, codes in (
        (report.by_employment_type, "employment_type", EmploymentType.values),
        (report.by_gender, "gender", Gender.values),
        (report.by_age_band, "age_band", AgeBand.values),
    ):
        lines = {(line[column], line["metric"]): line for line in table.to_dict("records")}
        for metric in metrics:
            for code in codes:
                delivered, approved = expected[(metric, (column, code))]
                line = lines.get((code, metric))
                if line is None:  # nothing of that value at all
                    assert delivered == approved == 0
                    continue
                assert (line["delivered"], line["approved"]) == (
                    _decimal(delivered),
                    _decimal(approved),
                ), (column, code, metric)
            # Reconciled with the engine: the values of a fact add up to the metric's delivery.
            engine = by_metric.loc[metric]
            assert engine["delivered"] == _decimal(expected[(metric, ("all",))][0])
            assert engine["approved"] == _decimal(expected[(metric, ("all",))][1])
        # "not told" is shown as a line of its own (the data has undisclosed rows).
        if "undisclosed" in codes:
            assert "undisclosed" in set(table[column])
    # The year-over-year share is the placements line's.
    yoy = report.year_over_year.set_index("figure")
    assert yoy.loc["foreign_born_women_pct", "this_year"] == fbw.loc["placements", "share_pct"]


def test_the_dashboard_counts_as_a_brute_force_count_over_the_rows(combinations):
    contract, rows = combinations
    counted = [row for row in rows if counts_as_reported(row.report.status, False)]
    board = dashboard_build(
        user=None,
        contracts=Contract.objects.filter(pk=contract.pk),
        year=YEAR,
        today=TODAY,
    )
    assert board.participants == len({row.participant_ref for row in counted})
    fbw = {
        row.participant_ref
        for row in counted
        if is_foreign_born_woman(row.gender, row.born_abroad, row.target_group.code)
    }
    assert "TWICE" in fbw and board.participants_fbw == len(fbw)
    for fact, choices in (
        ("employment_type", EmploymentType),
        ("gender", Gender),
        ("age_band", AgeBand),
    ):
        brute = [
            (code, len({row.participant_ref for row in counted if getattr(row, fact) == code}))
            for code in choices.values
        ]
        assert board.by_fact[fact] == brute


def _evaluation(status: str, *, target, expected, metric=Metric.PLACEMENTS) -> Evaluation:
    return Evaluation(
        as_of=date(YEAR, 6, 30),
        metric=metric,
        target=target,
        expected=expected,
        reported=Decimal(3),
        verified=Decimal(2),
        shortfall=None if target is None else target - Decimal(3),
        status=status,
        projected_total=Decimal(3),
        penalty_sek=Decimal(0),
        forecast=Forecast.UNKNOWN,
        forecast_date=None,
    )


def test_a_dialogue_clause_is_shown_without_target_and_never_counted_as_behind():
    """The agreed shape of a dialogue clause's evaluation (status dialogue, no target, expected
    or shortfall) through the dashboard's lists, rankings and benchmarks."""
    contract = ContractFactory(start_date=date(YEAR, 1, 1), end_date=date(YEAR, 12, 31))
    numeric = SocialClauseFactory(contract=contract, target=Decimal(10))
    dialogue = SocialClauseFactory(contract=contract, kind="dialogue", target=None)
    items = [
        ClauseEvaluation(
            numeric,
            _evaluation(ClauseStatus.BEHIND, target=Decimal(10), expected=Decimal(5)),
        ),
        ClauseEvaluation(dialogue, _evaluation(ClauseStatus.DIALOGUE, target=None, expected=None)),
    ]
    (ranking,) = _rankings(Contract.objects.filter(pk=contract.pk), items)
    assert (ranking.on_course, ranking.started, ranking.expected) == (0, 1, Decimal(5))

    class Board:
        evaluations = items
        overdue = []

    lines, _overdue = _lines(Board)
    by_id = {line.clause_id: line for line in lines}
    assert by_id[numeric.pk].attention and not by_id[dialogue.pk].attention
    html = render_to_string("dashboard/_clause_row.html", {"line": by_id[dialogue.pk]})
    assert html.count(">–</td>") == 2  # target and expected
    benchmark = contract_benchmark(
        contract_id=contract.pk, value_sek=contract.value_sek, evaluations=items, bands=[]
    )
    placements = next(m for m in benchmark.metrics if m.metric == Metric.PLACEMENTS)
    assert placements.target == Decimal(10)  # the dialogue clause adds no target
    assert isinstance(by_id[dialogue.pk], ClauseLine)


def test_sums_of_the_annual_report_skip_a_dialogue_clauses_missing_figures():
    assert _sum([Decimal(2), None, Fraction(1, 3)]) == Fraction(7, 3)
    assert _sum([None, None]) is None
    assert _sum([]) == Decimal(0)


def test_the_breakdowns_in_the_workbook_the_page_and_the_api_in_swedish(
    combinations, manager, client
):
    from rest_framework.test import APIClient

    report = annual_report(year=YEAR, today=TODAY)
    keys = {key for key, _title, _frame in report.tables()}
    assert {"by_employment_type", "by_gender", "by_age_band"} <= keys
    with translation.override("sv"):
        book = openpyxl.load_workbook(io.BytesIO(annual_output.render_xlsx(report)))
        text = " ".join(
            str(cell.value)
            for sheet in book.worksheets
            for row in sheet.iter_rows()
            for cell in row
            if cell.value is not None
        )
        for words in ("anställningsform", "kön", "åldersgrupp", "ej uppgivet", "kvinna"):
            assert words in text.lower(), words
    client.force_login(manager)
    url = reverse("dashboard:annual", args=[YEAR])
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="sv").content.decode()
    for heading in ("Per anställningsform", "Per kön", "Per åldersgrupp", "Utrikesfödda kvinnor"):
        assert f">{heading}</h2>" in page, heading
    assert "ej uppgivet" in page and "lärling" in page
    api = APIClient()
    api.force_authenticate(manager)
    body = api.get(
        "/api/v1/analytics/annual/",
        {"year": YEAR, "tables": "by_gender,foreign_born_women"},
        HTTP_ACCEPT_LANGUAGE="sv",
    ).json()
    assert set(body["tables"]) == {"by_gender", "foreign_born_women"}
    rows = body["tables"]["by_gender"]["rows"]
    line = next(r for r in rows if r["gender"] == "woman" and r["metric"] == "hours")
    frame = report.by_gender
    expected = frame[(frame["gender"] == "woman") & (frame["metric"] == "hours")]
    assert Decimal(line["delivered"]) == expected["delivered"].iloc[0]
