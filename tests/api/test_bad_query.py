"""``?page=``, ``?page_size=`` and ``?format=`` that a list cannot answer: a 400 with a message
under the parameter's name, never a 404 (which a client cannot tell from a wrong URL), and the
schema says so (core/api/pagination.py, core/api/schema.py)."""

from __future__ import annotations

import pytest

from .conftest import API

pytestmark = [pytest.mark.django_db]

#: Every paginated list of the API (``test_the_lists_are_every_paginated_operation`` keeps this
#: in step with the schema). The query makes the compliance list read a fixed day.
LISTS = {
    "alerts/": "",
    "clauses/": "",
    "compliance/": "as_of=2026-11-28&",
    "contractors/": "",
    "contracts/": "",
    "districts/": "",
    "procurements/": "",
    "referrals/": "",
    "reports/": "",
    "rows/": "",
}
#: The lists that are not paginated still refuse an unknown format.
UNPAGINATED = ["target-groups/"]


@pytest.fixture
def officer(client_for):
    return client_for("officer")


def _schema(officer) -> dict:
    response = officer.get("/api/schema/?format=json")
    assert response.status_code == 200
    return response.json()


def test_the_lists_are_every_paginated_operation(officer):
    paginated = {
        path.removeprefix("/api/v1/")
        for path, operations in _schema(officer)["paths"].items()
        for method, operation in operations.items()
        if method == "get"
        and any(parameter["name"] == "page" for parameter in operation.get("parameters", []))
    }
    assert paginated == set(LISTS)


@pytest.mark.parametrize("page", ["0", "-1", "abc", "1.5", "9999"])
@pytest.mark.parametrize("path", sorted(LISTS))
def test_a_page_that_is_not_a_page_of_the_list_answers_400_with_a_message(officer, path, page):
    first = officer.get(f"{API}{path}?{LISTS[path]}")
    assert first.status_code == 200  # the list itself answers
    last = max(1, -(-first.json()["count"] // 50))

    response = officer.get(f"{API}{path}?{LISTS[path]}page={page}")

    assert response.status_code == 400, response.content
    body = response.json()
    assert list(body) == ["page"]
    assert f"1 to {last}" in body["page"][0] or f"1 till {last}" in body["page"][0]


@pytest.mark.parametrize("path", sorted(LISTS))
def test_the_last_page_and_page_last_still_answer(officer, path):
    count = officer.get(f"{API}{path}?{LISTS[path]}page_size=1").json()["count"]
    assert count > 0  # the demo fills every list, so there is a last page to ask for
    last = officer.get(f"{API}{path}?{LISTS[path]}page_size=1&page={count}")
    named = officer.get(f"{API}{path}?{LISTS[path]}page_size=1&page=last")
    assert last.status_code == named.status_code == 200
    assert last.json()["results"] == named.json()["results"]
    assert last.json()["next"] is None


@pytest.mark.parametrize("size", ["0", "-3", "abc"])
@pytest.mark.parametrize("path", sorted(LISTS))
def test_a_page_size_that_is_not_a_positive_number_answers_400(officer, path, size):
    response = officer.get(f"{API}{path}?{LISTS[path]}page_size={size}")

    assert response.status_code == 400
    assert list(response.json()) == ["page_size"]
    assert response.json()["page_size"][0]


@pytest.mark.parametrize("path", sorted(LISTS) + UNPAGINATED)
def test_an_unknown_format_answers_400_with_the_formats_to_choose_from(officer, path):
    response = officer.get(f"{API}{path}?{LISTS.get(path, '')}format=bogus")

    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert list(body) == ["format"]
    assert "json" in body["format"][0]
    assert "bogus" not in body["format"][0]  # what the client sent is not echoed


def test_a_known_format_still_answers(officer):
    assert officer.get(f"{API}contracts/?format=json").status_code == 200
    assert officer.get(f"{API}compliance/?as_of=2026-11-28&format=csv").status_code == 200


def test_messages_are_in_the_callers_language(officer):
    english = officer.get(f"{API}contracts/?page=abc", HTTP_ACCEPT_LANGUAGE="en")
    swedish = officer.get(f"{API}contracts/?page=abc", HTTP_ACCEPT_LANGUAGE="sv")

    assert english.json()["page"][0].startswith("Invalid page")
    assert swedish.json()["page"][0] != english.json()["page"][0]


def test_the_schema_states_the_page_bounds_and_the_400_of_every_operation(officer):
    schema = _schema(officer)
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            assert "400" in operation["responses"], f"{method} {path}"
            assert "406" in operation["responses"], f"{method} {path}"
            parameters = {p["name"]: p["schema"] for p in operation.get("parameters", [])}
            if "page" in parameters:
                assert parameters["page"]["minimum"] == 1
                assert parameters["page_size"] == {"type": "integer", "minimum": 1, "maximum": 500}
