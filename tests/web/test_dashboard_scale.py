"""The dashboard at portfolio scale (issue 13): bounded pages, paged lists, the clause search,
cached figures equal to computed ones, and a cache dropped by what changes the figures."""

from __future__ import annotations

import re
from datetime import date
from html import unescape
from io import StringIO
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from bench.compliance import generate
from contracts import caching
from contracts.dashboard import _lines, dashboard_build, dashboard_contracts
from contracts.models import Contract
from contracts.services import compliance_run
from internships.choices import ReportStatus
from internships.models import PlacementReport
from procurement.models import District
from tests.factories import ContractFactory, SocialClauseFactory

pytestmark = pytest.mark.django_db

MAX_HTML = 500 * 1024


@pytest.fixture
def small(db):
    """One contract running in 2025 with one clause."""
    contract = ContractFactory(start_date=date(2025, 1, 1))
    return SocialClauseFactory(contract=contract)


@pytest.fixture
def portfolio(postgres, manager, client):
    """A few hundred contracts with their clauses, reports and rows (the benchmark's
    generator), evaluated today so that there are alerts and snapshots."""
    today = timezone.localdate()
    generate(300, 30_000, seed=7, as_of=today, stream=StringIO())
    compliance_run(as_of=today)
    client.force_login(manager)
    return client


def _get(client, name="dashboard:index", **query):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse(name), query)
    assert response.status_code == 200, response.status_code
    return response, len(queries)


def _computed(year: int, district_id=None, contractor_id=None):
    contracts = dashboard_contracts(
        Contract.objects.all(), year=year, district_id=district_id, contractor_id=contractor_id
    )
    return dashboard_build(user=None, contracts=contracts, year=year, today=timezone.localdate())


def test_every_filter_answers_a_bounded_page_in_few_queries(portfolio):
    client = portfolio
    year = timezone.localdate().year
    district = District.objects.order_by("pk").first()
    contract = Contract.objects.filter(district=district).first()
    clause = contract.clauses.first()
    every = {
        "year": year,
        "district": district.pk,
        "contractor": contract.contractor_id,
        "clause": clause.pk,
        "status": "all",
        "metric": clause.metric,
        "find": contract.reference[:6],
    }
    for query in ({}, {"year": year - 1}, {"district": district.pk, "status": "all"}, every):
        first, _cold = _get(client, **query)
        again, warm = _get(client, **query)
        assert len(first.content) < MAX_HTML and len(again.content) < MAX_HTML
        assert warm <= 20, (query, warm)  # cached: session, user, filters, alerts, chart
        assert again.content.count(b"<tr") == first.content.count(b"<tr")
    # No list of every clause: the chart's clause is found by a search.
    assert b'<select name="clause"' not in again.content
    for name in ("dashboard:clauses", "dashboard:overdue", "dashboard:ranking"):
        page, count = _get(client, name, status="all")
        assert len(page.content) < MAX_HTML and count <= 16


def test_cached_figures_equal_the_computed_ones(portfolio):
    client = portfolio
    year = timezone.localdate().year
    _get(client)  # fills the cache
    page, _count = _get(client, status="all")
    board, computed = page.context["board"], _computed(year)
    for name in (
        "active_contracts",
        "clause_counts",
        "overdue_reports",
        "placements_delivered",
        "placements_expected",
        "participants",
        "participants_fbw",
        "by_district",
        "by_target_group",
        "by_fact",
        "rankings",
    ):
        assert getattr(board, name) == getattr(computed, name), name
    clauses, overdue = _lines(computed)
    assert page.context["clause_list"].count == len(clauses) > 20
    assert page.context["clause_list"].rows == clauses[:20]
    assert page.context["overdue"].count == len(overdue)


def test_long_lists_show_their_first_rows_and_link_to_a_paged_list_with_the_filters(portfolio):
    client = portfolio
    year = timezone.localdate().year
    page, _count = _get(client, status="all")
    html = page.content.decode()
    clauses = _lines(_computed(year))[0]
    assert len(clauses) > 200
    section = html.split('id="clauses"', 1)[1].split("</section>", 1)[0]
    assert section.count("<tr>") == 20 + 1  # the heading and 20 rows
    assert f"Visar 20 av {len(clauses)}." in section
    link = unescape(re.search(r'<a href="([^"]+)">Visa alla', section).group(1))
    assert parse_qs(urlsplit(link).query) == {"year": [str(year)], "status": ["all"]}

    listed, page_number = [], 1
    while link:
        response = client.get(link)
        assert response.status_code == 200
        lines = response.context["lines"]
        assert lines.page == page_number and len(lines.rows) <= 100
        assert len(response.content) < MAX_HTML
        listed += lines.rows
        link = response.context["next_url"]
        if link:
            query = parse_qs(urlsplit(link).query)
            assert query["status"] == ["all"] and query["page"] == [str(page_number + 1)]
        page_number += 1
    assert listed == clauses  # every clause, once, in the dashboard's order
    assert page_number > 3
    beyond = client.get(reverse("dashboard:clauses"), {"status": "all", "page": 999})
    assert beyond.status_code == 404

    # A district's list keeps the district in its "show all" link and on every page.
    district = District.objects.order_by("pk").first()
    page, _count = _get(client, district=district.pk, status="all")
    link = page.context["clauses_all"]
    assert parse_qs(urlsplit(link).query)["district"] == [str(district.pk)]
    assert (
        client.get(link).context["lines"].rows
        == _lines(_computed(year, district_id=district.pk))[0][:100]
    )


