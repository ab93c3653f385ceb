"""How many queries each API endpoint takes (issue 13): bounds that fail when an N+1 comes back.

Lists take the same number of queries for a page of 5 as for a page of 50 (and at most a fixed
number); details and actions at most a fixed number; a report create the same number for 5 rows
as for 50. A token request costs one query for the token, not one more for the user's others.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from internships.demo import DEFAULT_PASSWORD

from .conftest import API, CONTRACTOR_A

pytestmark = pytest.mark.django_db

#: Reads as (path, role, most queries). The figures are today's: authentication (token, the
#: user's groups, for contractors the membership), the count and the page, one query per
#: prefetched relation, and the read log for staff reading rows. A create counts two more in a
#: test: its transaction is a savepoint inside the test's.
LISTS = [
    ("contracts/", "officer", 5),
    ("contracts/", CONTRACTOR_A, 6),
    ("clauses/", "officer", 6),
    ("clauses/", CONTRACTOR_A, 7),
    ("reports/", "officer", 7),
    ("reports/", CONTRACTOR_A, 8),
    ("alerts/", "officer", 4),
    ("alerts/", CONTRACTOR_A, 5),
]


def _count(client: APIClient, method: str, url: str, **kwargs) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as queries:
        response = getattr(client, method)(url, **kwargs)
    return len(queries), response


@pytest.mark.parametrize(("path", "role", "most"), LISTS)
def test_a_page_of_50_takes_as_many_queries_as_a_page_of_5(path, role, most, client_for):
    client = client_for(role)
    client.get(f"{API}{path}")  # warm up: content types and the like, cached per process

    few_queries, few = _count(client, "get", f"{API}{path}?page_size=5")
    many_queries, many = _count(client, "get", f"{API}{path}?page_size=50")

    assert few.status_code == many.status_code == 200
    assert len(many.json()["results"]) > len(few.json()["results"]) or many.json()["count"] <= 5
    assert many_queries == few_queries, f"{path}: {few_queries} for 5, {many_queries} for 50"
    assert many_queries <= most, f"{path} as {role}: {many_queries} queries"


def _details(world) -> list[tuple[str, int]]:
    side = world.sides["A"]
    report = side.reports["approved"]
    return [
        (f"contracts/{side.contract.id}/", 5),
        (f"contracts/{side.contract.id}/compliance/?as_of=2025-06-30", 12),
        (f"contracts/{side.contract.id}/schedule/?as_of=2025-06-30", 8),
        (f"clauses/{side.clause.id}/", 6),
        (f"reports/{report.id}/", 6),
        (f"alerts/{side.alert.id}/", 4),
    ]


def test_details_take_a_bounded_number_of_queries(world, client_for):
    client = client_for("officer")
    client.get(f"{API}contracts/")
    for path, most in _details(world):
        count, response = _count(client, "get", f"{API}{path}")
        assert response.status_code == 200, (path, response.content)
        assert count <= most, f"{path}: {count} queries"


def _report_body(side, rows: int) -> dict:
    start, end = side.free_periods[0]
    last = min(end, start + timedelta(days=6))
    return {
        "contract": side.contract.id,
        "period_start": start.isoformat(),
        "period_end": end.isoformat(),
        "rows": [
            {
                "participant_ref": f"P-{n:03d}",
                "target_group": "youth",
                "start_date": start.isoformat(),
                "end_date": last.isoformat(),
                "hours": "40.00",
            }
            for n in range(rows)
        ],
    }


def test_creating_a_report_of_50_rows_takes_as_many_queries_as_one_of_5(world, client_for):
    side = world.sides["A"]
    client = client_for(CONTRACTOR_A)
    client.get(f"{API}reports/")

    counts = []
    for rows in (5, 50):
        count, response = _count(
            client, "post", f"{API}reports/", data=_report_body(side, rows), format="json"
        )
        assert response.status_code == 201, response.content
        assert len(response.json()["rows"]) == rows
        assert {row["target_group"] for row in response.json()["rows"]} == {"youth"}
        counts.append(count)
        client.delete(f"{API}reports/{response.json()['id']}/")

    assert counts[0] == counts[1], f"{counts[0]} queries for 5 rows, {counts[1]} for 50"
    assert counts[1] <= 17, counts


def test_a_token_request_reads_only_its_own_token(world):
    user = world.users["officer"]
    others = [AuthToken.objects.create(user)[0] for _n in range(3)]
    _instance, token = AuthToken.objects.create(user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    client.get(f"{API}auth/me/")

    with CaptureQueriesContext(connection) as queries:
        assert client.get(f"{API}auth/me/").status_code == 200

    token_queries = [q["sql"] for q in queries if "knox_authtoken" in q["sql"]]
    assert len(token_queries) == 1, token_queries
    assert AuthToken.objects.filter(pk__in=[t.pk for t in others]).count() == 3


def test_an_expired_token_is_refused_and_deleted(world):
    user = world.users["officer"]
    instance, token = AuthToken.objects.create(user)
    AuthToken.objects.filter(pk=instance.pk).update(expiry=timezone.now() - timedelta(seconds=1))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")

    assert client.get(f"{API}contracts/").status_code == 401
    assert not AuthToken.objects.filter(pk=instance.pk).exists()


def test_asking_for_a_token_deletes_the_users_expired_tokens(world):
    user = world.users[CONTRACTOR_A]
    expired = AuthToken.objects.create(user)[0]
    valid = AuthToken.objects.create(user)[0]
    AuthToken.objects.filter(pk=expired.pk).update(expiry=timezone.now() - timedelta(days=1))

    response = APIClient().post(
        f"{API}auth/token/",
        {"username": CONTRACTOR_A, "password": DEFAULT_PASSWORD},
        format="json",
    )

    assert response.status_code == 200
    assert not AuthToken.objects.filter(pk=expired.pk).exists()
    assert AuthToken.objects.filter(pk=valid.pk).exists()


def test_a_contract_list_gives_each_contracts_managers(world, client_for):
    """The managers' ids come from one query over the page, sorted, as they did from the
    prefetch: every contract with its own, none with another's."""
    side = world.sides["A"]
    managers = list(world.users.values())[:2]
    side.contract.managers.set(managers)

    response = client_for("officer").get(f"{API}contracts/?page_size=500")

    by_id = {item["id"]: item["managers"] for item in response.json()["results"]}
    assert by_id[side.contract.id] == sorted(user.pk for user in managers)
    assert by_id[world.sides["B"].contract.id] == []
