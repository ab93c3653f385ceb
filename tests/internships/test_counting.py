"""The one counting rule (internships/counting.py): its pure, ORM and SQL forms agree, and the
version rules pick the report that stands for a period."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.db import connection

from internships.choices import ReportStatus
from internships.counting import (
    REPORTED,
    VERIFIED,
    came_in,
    counts_as_reported,
    counts_as_verified,
    period_report,
    statuses_on_approval,
)
from internships.models import PlacementReport
from tests.factories import ContractFactory, ReportFactory

S = ReportStatus


@pytest.mark.parametrize(
    ("status", "is_correction", "reported", "verified"),
    [
        (S.DRAFT, False, False, False),
        (S.SUBMITTED, False, True, False),
        (S.APPROVED, False, True, True),
        (S.REJECTED, False, False, False),
        (S.SUPERSEDED, False, False, False),
        (S.DRAFT, True, False, False),
        (S.SUBMITTED, True, False, False),  # a pending correction never counts
        (S.APPROVED, True, True, True),
        (S.REJECTED, True, False, False),
        (S.SUPERSEDED, True, False, False),
    ],
)
def test_which_reports_count_as_reported_and_verified(status, is_correction, reported, verified):
    assert counts_as_reported(status, is_correction) is reported
    assert counts_as_verified(status, is_correction) is verified


def test_only_originals_that_came_and_were_not_sent_back_date_a_period():
    assert [s for s in S.values if came_in(s, False)] == ["submitted", "approved", "superseded"]
    assert not any(came_in(s, True) for s in S.values)


@pytest.mark.django_db
def test_the_orm_filter_and_the_sql_condition_select_what_the_pure_rule_says():
    contract = ContractFactory()
    # Each status as an original and as a correction, one period each (a rejected report is
    # the corrected one, so that the constraints of one open report per period hold).
    expected: dict[int, tuple[str, bool]] = {}
    periods = contract.reporting_periods()
    for index, status in enumerate(S.values):
        target = periods[index]
        original = ReportFactory(
            contract=contract,
            period_start=target.start,
            period_end=target.end,
            status=status,
        )
        expected[original.pk] = (status, False)
        holder = ReportFactory(
            contract=contract,
            period_start=target.start,
            period_end=target.end,
            status=S.REJECTED,
        )
        expected[holder.pk] = (S.REJECTED, False)
        correction = ReportFactory(
            contract=contract,
            period_start=target.start,
            period_end=target.end,
            status=status,
            corrects=holder,
        )
        expected[correction.pk] = (status, True)
    reports = PlacementReport.objects.filter(contract=contract)
    assert reports.count() == len(expected)
    for measure in (REPORTED, VERIFIED):
        wanted = {pk for pk, (status, fix) in expected.items() if measure.counts(status, fix)}
        assert set(reports.filter(measure.q()).values_list("pk", flat=True)) == wanted
        with connection.cursor() as cursor:
            # The condition is made of our own status constants, not input.
            sql = f"SELECT rep.id FROM internships_placementreport rep WHERE rep.contract_id = %s AND {measure.sql('rep')}"  # noqa: E501, S608
            cursor.execute(sql, [contract.pk])
            assert {pk for (pk,) in cursor.fetchall()} == wanted


@dataclass
class _R:
    name: str
    status: str
    corrects_id: int | None = None


def test_a_period_is_represented_by_its_open_report_or_else_its_latest_rejected_one():
    first, second = _R("first", S.REJECTED), _R("second", S.REJECTED)
    assert period_report([first, second]) is second
    sent = _R("sent", S.SUBMITTED)
    assert period_report([first, sent, second]) is sent
    assert period_report([]) is None


def test_a_pending_correction_stands_for_its_period_only_for_the_contractor():
    original = _R("original", S.APPROVED)
    for status in (S.DRAFT, S.SUBMITTED):
        pending = _R("pending", status, corrects_id=1)
        assert period_report([original, pending]) is original
        assert period_report([original, pending], with_pending_correction=True) is pending
    rejected = _R("rejected", S.REJECTED, corrects_id=1)
    assert period_report([original, rejected], with_pending_correction=True) is original


def test_an_approved_correction_replaces_the_superseded_original():
    original = _R("original", S.SUPERSEDED)
    approved = _R("approved", S.APPROVED, corrects_id=1)
    again = _R("again", S.SUBMITTED, corrects_id=2)
    assert period_report([original, approved]) is approved
    assert period_report([original, approved, again]) is approved
    assert period_report([original, approved, again], with_pending_correction=True) is again


def test_approving_a_correction_supersedes_the_version_it_corrects():
    assert statuses_on_approval(5, None) == {5: S.APPROVED}
    assert statuses_on_approval(6, 5) == {6: S.APPROVED, 5: S.SUPERSEDED}
