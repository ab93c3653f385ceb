"""The engine's rules of the Swedish model (docs/RULES.md §7): the worked examples of the design
(§10.2), each option on its own, and the same through the database, the compliance run (snapshot,
alert) and the API."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from rest_framework.test import APIClient

from contracts.choices import AlertKind, AlertState, ClauseStatus, FirstStart, Metric
from contracts.compliance import (
    ClauseTerms,
    RowFact,
    RowReason,
    evaluate_clause,
    metric_total,
    row_verdicts,
)
from contracts.models import Alert, ClauseSnapshot, Contract
from contracts.selectors import evaluate_clauses
from contracts.services import compliance_run
from internships.choices import EmploymentType, ReportStatus, Verification
from internships.counting import REPORTED, VERIFIED
from internships.models import PlacementRow
from tests.factories import ContractFactory, ReportFactory, SocialClauseFactory, UserFactory

START = date(2024, 1, 1)
DUE = date(2024, 12, 31)
APPROVED = ReportStatus.APPROVED.value
SUBMITTED = ReportStatus.SUBMITTED.value


def terms(**overrides: object) -> ClauseTerms:
    values: dict[str, object] = {
        "metric": Metric.PLACEMENTS.value,
        "target": Decimal(10),
        "start_date": START,
        "due_date": DUE,
    }
    values.update(overrides)
    return ClauseTerms(**values)  # type: ignore[arg-type]


def row(start: date, end: date, **overrides: object) -> RowFact:
    values: dict[str, object] = {
        "participant_ref": "P1",
        "target_group": "youth",
        "start_date": start,
        "end_date": end,
        "hours": Decimal(0),
        "report_status": APPROVED,
    }
    values.update(overrides)
    return RowFact(**values)  # type: ignore[arg-type]


def weeks_from(start: date, weeks: int) -> tuple[date, date]:
    return start, start + timedelta(days=7 * weeks - 1)


# --- The worked examples of DESIGN §10.2 -------------------------------------------------------


def test_520_hours_at_40_hours_a_week_are_3_full_time_months() -> None:
    clause = terms(metric=Metric.FTE_MONTHS.value, target=Decimal(3))
    rows = [row(date(2024, 2, 1), date(2024, 4, 30), hours=Decimal(520))]

    assert metric_total(clause, rows, DUE, REPORTED) == 3
    evaluation = evaluate_clause(clause, rows, DUE)
    assert (evaluation.reported, evaluation.status) == (Decimal("3.00"), ClauseStatus.MET)
    # At 37.5 hours a week the same hours are more full-time months: 520 × 12 / (52 × 37.5).
    shorter = terms(metric=Metric.FTE_MONTHS.value, full_time_hours_per_week=Decimal("37.5"))
    assert metric_total(shorter, rows, DUE, REPORTED) == Fraction(16, 5)


def test_full_time_months_of_a_row_cut_by_the_window_are_pro_rated_like_its_hours() -> None:
    clause = terms(metric=Metric.FTE_MONTHS.value)
    # 520 hours over 10 days, 5 of them before the clause starts: 260 hours count.
    rows = [row(date(2023, 12, 27), date(2024, 1, 5), hours=Decimal(520))]
    assert metric_total(clause, rows, DUE, REPORTED) == Fraction(3, 2)


@pytest.mark.parametrize(
    ("as_of_day", "first_start"),
    [(169, "pending"), (170, "met"), (183, "met"), (400, "met")],
)
def test_an_offer_on_day_170_meets_a_183_day_first_start(as_of_day: int, first_start: str) -> None:
    clause = terms(first_start_within_days=183)
    # Offered on day 170, starting on day 200 (after the 183 days): the offer is what counts.
    offered = START + timedelta(days=170)
    rows = [row(START + timedelta(days=200), START + timedelta(days=260), offered_on=offered)]

    evaluation = evaluate_clause(clause, rows, START + timedelta(days=as_of_day))

    assert evaluation.first_start == first_start


@pytest.mark.parametrize(
    ("as_of_day", "first_start"),
    [(100, "pending"), (183, "pending"), (184, "missed")],
)
def test_without_a_start_or_offer_in_time_the_first_start_is_pending_then_missed(
    as_of_day: int, first_start: str
) -> None:
    clause = terms(first_start_within_days=183)
    late = row(START + timedelta(days=184), START + timedelta(days=250))

    assert evaluate_clause(clause, [late], START + timedelta(days=as_of_day)).first_start == (
        first_start
    )


def test_the_first_start_counts_only_rows_the_clause_counts() -> None:
    clause = terms(
        first_start_within_days=30,
        employment_types=frozenset({EmploymentType.EMPLOYMENT.value}),
        requires_matcher_confirmation=True,
    )
    early = (date(2024, 1, 10), date(2024, 3, 31))
    not_counted = [
        row(*early, employment_type=EmploymentType.INTERNSHIP.value),
        row(*early, employment_type="employment", verification=Verification.DISPUTED.value),
        row(*early, employment_type="employment", report_status=ReportStatus.DRAFT.value),
        row(date(2023, 6, 1), date(2023, 12, 31), employment_type="employment"),  # over before
    ]
    as_of = date(2024, 6, 1)
    assert evaluate_clause(clause, not_counted, as_of).first_start == FirstStart.MISSED
    # Submitted and unconfirmed is enough: the first start reads rows as reported.
    counted = row(*early, employment_type="employment", report_status=SUBMITTED)
    assert evaluate_clause(clause, [*not_counted, counted], as_of).first_start == FirstStart.MET
    # Without the option there is no first start at all.
    assert evaluate_clause(terms(), [counted], as_of).first_start is None


@pytest.mark.parametrize(("weeks", "counts"), [(5, True), (4, False)])
def test_a_participant_who_leaves_after_5_of_6_required_weeks_counts_after_4_does_not(
    weeks: int, counts: bool
) -> None:
    clause = terms(min_placement_weeks=Decimal(6))
    rows = [row(*weeks_from(date(2024, 3, 4), weeks), ended_by_participant=True)]

    assert metric_total(clause, rows, DUE, REPORTED) == (1 if counts else 0)
    verdict = row_verdicts(clause, rows, DUE)[0]
    assert verdict.counts is counts
    assert verdict.ended_early  # the reason shown either way
    # Without ended_by_participant, 5 weeks are under the minimum.
    plain = [row(*weeks_from(date(2024, 3, 4), weeks))]
    assert metric_total(clause, plain, DUE, REPORTED) == 0


def test_the_75_percent_rule_reads_the_participants_last_row_of_the_contract() -> None:
    clause = terms(min_placement_weeks=Decimal(8), target_groups=frozenset({"youth"}))
    # 6 weeks of youth rows; the last row (another group, so it adds no weeks) was not ended by
    # the participant, so the earlier row's "ended" does not count.
    first = row(*weeks_from(date(2024, 2, 5), 6), ended_by_participant=True)
    last = row(date(2024, 5, 1), date(2024, 5, 10), target_group="newly_arrived")
    assert metric_total(clause, [first, last], DUE, REPORTED) == 0
    ended_last = row(
        date(2024, 5, 1), date(2024, 5, 10), target_group="newly_arrived", ended_by_participant=True
    )
    assert metric_total(clause, [first, ended_last], DUE, REPORTED) == 1
    # Of two rows ending the same day, one ended by the participant is enough.
    same_day = row(date(2024, 5, 5), date(2024, 5, 10), target_group="other")
    assert metric_total(clause, [first, same_day, ended_last], DUE, REPORTED) == 1
    # A last row of a report that does not count is not the last row: a draft that was ended
    # by the participant leaves `last` as the last row.
    draft = row(
        date(2024, 6, 1),
        date(2024, 6, 2),
        ended_by_participant=True,
        report_status=ReportStatus.DRAFT.value,
    )
    assert metric_total(clause, [first, last, draft], DUE, REPORTED) == 0


def test_only_the_clauses_employment_types_count() -> None:
    clause = terms(
        metric=Metric.HOURS.value,
        employment_types=frozenset({"apprenticeship", "employment"}),
    )
    rows = [
        row(date(2024, 2, 1), date(2024, 2, 1), hours=Decimal(8), employment_type="internship"),
        row(date(2024, 2, 2), date(2024, 2, 2), hours=Decimal(5), employment_type="employment"),
        row(date(2024, 2, 3), date(2024, 2, 3), hours=Decimal(3), employment_type="apprenticeship"),
    ]
    assert metric_total(clause, rows, DUE, REPORTED) == 8
    assert [v.reason for v in row_verdicts(clause, rows, DUE)] == [
        RowReason.EMPLOYMENT_TYPE,
        RowReason.COUNTS,
        RowReason.COUNTS,
    ]


def test_with_the_matchers_confirmation_disputed_rows_count_nowhere_and_verified_is_confirmed():
    clause = terms(metric=Metric.HOURS.value, requires_matcher_confirmation=True)
    day = date(2024, 2, 1)
    rows = [
        row(day, day, hours=Decimal(1), verification="confirmed"),
        row(day, day, hours=Decimal(2), verification="unconfirmed"),
        row(day, day, hours=Decimal(4), verification="disputed"),
        row(day, day, hours=Decimal(8), verification="confirmed", report_status=SUBMITTED),
    ]
    assert metric_total(clause, rows, DUE, REPORTED) == 1 + 2 + 8
    assert metric_total(clause, rows, DUE, VERIFIED) == 1
    assert [v.reason for v in row_verdicts(clause, rows, DUE, VERIFIED)] == [
        RowReason.COUNTS,
        RowReason.NOT_CONFIRMED,
        RowReason.DISPUTED,
        RowReason.REPORT_NOT_COUNTED,
    ]
    # Without the option the matcher's word changes nothing (§4 unchanged).
    plain = terms(metric=Metric.HOURS.value)
    assert metric_total(plain, rows, DUE, REPORTED) == 15
    assert metric_total(plain, rows, DUE, VERIFIED) == 7


def test_a_dialogue_clause_is_followed_without_a_target() -> None:
    clause = terms(
        kind="dialogue",
        target=None,
        metric=Metric.PLACEMENT_WEEKS.value,
        first_start_within_days=10,
    )
    rows = [row(*weeks_from(date(2024, 2, 5), 3))]

    evaluation = evaluate_clause(clause, rows, date(2025, 6, 1))

    assert evaluation.status == ClauseStatus.DIALOGUE
    assert (evaluation.target, evaluation.expected, evaluation.shortfall) == (None, None, None)
    assert evaluation.reported == evaluation.verified == evaluation.projected_total == Decimal(3)
    assert evaluation.penalty_sek == Decimal("0.00")
    assert (evaluation.forecast, evaluation.forecast_date) == (None, None)
    assert evaluation.first_start == FirstStart.MISSED


def test_terms_refuse_a_dialogue_clause_with_a_target_and_a_numeric_one_without() -> None:
    with pytest.raises(ValueError, match="dialogue"):
        terms(kind="dialogue")
    with pytest.raises(ValueError, match="dialogue"):
        terms(target=None)


# --- Through the database, the compliance run and the API --------------------------------------


def _contract_with_rows(*rows: dict, status: str = ReportStatus.APPROVED) -> Contract:
    contract = ContractFactory(start_date=START, end_date=DUE)
    report = ReportFactory(
        contract=contract,
        period_start=date(2024, 1, 1),
        period_end=date(2024, 3, 31),
        status=status,
    )
    from contracts.models import TargetGroup

    youth = TargetGroup.objects.get(code="youth")
    for n, values in enumerate(rows):
        PlacementRow.objects.create(
            report=report,
            participant_ref=values.pop("participant_ref", f"P{n}"),
            target_group=youth,
            **values,
        )
    return contract


def _evaluations(contract: Contract, as_of: date) -> dict:
    return {
        item.clause.id: item.evaluation
        for item in evaluate_clauses(as_of=as_of, contracts=Contract.objects.filter(pk=contract.pk))
    }


@pytest.mark.django_db
def test_the_worked_examples_through_the_database() -> None:
    contract = _contract_with_rows(
        {"start_date": date(2024, 1, 8), "end_date": date(2024, 3, 29), "hours": Decimal(520)},
        # 5 of 6 weeks, ended by the participant; and 4 of 6.
        {
            "start_date": date(2024, 2, 5),
            "end_date": date(2024, 3, 10),
            "hours": 0,
            "ended_by_participant": True,
        },
        {
            "start_date": date(2024, 2, 5),
            "end_date": date(2024, 3, 3),
            "hours": 0,
            "ended_by_participant": True,
        },
        {
            "start_date": date(2024, 3, 1),
            "end_date": date(2024, 3, 31),
            "hours": 0,
            "offered_on": date(2024, 1, 5),
        },
    )
    fte = SocialClauseFactory(contract=contract, metric=Metric.FTE_MONTHS, target=3)
    placements = SocialClauseFactory(
        contract=contract, metric=Metric.PLACEMENTS, target=5, min_placement_weeks=6
    )
    first = SocialClauseFactory(
        contract=contract,
        metric=Metric.HOURS,
        target=1000,
        start_date=date(2024, 1, 2),
        first_start_within_days=5,
    )
    dialogue = SocialClauseFactory(
        contract=contract, kind="dialogue", target=None, metric=Metric.PLACEMENT_WEEKS
    )

    results = _evaluations(contract, DUE)

    assert results[fte.id].reported == Decimal("3.00")
    assert results[fte.id].status == ClauseStatus.MET
    # P0 (11.7 weeks) and P1 (5 weeks, ended by the participant) count; P2 (4 weeks, ended)
    # and P3 (4.4 weeks) do not.
    assert results[placements.id].reported == Decimal("2.00")
    # P0 started on Jan 8, 6 days after the clause start on Jan 2: too late; P3 was offered
    # its job on Jan 5, within the 5 days.
    assert results[first.id].first_start == FirstStart.MET
    assert results[dialogue.id].status == ClauseStatus.DIALOGUE
    assert results[dialogue.id].target is None
    assert results[fte.id].first_start is None


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_missed_first_start_raises_an_alert_that_a_later_reported_row_resolves() -> None:
    contract = _contract_with_rows(
        {"start_date": date(2024, 2, 1), "end_date": date(2024, 3, 31), "hours": 100}
    )
    clause = SocialClauseFactory(
        contract=contract, metric=Metric.HOURS, target=100000, first_start_within_days=14
    )
    dialogue = SocialClauseFactory(
        contract=contract,
        kind="dialogue",
        target=None,
        metric=Metric.HOURS,
        first_start_within_days=14,
    )
    contracts = Contract.objects.filter(pk=contract.pk)

    compliance_run(as_of=date(2024, 3, 1), contracts=contracts)
    compliance_run(as_of=date(2024, 3, 1), contracts=contracts)  # twice: still one alert

    alerts = Alert.objects.filter(kind=AlertKind.CLAUSE_FIRST_START_MISSED)
    assert list(alerts.values_list("clause_id", "state")) == [(clause.id, AlertState.OPEN)]
    assert not Alert.objects.filter(clause=dialogue).exists()  # no clause alerts for dialogue
    snapshot = ClauseSnapshot.objects.get(clause=clause, date=date(2024, 3, 1))
    assert snapshot.first_start == FirstStart.MISSED
    assert ClauseSnapshot.objects.get(clause=dialogue).status == ClauseStatus.DIALOGUE

    # A later report tells of a job offered on January 10.
    later = ReportFactory(
        contract=contract,
        period_start=date(2024, 4, 1),
        period_end=date(2024, 6, 30),
        status=ReportStatus.SUBMITTED,
    )
    PlacementRow.objects.create(
        report=later,
        participant_ref="LATE",
        target_group=PlacementRow.objects.first().target_group,
        start_date=date(2024, 4, 2),
        end_date=date(2024, 4, 30),
        hours=10,
        offered_on=date(2024, 1, 10),
    )
    compliance_run(as_of=date(2024, 5, 1), contracts=contracts)

    assert alerts.get().state == AlertState.RESOLVED
    assert ClauseSnapshot.objects.get(clause=clause, date=date(2024, 5, 1)).first_start == "met"


@pytest.mark.django_db
def test_the_api_gives_first_start_and_null_figures_of_a_dialogue_clause() -> None:
    contract = _contract_with_rows(
        {"start_date": date(2024, 2, 1), "end_date": date(2024, 2, 14), "hours": 10}
    )
    numeric = SocialClauseFactory(
        contract=contract, metric=Metric.PLACEMENT_WEEKS, target=10, first_start_within_days=60
    )
    dialogue = SocialClauseFactory(
        contract=contract, kind="dialogue", target=None, metric=Metric.PLACEMENT_WEEKS
    )
    client = APIClient()
    client.force_authenticate(UserFactory(groups=["officers"]))

    response = client.get(f"/api/v1/contracts/{contract.id}/compliance/?as_of=2024-06-01")

    assert response.status_code == 200, response.content
    items = {item["clause"]: item for item in response.json()}
    assert items[numeric.id]["first_start"] == "met"
    assert items[numeric.id]["reported"] == "2.00"
    assert items[dialogue.id]["first_start"] is None
    assert items[dialogue.id]["status"] == "dialogue"
    assert items[dialogue.id]["reported"] == "2.00"
    for name in ("target", "expected", "shortfall", "forecast"):
        assert items[dialogue.id][name] is None, name


def test_the_review_page_says_why_a_row_of_the_swedish_model_counts_or_not() -> None:
    from django.utils import translation

    from internships.selectors import verdict_text

    clause = terms(
        min_placement_weeks=Decimal(6),
        employment_types=frozenset({"employment"}),
        requires_matcher_confirmation=True,
    )
    rows = [
        row(
            *weeks_from(date(2024, 3, 4), 5),
            employment_type="employment",
            ended_by_participant=True,
        ),
        row(*weeks_from(date(2024, 3, 4), 8), participant_ref="P2", employment_type="internship"),
        row(
            *weeks_from(date(2024, 3, 4), 8),
            participant_ref="P3",
            employment_type="employment",
            verification="disputed",
        ),
    ]
    verdicts = row_verdicts(clause, rows, DUE)
    with translation.override("en"):
        texts = [verdict_text(v) for v in verdicts]
    assert texts == [
        "counts: 5.0 of the minimum 6 weeks, at least 75 %, and the participant ended the job",
        "employment type not in the clause",
        "disputed by the matching organisation",
    ]
    with translation.override("sv"):
        assert verdict_text(verdicts[2]) == "ifrågasatt av matchningsorganisationen"


@pytest.mark.django_db
def test_the_digest_tells_of_a_missed_first_start_in_swedish_by_default(mailoutbox) -> None:
    from contracts.services import alert_digests_send

    contract = _contract_with_rows(
        {"start_date": date(2024, 2, 1), "end_date": date(2024, 3, 31), "hours": 100}
    )
    SocialClauseFactory(
        contract=contract, metric=Metric.HOURS, target=100000, first_start_within_days=14
    )
    manager = UserFactory(username="first-start-manager", groups=["managers"])
    compliance_run(as_of=date(2024, 3, 1), contracts=Contract.objects.filter(pk=contract.pk))

    assert alert_digests_send() >= 1

    (message,) = [m for m in mailoutbox if m.to == [manager.email]]
    assert "Första start missad" in message.body
    assert (
        "Inget räknat jobb började eller erbjöds inom 14 dagar från klausulens start, 2024-01-01."
        in message.body
    )
    assert "inom 14 dagar" in message.alternatives[0][0]
