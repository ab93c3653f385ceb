"""Admin and portal pages stay small and take a bounded number of queries with a few hundred
objects (issue 13): long inlines are cut with a "show all" link, change lists page by 50 and
filter contractors by a name search, no page offers a select with hundreds of options."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from contracts.choices import Metric
from contracts.models import TargetGroup
from contracts.services import compliance_run
from internships.admin import ROW_LIMIT
from internships.choices import ReportStatus
from internships.models import PlacementReport, PlacementRow
from tests.factories import (
    ContractFactory,
    ContractorFactory,
    ContractorUserFactory,
    ReportFactory,
    RowFactory,
    SocialClauseFactory,
)

pytestmark = pytest.mark.django_db

#: No page of these may send more HTML than this with a few hundred objects (the limit at
#: 10,000 contracts is 500 KB: docs/PERFORMANCE.md).
MAX_BYTES = 200_000


@pytest.fixture
def staff_officer(officer):
    officer.is_staff = True
    officer.save()
    return officer


def _largest_select(html: str) -> int:
    """The most options any one <select> of the page has."""
    selects = re.findall(r"<select\b.*?</select>", html, flags=re.S)
    return max((select.count("<option") for select in selects), default=0)


def _report_with_rows(count: int, *, status: str = ReportStatus.DRAFT) -> PlacementReport:
    report = ReportFactory(contract=ContractFactory(), status=status)
    for n in range(count):
        RowFactory(report=report, participant_ref=f"P-{n:03d}")
    return report


def _change_form_data(response) -> dict:
    """What the browser would post back from the admin change page, unchanged."""
    data: dict = {}
    form = response.context["adminform"].form
    for name in form.fields:
        value = form[name].value()
        if value is not None:
            data[name] = value
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        for name in formset.management_form.fields:
            data[f"{formset.prefix}-{name}"] = formset.management_form[name].value()
        for row_form in formset.forms:
            for name in row_form.fields:
                value = row_form[name].value()
                if value not in (None, False):
                    data[row_form.add_prefix(name)] = value
    return data


def _add_row(data: dict, report: PlacementReport, participant: str) -> dict:
    index = int(data["rows-TOTAL_FORMS"])
    group = TargetGroup.objects.get(code="newly_arrived")
    data = {
        **data,
        "rows-TOTAL_FORMS": index + 1,
        f"rows-{index}-report": report.pk,
        f"rows-{index}-participant_ref": participant,
        f"rows-{index}-target_group": group.pk,
        f"rows-{index}-start_date": report.period_start.isoformat(),
        f"rows-{index}-end_date": report.period_end.isoformat(),
        f"rows-{index}-hours": "10",
        # The row's facts (issue 14) as the form's selects come preselected: "not told".
        f"rows-{index}-employment_type": "internship",
        f"rows-{index}-gender": "undisclosed",
        f"rows-{index}-born_abroad": "undisclosed",
        f"rows-{index}-age_band": "undisclosed",
        f"rows-{index}-verification": "unconfirmed",
    }
    return data


def test_a_long_report_shows_its_first_rows_and_a_link_to_all_of_them(client, staff_officer):
    report = _report_with_rows(ROW_LIMIT + 15, status=ReportStatus.APPROVED)
    client.force_login(staff_officer)
    url = reverse("admin:internships_placementreport_change", args=[report.pk])

    with CaptureQueriesContext(connection) as queries:
        page = client.get(url, HTTP_ACCEPT_LANGUAGE="en")

    (inline,) = page.context["inline_admin_formsets"]
    assert len(inline.formset.forms) == ROW_LIMIT
    html = page.content.decode()
    assert f"The first {ROW_LIMIT} of {ROW_LIMIT + 15} rows are shown." in html
    assert 'href="?rows=all#rows-cut"' in html
    assert len(queries) <= 20, [query["sql"] for query in queries]
    everything = client.get(f"{url}?rows=all", HTTP_ACCEPT_LANGUAGE="en")
    (inline,) = everything.context["inline_admin_formsets"]
    assert len(inline.formset.forms) == ROW_LIMIT + 15
    assert "Show all rows" not in everything.content.decode()


def test_the_report_page_takes_as_many_queries_for_300_rows_as_for_30(client, staff_officer):
    client.force_login(staff_officer)
    counts, sizes = [], []
    for rows in (30, 300):
        report = _report_with_rows(rows, status=ReportStatus.SUBMITTED)
        url = reverse("admin:internships_placementreport_change", args=[report.pk])
        with CaptureQueriesContext(connection) as queries:
            page = client.get(url)
        counts.append(len(queries))
        sizes.append(len(page.content))
    assert counts[0] == counts[1], counts
    assert sizes[1] < MAX_BYTES and sizes[1] < sizes[0] * 1.2, sizes


def test_a_draft_cut_to_its_first_rows_saves_and_checks_against_the_rows_left_out(
    client, staff_officer
):
    report = _report_with_rows(ROW_LIMIT + 5)
    hidden = PlacementRow.objects.get(report=report, participant_ref=f"P-{ROW_LIMIT + 2:03d}")
    client.force_login(staff_officer)
    url = reverse("admin:internships_placementreport_change", args=[report.pk])
    data = _change_form_data(client.get(url, HTTP_ACCEPT_LANGUAGE="en"))

    # A new row for the participant of a row that is not shown, for overlapping dates.
    refused = client.post(
        url, _add_row(data, report, hidden.participant_ref), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert refused.status_code == 200
    assert "A row conflicts with a row that is not shown here." in refused.content.decode()
    assert report.rows.count() == ROW_LIMIT + 5

    # A shown row changed and a new participant added: saved, the rows left out untouched.
    data["rows-0-hours"] = "55"
    saved = client.post(url, _add_row(data, report, "P-NEW"))
    assert saved.status_code == 302, saved.context and saved.context["errors"]
    assert report.rows.count() == ROW_LIMIT + 6
    assert report.rows.get(participant_ref="P-000").hours == Decimal(55)
    hidden.refresh_from_db()
    assert hidden.hours == Decimal(100)


def _portfolio(contracts: int) -> None:
    contractors = [ContractorFactory() for _ in range(contracts // 2)]
    for n in range(contracts):
        contract = ContractFactory(contractor=contractors[n % len(contractors)])
        SocialClauseFactory(contract=contract, metric=Metric.PLACEMENTS, target=Decimal(50))
        report = ReportFactory(contract=contract, status=ReportStatus.SUBMITTED)
        RowFactory(report=report, participant_ref=f"S-{n}")
    compliance_run(as_of=date(2025, 6, 30))


@pytest.mark.parametrize(
    "url",
    [
        "admin:contracts_contract_changelist",
        "admin:contracts_socialclause_changelist",
        "admin:contracts_clausesnapshot_changelist",
        "admin:contracts_alert_changelist",
        "admin:internships_placementreport_changelist",
        "admin:internships_placementrow_changelist",
        "admin:procurement_contractor_changelist",
    ],
)
def test_change_lists_page_by_50_and_have_no_long_filters(client, admin_user, url):
    _portfolio(120)
    client.force_login(admin_user)
    with CaptureQueriesContext(connection) as queries:
        page = client.get(reverse(url), HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert len(page.context["cl"].result_list) <= 50
    html = page.content.decode()
    assert len(page.content) < MAX_BYTES
    assert len(queries) <= 16, [query["sql"] for query in queries]
    assert _largest_select(html) <= 50
    # The contractor is found by a name search, not from a link per contractor.
    assert html.count("contractor__id__exact=") == 0


def test_the_contractor_filter_is_a_name_search_that_keeps_the_other_filters(client, admin_user):
    _portfolio(6)
    wanted = ContractorFactory(name="Snickeri Söder AB")
    contract = ContractFactory(contractor=wanted, reference="K-SODER")
    client.force_login(admin_user)
    url = reverse("admin:contracts_contract_changelist")

    page = client.get(url, {"status__exact": "active", "contractor__name_q": "söder"})

    assert [item.pk for item in page.context["cl"].result_list] == [contract.pk]
    html = page.content.decode()
    assert 'name="contractor__name_q" value="söder"' in html
    assert '<input type="hidden" name="status__exact" value="active">' in html


@pytest.mark.parametrize(
    "url",
    [
        "admin:contracts_contract_add",
        "admin:contracts_socialclause_add",
        "admin:internships_placementreport_add",
        "admin:internships_placementrow_add",
        "admin:procurement_contractormembership_add",
        "admin:procurement_procurement_add",
    ],
)
def test_forms_pick_contracts_and_contractors_by_search_not_from_a_long_select(
    client, admin_user, url
):
    _portfolio(120)
    client.force_login(admin_user)
    page = client.get(reverse(url))
    assert page.status_code == 200
    assert _largest_select(page.content.decode()) <= 50


def test_the_portal_home_of_a_contractor_with_many_contracts_stays_small(client):
    from internships.views import DUE_LIMIT

    contractor = ContractorFactory()
    for n in range(30):
        contract = ContractFactory(contractor=contractor, reference=f"K-P{n:02d}")
        SocialClauseFactory(contract=contract, metric=Metric.PLACEMENTS)
    user = ContractorUserFactory(username="bygg-many", contractor=contractor)
    client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        page = client.get(reverse("portal:index"), HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert len(page.content) < MAX_BYTES
    assert len(queries) <= 20, [query["sql"] for query in queries]
    # Every contract has periods overdue: the longest overdue are listed, then a link to all.
    total = page.context["due_count"]
    assert total > DUE_LIMIT and len(page.context["due"]) == DUE_LIMIT
    assert f"The first {DUE_LIMIT} of {total} are shown." in page.content.decode()
    everything = client.get(reverse("portal:index"), {"due": "all"})
    assert len(everything.context["due"]) == total


def test_the_review_page_lists_the_first_rows_and_links_to_all_of_them(client, staff_officer):
    from internships.admin import REVIEW_ROW_LIMIT

    report = _report_with_rows(REVIEW_ROW_LIMIT + 10, status=ReportStatus.SUBMITTED)
    client.force_login(staff_officer)
    url = reverse("admin:internships_placementreport_review", args=[report.pk])

    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    table = page[
        page.index('id="report-rows"') : page.index("</table>", page.index('id="report-rows"'))
    ]
    assert table.count("<tr>") == REVIEW_ROW_LIMIT + 1  # the heading and the rows shown
    assert f"The first {REVIEW_ROW_LIMIT} of {REVIEW_ROW_LIMIT + 10} rows are shown." in page
    assert f"{REVIEW_ROW_LIMIT + 10} rows" in page  # the heading counts every row
    everything = client.get(f"{url}?rows=all", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    start = everything.index('id="report-rows"')
    assert everything[start : everything.index("</table>", start)].count("<tr>") == (
        REVIEW_ROW_LIMIT + 11
    )
    assert "Show all rows" not in everything