def test_the_clause_picker_is_a_search_that_links_to_the_clause_chart(portfolio):
    client = portfolio
    contract = Contract.objects.order_by("reference")[5]
    page, _count = _get(client, find=contract.reference, status="all")
    found = page.context["search_results"]
    assert found and all(c.contract.reference == contract.reference for c, _href in found)
    clause, href = found[0]
    assert f'href="{href.replace("&", "&amp;")}"' in page.content.decode()
    query = parse_qs(urlsplit(href).query)
    assert query["clause"] == [str(clause.pk)] and query["status"] == ["all"]
    chart = client.get(href)
    assert chart.context["history"][2].pk == clause.pk
    # A wide search is cut at 20 links and says so.
    wide, _count = _get(client, find="-")
    assert len(wide.context["search_results"]) == 20 and wide.context["search_more"]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_rejected_report_changes_the_cached_figures(client, manager, officer):
    from internships.demo import seed_demo

    seed_demo()
    compliance_run(as_of=timezone.localdate())
    client.force_login(manager)
    year = timezone.localdate().year
    before = client.get(reverse("dashboard:index")).context["board"]
    assert client.get(reverse("dashboard:index")).context["board"] == before  # from the cache
    report = (
        PlacementReport.objects.filter(
            status=ReportStatus.SUBMITTED, rows__end_date__gte=date(year, 1, 1)
        )
        .distinct()
        .first()
    )
    listing = {"status": "all", "contractor": report.contract.contractor_id}

    def reported_after():
        lines = client.get(reverse("dashboard:clauses"), listing).context["lines"].rows
        return sum(line.reported for line in lines if line.contract_id == report.contract_id)

    reported_before = reported_after()
    api = APIClient()
    api.force_authenticate(officer)
    answer = api.post(f"/api/v1/reports/{report.pk}/reject/", {"comment": "Fel."}, format="json")
    assert answer.status_code == 200, answer.content
    after = client.get(reverse("dashboard:index")).context["board"]
    computed = _computed(year)
    assert after.participants == computed.participants
    assert after.clause_counts == computed.clause_counts
    assert reported_after() < reported_before


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_compliance_run_moves_the_generation_on(small):
    start = caching.generation()
    compliance_run(as_of=date(2025, 6, 30))
    assert caching.generation() != start


@override_settings(
    CACHES={
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
        }
    }
)
def test_a_cache_that_is_down_does_not_break_the_page(client, manager, small):
    client.force_login(manager)
    response = client.get(reverse("dashboard:index"), {"year": 2025, "status": "all"})
    assert response.status_code == 200
    assert response.context["clause_list"].count == 1
    assert client.get(reverse("dashboard:annual", args=[2025])).status_code == 200


def test_the_nightly_run_warms_the_default_view(client, manager, small):
    from contracts.tasks import evaluate_all

    evaluate_all.apply()
    client.force_login(manager)
    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("dashboard:index"))
    # The key figures come from the cache: none of the engine's aggregates over the rows.
    assert not any("participant_ref" in q["sql"] for q in queries.captured_queries)


def test_while_one_request_computes_new_figures_the_others_get_the_previous_ones(
    client, manager, small, django_capture_on_commit_callbacks
):
    from django.core.cache import cache

    from contracts.dashboard import DashboardKey

    client.force_login(manager)
    query = {"year": 2025, "status": "all"}

    def listed() -> int:
        return client.get(reverse("dashboard:index"), query).context["clause_list"].count

    assert listed() == 1
    with django_capture_on_commit_callbacks(execute=True):
        SocialClauseFactory(contract=ContractFactory(start_date=date(2025, 1, 1)))
    parts = DashboardKey(2025, None, None, timezone.localdate()).parts
    claim = f"{caching._key(('clauses', *parts, 'all', '', 1, 20))}:computing"
    cache.add(claim, 1)  # another request is computing the new list
    assert listed() == 1
    cache.delete(claim)
    assert listed() == 2
