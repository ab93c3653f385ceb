"""The permission matrix of the API (docs/RULES.md §6; errors: docs/API.md), per endpoint.

Every endpoint is found by introspection: the router's viewsets with their standard and extra
actions (``@action``), and the plain views under ``auth/``. Each (endpoint, method) must have a
rule in ``RULES`` below; one that has none fails, so an endpoint added later cannot go untested.
Each rule says what every role gets, on its own and on another contractor's object:

* anonymous: 401 everywhere except ``POST auth/token/``;
* an object outside the caller's reach: 404, never 403;
* an action the role may not take: 403. Role checks come before the object is looked up, so the
  403 is the same for any id, existing or not, and tells nothing about other contractors' data
  (``test_role_refusal_is_the_same_for_an_id_that_does_not_exist``);
* a refused write changes nothing: every table the API can touch is compared before and after.

"own" and "other" are seen from a contractor user: "own" is an object of its own contractor, and
"other" one of the other contractor's. Staff and anonymous callers are tried on contractor A's
object ("objA") and contractor B's ("objB").

The matcher (a user of a labour-market unit) is tried the same way: "own" is an object of
contractor A's matrix contract, which its unit serves, and "other" one of B's, which another unit
serves. It reads what its unit serves (never a draft or rejected report, nor a report alert),
confirms and disputes rows and refers candidates; it never writes or reviews anything else.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern

from config.api_urls import router, urlpatterns
from contracts.choices import AlertKind, AlertState
from contracts.models import (
    Alert,
)
from internships.choices import ReportStatus
from internships.demo import DEFAULT_PASSWORD
from internships.models import PlacementReport

from .conftest import (
    API,
    CONTRACTOR_A,
    CONTRACTOR_B,
    MATCHER,
    ROLES,
    Side,
    World,
    database_state,
)

ANONYMOUS = "anonymous"
CONTRACTORS = (CONTRACTOR_A, CONTRACTOR_B)
WRITERS = ("officer", "superuser")  # contractors, procurements, contracts, clauses
REVIEWERS = ("officer", "superuser")  # reports: approve / reject
SAFE = {"GET", "HEAD", "OPTIONS"}

# --- Discovery ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str  # relative to /api/v1/, with the lookup as "{id}" or "{code}"
    detail: bool

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"


def discover_endpoints() -> list[Endpoint]:
    """Every (method, path) the API answers, from the router and the other URL patterns."""
    found: list[Endpoint] = []
    for prefix, viewset, _basename in router.registry:
        lookup = "{" + (viewset.lookup_url_kwarg or viewset.lookup_field) + "}"
        if lookup == "{pk}":
            lookup = "{id}"
        for route in router.get_routes(viewset):
            methods = router.get_method_map(viewset, route.mapping)
            path = (
                route.url.replace("{prefix}", prefix)
                .replace("{lookup}", lookup)
                .replace("{trailing_slash}", "/")
                .strip("^$")
            )
            found += [Endpoint(method.upper(), path, route.detail) for method in methods]
    for pattern in urlpatterns:
        view_class = getattr(getattr(pattern, "callback", None), "view_class", None)
        if not isinstance(pattern, URLPattern) or view_class is None:
            continue  # the router's include()
        path = str(pattern.pattern)
        for method in view_class.http_method_names:
            if method not in ("options", "head") and hasattr(view_class, method):
                found.append(Endpoint(method.upper(), path, False))
    return sorted(found, key=lambda endpoint: (endpoint.path, endpoint.method))


ENDPOINTS = discover_endpoints()

# --- Rules --------------------------------------------------------------------------------------

Expect = Callable[[str, bool], int]  # (role, own) -> status


@dataclass(frozen=True)
class Call:
    path: str
    data: dict[str, Any] | None = None
    format: str = "json"  # or "multipart", for file uploads


@dataclass(frozen=True)
class Rule:
    expect: Expect
    request: Callable[[World, Side], Call]
    scoped: bool = True  # tried on own and other objects, or once
    #: for lists: a side's object as the list shows it (under ``list_key``). The caller must see
    #: its own; a contractor user must not see the other contractor's, staff must see both.
    listed: Callable[[Side], Any] | None = None
    list_key: str = "id"
    #: for files: a text in the rows of a side's objects, checked the same way
    listed_text: Callable[[Side], str] | None = None
    #: whether the matcher sees its own side's ``listed`` object (not a draft report, nor a
    #: report alert); it never sees the other side's
    matcher_lists: bool = True


def _is_contractor(role: str) -> bool:
    return role in CONTRACTORS


def _is_scoped(role: str) -> bool:
    """A role that sees only its own side: a contractor user, or the matcher (side A)."""
    return role in CONTRACTORS or role == MATCHER


def scoped_read(role: str, own: bool) -> int:
    """Staff read everything; a contractor user its own; the matcher what its unit serves;
    anything else does not exist."""
    if role == ANONYMOUS:
        return 401
    if _is_scoped(role):
        return 200 if own else 404
    return 200


def alert_read(role: str, own: bool) -> int:
    """A side's alert is a report alert: its contractor sees it, the matcher does not."""
    if role == MATCHER:
        return 404
    return scoped_read(role, own)


def matcher_acts(ok: int, *, other: int = 404) -> Expect:
    """Confirming, disputing and referring: the matcher, on what its unit serves."""

    def expect(role: str, own: bool) -> int:
        if role == ANONYMOUS:
            return 401
        if role == MATCHER:
            return ok if own else other
        return 403

    return expect


def everyone(ok: int) -> Expect:
    return lambda role, own: 401 if role == ANONYMOUS else ok


def officers_write(ok: int) -> Expect:
    """Contractors, procurements, contracts, clauses: officers (and superusers) write."""

    def expect(role: str, own: bool) -> int:
        if role == ANONYMOUS:
            return 401
        return ok if role in WRITERS else 403

    return expect


def contractor_writes(ok: int, *, other: int = 404) -> Expect:
    """Reports: a contractor user writes its own; officers and managers may not; superusers may."""

    def expect(role: str, own: bool) -> int:
        if role == ANONYMOUS:
            return 401
        if _is_contractor(role):
            return ok if own else other
        return ok if role == "superuser" else 403

    return expect


def reviewers(ok: int) -> Expect:
    def expect(role: str, own: bool) -> int:
        if role == ANONYMOUS:
            return 401
        return ok if role in REVIEWERS else 403

    return expect


def acknowledgers(role: str, own: bool) -> int:
    """Staff acknowledge; a contractor user sees its report alerts but may not acknowledge them."""
    if role == ANONYMOUS:
        return 401
    if _is_contractor(role):
        return 403 if own else 404
    if role == MATCHER:
        return 404  # it sees no report alert
    return 200


def staff_only(ok: int) -> Expect:
    """Portfolio analytics: officers, managers and superusers; contractor users and matchers
    may not."""
    return lambda role, own: 401 if role == ANONYMOUS else 403 if _is_scoped(role) else ok


def token_request(role: str, own: bool) -> int:
    return 400 if role == ANONYMOUS else 200


def _row(start: date, end: date, ref: str = "MATRIS-1") -> dict:
    return {
        "participant_ref": ref,
        "target_group": "youth",
        "start_date": start.isoformat(),
        "end_date": end.isoformat(),
        "hours": "80.00",
        "role": "Snickare",
    }


def _report_body(side: Side) -> dict:
    start, end = side.free_periods[0]
    return {
        "contract": side.contract.id,
        "period_start": start.isoformat(),
        "period_end": end.isoformat(),
        "rows": [_row(start, end)],
    }


def _draft_body(side: Side) -> dict:
    draft = side.reports[ReportStatus.DRAFT]
    return {
        "contract": side.contract.id,
        "period_start": draft.period_start.isoformat(),
        "period_end": draft.period_end.isoformat(),
        "rows": [_row(draft.period_start, draft.period_end, "MATRIS-2")],
    }


def _import_form(side: Side) -> dict:
    """``POST reports/import/``: a one-row CSV for the first free period of the side's contract."""
    start, end = side.free_periods[0]
    csv = (
        "participant_ref;target_group;start_date;end_date;hours\n"
        f"MATRIS-3;youth;{start.isoformat()};{end.isoformat()};80\n"
    )
    return {
        "file": SimpleUploadedFile("kvartal.csv", csv.encode(), content_type="text/csv"),
        "contract": side.contract.id,
        "period_start": start.isoformat(),
        "period_end": end.isoformat(),
    }


def _contractor_body(side: Side) -> dict:
    c = side.contractor
    return {
        "name": c.name + " (ändrat)",
        "org_number": c.org_number,
        "contact_email": c.contact_email,
        "is_active": c.is_active,
    }


def _procurement_body(side: Side) -> dict:
    return {
        "reference": side.procurement.reference,
        "title": "Ändrad titel",
        "description": "",
        "officer": side.procurement.officer_id,
        "status": "awarded",
        "awarded_on": "2024-01-15",
    }


def _contract_body(world: World, side: Side, reference: str) -> dict:
    return {
        "reference": reference,
        "title": "Matriskontrakt",
        "procurement": side.procurement.id,
        "contractor": side.contractor.id,
        "district": world.district.id,
        "value_sek": "1000000.00",
        "start_date": "2024-01-01",
        "end_date": "2025-12-31",
        "reporting_frequency": "quarterly",
        "report_grace_days": 10,
        "status": "active",
        "managers": [],
    }


def _clause_body(side: Side) -> dict:
    return {
        "contract": side.contract.id,
        "metric": "placement_weeks",
        "target": "40.00",
        "target_groups": ["youth"],
        "milestones": [{"date": "2024-12-31", "cumulative_target": "10.00"}],
    }


def _detail(collection: str, obj: Callable[[Side], Any], suffix: str = "") -> Callable:
    return lambda world, side: Call(f"{collection}/{obj(side).pk}/{suffix}")


def _report(status: str) -> Callable[[Side], PlacementReport]:
    return lambda side: side.reports[status]


RULES: dict[str, Rule] = {
    # --- authentication
    "POST auth/token/": Rule(
        token_request,
        lambda world, side: Call("auth/token/", None),  # the body is the caller's, see below
        scoped=False,
    ),
    "POST auth/logout/": Rule(everyone(204), lambda w, s: Call("auth/logout/"), scoped=False),
    "POST auth/logoutall/": Rule(everyone(204), lambda w, s: Call("auth/logoutall/"), scoped=False),
    "GET auth/me/": Rule(everyone(200), lambda w, s: Call("auth/me/"), scoped=False),
    # --- analytics: the annual integration report, for staff
    "GET analytics/annual/": Rule(
        staff_only(200), lambda w, s: Call("analytics/annual/?year=2024"), scoped=False
    ),
    # --- reference data: read-only for every user
    "GET districts/": Rule(everyone(200), lambda w, s: Call("districts/"), scoped=False),
    "GET districts/{id}/": Rule(
        everyone(200), lambda w, s: Call(f"districts/{w.district.id}/"), scoped=False
    ),
    "GET target-groups/": Rule(everyone(200), lambda w, s: Call("target-groups/"), scoped=False),
    "GET target-groups/{code}/": Rule(
        everyone(200), lambda w, s: Call(f"target-groups/{w.target_group.code}/"), scoped=False
    ),
    # --- contractors
    "GET contractors/": Rule(
        everyone(200),
        lambda w, s: Call("contractors/?page_size=500"),
        scoped=False,
        listed=lambda side: side.contractor.id,
    ),
    "POST contractors/": Rule(
        officers_write(201),
        lambda w, s: Call(
            "contractors/",
            {"name": "Matris Nya Bygg AB", "org_number": "556036-0793", "contact_email": ""},
        ),
        scoped=False,
    ),
    "GET contractors/{id}/": Rule(scoped_read, _detail("contractors", lambda s: s.contractor)),
    "PUT contractors/{id}/": Rule(
        officers_write(200),
        lambda w, s: Call(f"contractors/{s.contractor.id}/", _contractor_body(s)),
    ),
    "PATCH contractors/{id}/": Rule(
        officers_write(200),
        lambda w, s: Call(f"contractors/{s.contractor.id}/", {"contact_email": "ny@example.se"}),
    ),
    "DELETE contractors/{id}/": Rule(
        officers_write(409),  # the contractor has contracts (PROTECT)
        _detail("contractors", lambda s: s.contractor),
    ),
    # --- procurements
    "GET procurements/": Rule(
        everyone(200),
        lambda w, s: Call("procurements/?page_size=500"),
        scoped=False,
        listed=lambda side: side.procurement.id,
    ),
    "POST procurements/": Rule(
        officers_write(201),
        lambda w, s: Call(
            "procurements/", {"reference": "VH-MATRIS-NY", "title": "Ny", "status": "planned"}
        ),
        scoped=False,
    ),
    "GET procurements/{id}/": Rule(scoped_read, _detail("procurements", lambda s: s.procurement)),
    "PUT procurements/{id}/": Rule(
        officers_write(200),
        lambda w, s: Call(f"procurements/{s.procurement.id}/", _procurement_body(s)),
    ),
    "PATCH procurements/{id}/": Rule(
        officers_write(200),
        lambda w, s: Call(f"procurements/{s.procurement.id}/", {"title": "Ändrad"}),
    ),
    "DELETE procurements/{id}/": Rule(
        officers_write(409),  # it has contracts (PROTECT)
        _detail("procurements", lambda s: s.procurement),
    ),
    # --- contracts
    "GET contracts/": Rule(
        everyone(200),
        lambda w, s: Call("contracts/?page_size=500"),
        scoped=False,
        listed=lambda side: side.contract.id,
    ),
    "POST contracts/": Rule(
        officers_write(201),
        lambda w, s: Call("contracts/", _contract_body(w, s, f"K-MATRIS-NY-{s.letter}")),
    ),
    "GET contracts/{id}/": Rule(scoped_read, _detail("contracts", lambda s: s.contract)),
    "PUT contracts/{id}/": Rule(
        officers_write(200),
        lambda w, s: Call(
            f"contracts/{s.contract.id}/", _contract_body(w, s, s.contract.reference)
        ),
    ),
    "PATCH contracts/{id}/": Rule(
        officers_write(200),
        lambda w, s: Call(f"contracts/{s.contract.id}/", {"title": "Ändrad titel"}),
    ),
    "DELETE contracts/{id}/": Rule(
        officers_write(409),  # it has reports (PROTECT)
        _detail("contracts", lambda s: s.contract),
    ),
    "GET contracts/{id}/schedule/": Rule(
        scoped_read,
        lambda w, s: Call(f"contracts/{s.contract.id}/schedule/?as_of=2025-06-30"),
    ),
    "GET contracts/{id}/compliance/": Rule(
        scoped_read,
        lambda w, s: Call(f"contracts/{s.contract.id}/compliance/?as_of=2025-06-30"),
    ),
    "GET ocds/contracts/{id}/": Rule(
        scoped_read, lambda w, s: Call(f"ocds/contracts/{s.contract.id}/?as_of=2025-06-30")
    ),
    # --- clauses
    "GET clauses/": Rule(
        everyone(200),
        lambda w, s: Call("clauses/?page_size=500"),
        scoped=False,
        listed=lambda side: side.clause.id,
    ),
    "POST clauses/": Rule(officers_write(201), lambda w, s: Call("clauses/", _clause_body(s))),
    "GET clauses/{id}/": Rule(scoped_read, _detail("clauses", lambda s: s.clause)),
    "PUT clauses/{id}/": Rule(
        officers_write(200), lambda w, s: Call(f"clauses/{s.clause.id}/", _clause_body(s))
    ),
    "PATCH clauses/{id}/": Rule(
        officers_write(200), lambda w, s: Call(f"clauses/{s.clause.id}/", {"target": "600"})
    ),
    "DELETE clauses/{id}/": Rule(officers_write(204), _detail("clauses", lambda s: s.clause)),
    # --- reports
    "GET reports/": Rule(
        everyone(200),
        lambda w, s: Call("reports/?page_size=500"),
        scoped=False,
        listed=lambda side: side.reports[ReportStatus.DRAFT].id,
        matcher_lists=False,  # a draft
    ),
    "POST reports/": Rule(
        # On another contractor's contract: the contract "does not exist" for the caller: 400.
        contractor_writes(201, other=400),
        lambda w, s: Call("reports/", _report_body(s)),
    ),
    "POST reports/import/": Rule(
        # Like POST reports/: another contractor's contract "does not exist" for the caller: 400.
        contractor_writes(201, other=400),
        lambda w, s: Call("reports/import/", _import_form(s), format="multipart"),
    ),
    "GET reports/import-template/": Rule(
        everyone(200), lambda w, s: Call("reports/import-template/?format=csv"), scoped=False
    ),
    "GET reports/{id}/": Rule(scoped_read, _detail("reports", _report(ReportStatus.SUBMITTED))),
    "PUT reports/{id}/": Rule(
        contractor_writes(200),
        lambda w, s: Call(f"reports/{s.reports[ReportStatus.DRAFT].id}/", _draft_body(s)),
    ),
    "PATCH reports/{id}/": Rule(
        contractor_writes(200),
        lambda w, s: Call(
            f"reports/{s.reports[ReportStatus.DRAFT].id}/", {"rows": _draft_body(s)["rows"]}
        ),
    ),
    "DELETE reports/{id}/": Rule(
        contractor_writes(204), _detail("reports", _report(ReportStatus.DRAFT))
    ),
    "POST reports/{id}/submit/": Rule(
        contractor_writes(200), _detail("reports", _report(ReportStatus.DRAFT), "submit/")
    ),
    "POST reports/{id}/correct/": Rule(
        contractor_writes(201),
        lambda w, s: Call(
            f"reports/{s.reports[ReportStatus.APPROVED].id}/correct/", {"reason": "Fel timmar."}
        ),
    ),
    "POST reports/{id}/approve/": Rule(
        reviewers(200), _detail("reports", _report(ReportStatus.SUBMITTED), "approve/")
    ),
    "POST reports/{id}/reject/": Rule(
        reviewers(200),
        lambda w, s: Call(
            f"reports/{s.reports[ReportStatus.SUBMITTED].id}/reject/",
            {"comment": "Timmar saknas."},
        ),
    ),
    # --- alerts
    "GET alerts/": Rule(
        everyone(200),
        lambda w, s: Call("alerts/?page_size=500"),
        scoped=False,
        listed=lambda side: side.alert.id,
        matcher_lists=False,  # a report alert
    ),
    "GET alerts/{id}/": Rule(alert_read, _detail("alerts", lambda s: s.alert)),
    "POST alerts/{id}/acknowledge/": Rule(
        acknowledgers, _detail("alerts", lambda s: s.alert, "acknowledge/")
    ),
    # Officers close clause_breached alerts only; each side's alert is a report_overdue one, so
    # an officer gets 409 (and changes nothing), the others are refused by role first.
    "POST alerts/{id}/close/": Rule(
        officers_write(409),
        lambda w, s: Call(f"alerts/{s.alert.pk}/close/", {"comment": "Vite debiterat."}),
    ),
    # --- compliance and exports
    "GET compliance/": Rule(
        everyone(200),
        lambda w, s: Call("compliance/?page_size=500&as_of=2025-06-30"),
        scoped=False,
        listed=lambda side: side.clause.id,
        list_key="clause",
    ),
    "GET compliance/rows/": Rule(
        everyone(200),
        lambda w, s: Call("compliance/rows/?format=csv"),
        scoped=False,
        listed_text=lambda side: side.contract.reference,
    ),
    # --- matching: rows confirmed or disputed by the matcher; referrals
    "GET rows/": Rule(
        everyone(200),
        lambda w, s: Call("rows/?page_size=500"),
        scoped=False,
        listed=lambda side: side.reports[ReportStatus.SUBMITTED].rows.get().id,
    ),
    "POST rows/confirm/": Rule(
        # Another unit's row is not one the matcher may confirm: 400 under "rows".
        matcher_acts(200, other=400),
        lambda w, s: Call(
            "rows/confirm/", {"rows": [s.reports[ReportStatus.SUBMITTED].rows.get().id]}
        ),
    ),
    "POST rows/{id}/dispute/": Rule(
        matcher_acts(200),
        lambda w, s: Call(
            f"rows/{s.reports[ReportStatus.APPROVED].rows.get().id}/dispute/",
            {"comment": "Okänd deltagare."},
        ),
    ),
    "GET referrals/": Rule(
        everyone(200),
        lambda w, s: Call("referrals/?page_size=500"),
        scoped=False,
        listed=lambda side: side.referral.id,
    ),
    "POST referrals/": Rule(
        # A contract another unit serves "does not exist" for the matcher: 400.
        matcher_acts(201, other=400),
        lambda w, s: Call(
            "referrals/",
            {
                "contract": s.contract.id,
                "participant_ref": "MATRIS-NY-KANDIDAT",
                "target_group": "youth",
                "proposed_start": "2024-06-01",
            },
        ),
    ),
    "GET referrals/{id}/": Rule(scoped_read, _detail("referrals", lambda s: s.referral)),
    "POST referrals/{id}/accept/": Rule(
        contractor_writes(200), _detail("referrals", lambda s: s.referral, "accept/")
    ),
    "POST referrals/{id}/decline/": Rule(
        contractor_writes(200),
        lambda w, s: Call(f"referrals/{s.referral.id}/decline/", {"reason": "Ingen plats."}),
    ),
}


# --- The generated tests ------------------------------------------------------------------------


def _cases() -> list:
    cases = []
    for endpoint in ENDPOINTS:
        rule = RULES.get(endpoint.key)
        if rule is None:
            cases.append(pytest.param(endpoint.key, ANONYMOUS, "-", id=f"{endpoint.key} | NO RULE"))
            continue
        for role in ROLES:
            scopes = ("own", "other") if rule.scoped else ("-",)
            for scope in scopes:
                label = scope
                if scope != "-" and not _is_scoped(role):
                    label = "objA" if scope == "own" else "objB"
                cases.append(
                    pytest.param(endpoint.key, role, scope, id=f"{endpoint.key} | {role} | {label}")
                )
    return cases


def _owner(role: str, scope: str) -> str:
    """The letter of the contractor whose object the call is about."""
    mine = {CONTRACTOR_A: "A", CONTRACTOR_B: "B", MATCHER: "A"}.get(role, "A")
    theirs = "B" if mine == "A" else "A"
    return theirs if scope == "other" else mine


def _username(world: World, role: str) -> str:
    return world.users[role].username


def _send(client, method: str, path: str, data: dict | None, format: str = "json"):
    url = API + path
    if method == "GET":
        return client.get(url)
    return getattr(client, method.lower())(url, data, format=format)


@pytest.mark.parametrize(("key", "role", "scope"), _cases())
def test_permission_matrix(key, role, scope, world, client_for):
    rule = RULES.get(key)
    if rule is None:
        pytest.fail(
            f"The API has an endpoint the permission matrix does not know: {key}. Decide what "
            "each role may do with it (docs/RULES.md §6) and add a rule to RULES.",
            pytrace=False,
        )
    method = key.split(" ", 1)[0]
    side = world.sides[_owner(role, scope)]
    call = rule.request(world, side)
    data = call.data
    if key == "POST auth/token/":
        username = "no-such-user" if role == ANONYMOUS else _username(world, role)
        data = {"username": username, "password": DEFAULT_PASSWORD}
    client = client_for(role)
    own = scope != "other"
    expected = rule.expect(role, own)

    before = database_state() if method not in SAFE else None
    response = _send(client, method, call.path, data, call.format)

    assert response.status_code == expected, (
        f"{key} as {role} on {scope}: expected {expected}, got {response.status_code}: "
        f"{getattr(response, 'data', None) or response.content[:300]!r}"
    )
    if expected >= 400:
        body = response.json()
        assert body, "an error must say what went wrong"
        if expected in (401, 403, 404, 409):
            assert set(body) == {"detail"}, body
    if before is not None:
        after = database_state()
        if expected >= 400:
            changed = [name for name in before if before[name] != after[name]]
            assert not changed, f"a refused {key} changed {changed}"
        else:
            assert before != after, f"{key} answered {expected} but stored nothing"
    if rule.listed and expected == 200:
        ids = {item[rule.list_key] for item in response.json()["results"]}
        mine, theirs = world.sides["A"], world.sides["B"]
        if _is_scoped(role):
            mine, theirs = world.sides[_owner(role, "own")], world.sides[_owner(role, "other")]
            assert rule.listed(theirs) not in ids, f"{role} sees another contractor's object"
        else:
            assert rule.listed(theirs) in ids, f"{role} must see every contractor's objects"
        if role == MATCHER and not rule.matcher_lists:
            assert rule.listed(mine) not in ids, f"the matcher must not see this in {key}"
        else:
            assert rule.listed(mine) in ids, f"{role} must see its own objects in {key}"
    if rule.listed_text and expected == 200:
        text = b"".join(response.streaming_content).decode("utf-8-sig")
        mine, theirs = world.sides["A"], world.sides["B"]
        if _is_scoped(role):
            mine, theirs = world.sides[_owner(role, "own")], world.sides[_owner(role, "other")]
            assert rule.listed_text(theirs) not in text, f"{role} gets another contractor's rows"
        else:
            assert rule.listed_text(theirs) in text
        assert rule.listed_text(mine) in text


def test_every_rule_belongs_to_an_endpoint():
    """A rule for an endpoint that no longer exists is a sign the matrix has drifted."""
    keys = {endpoint.key for endpoint in ENDPOINTS}
    assert not sorted(set(RULES) - keys)


def test_discovery_finds_the_routes_and_actions():
    keys = {endpoint.key for endpoint in ENDPOINTS}
    # one of each kind: a standard action, a detail @action, a list @action, a plain view
    assert {
        "PATCH reports/{id}/",
        "POST reports/{id}/submit/",
        "GET compliance/rows/",
        "POST auth/token/",
    } <= keys
    assert len(keys) == len(ENDPOINTS)


# --- What the matrix cannot say in one status code ----------------------------------------------


@pytest.mark.parametrize(
    ("role", "method", "path"),
    [
        (CONTRACTOR_A, "PATCH", "contracts/{}/"),
        (CONTRACTOR_A, "DELETE", "clauses/{}/"),
        ("manager", "PUT", "procurements/{}/"),
        ("manager", "POST", "reports/{}/approve/"),
        ("officer", "POST", "reports/{}/submit/"),
        (CONTRACTOR_A, "POST", "reports/{}/reject/"),
        (MATCHER, "POST", "reports/{}/approve/"),
        (MATCHER, "PATCH", "reports/{}/"),
        ("officer", "POST", "rows/{}/dispute/"),
        (CONTRACTOR_A, "POST", "rows/{}/dispute/"),
    ],
)
def test_role_refusal_is_the_same_for_an_id_that_does_not_exist(
    role, method, path, world, client_for
):
    """A 403 for an action the role may not take says nothing about whether the object exists."""
    client = client_for(role)
    other = world.sides["B"]
    existing_id = {
        "contracts/{}/": other.contract.id,
        "clauses/{}/": other.clause.id,
        "procurements/{}/": other.procurement.id,
        "rows/{}/dispute/": other.reports[ReportStatus.APPROVED].rows.get().id,
    }.get(path, other.reports[ReportStatus.SUBMITTED].id)
    on_existing = _send(client, method, path.format(existing_id), {"comment": "x"})
    on_missing = _send(client, method, path.format(987654321), {"comment": "x"})
    assert on_existing.status_code == on_missing.status_code == 403
    assert on_existing.json() == on_missing.json()


@pytest.mark.parametrize("role", [r for r in ROLES if r != ANONYMOUS])
def test_a_missing_object_is_404_for_every_role(role, world, client_for):
    response = client_for(role).get(f"{API}contracts/987654321/")
    assert response.status_code == 404


def test_contractor_cannot_set_review_fields_on_its_draft(world, client_for):
    side = world.sides["A"]
    draft = side.reports[ReportStatus.DRAFT]
    before = PlacementReport.objects.filter(pk=draft.pk).values().get()
    officer = world.users["officer"]

    response = client_for(CONTRACTOR_A).patch(
        f"{API}reports/{draft.id}/",
        {
            "status": "approved",
            "review_comment": "Godkänd av mig själv",
            "reviewed_by": officer.id,
            "reviewed_at": "2025-01-01T10:00:00Z",
            "submitted_by": officer.id,
        },
        format="json",
    )

    assert response.status_code in (200, 400)
    after = PlacementReport.objects.filter(pk=draft.pk).values().get()
    for name in ("status", "review_comment", "reviewed_by_id", "reviewed_at", "submitted_by_id"):
        assert after[name] == before[name], name
    if response.status_code == 200:
        assert response.json()["status"] == "draft"


def test_contractor_cannot_create_an_approved_report(world, client_for):
    side = world.sides["A"]
    body = {
        **_report_body(side),
        "status": "approved",
        "reviewed_by": world.users["officer"].id,
        "review_comment": "ok",
    }

    response = client_for(CONTRACTOR_A).post(f"{API}reports/", body, format="json")

    assert response.status_code in (201, 400)
    if response.status_code == 201:
        stored = PlacementReport.objects.get(pk=response.json()["id"])
        assert stored.status == ReportStatus.DRAFT
        assert stored.reviewed_by is None
        assert stored.review_comment == ""


def test_contractor_cannot_move_its_draft_to_another_contractors_contract(world, client_for):
    mine, theirs = world.sides["A"], world.sides["B"]
    draft = mine.reports[ReportStatus.DRAFT]
    before = database_state()

    response = client_for(CONTRACTOR_A).patch(
        f"{API}reports/{draft.id}/", {"contract": theirs.contract.id}, format="json"
    )

    assert response.status_code in (400, 404)
    assert "contract" in response.json() or response.status_code == 404
    assert database_state() == before


def test_contractor_cannot_acknowledge_or_see_clause_alerts(world, client_for):
    """Contractor users see only the report alerts of their own contracts (docs/RULES.md §6)."""
    side = world.sides["A"]
    clause_alert = Alert.objects.create(
        kind=AlertKind.CLAUSE_BEHIND, contract=side.contract, clause=side.clause
    )
    client = client_for(CONTRACTOR_A)

    listed = {a["id"] for a in client.get(f"{API}alerts/?page_size=500").json()["results"]}
    assert side.alert.id in listed
    assert clause_alert.id not in listed
    assert client.get(f"{API}alerts/{clause_alert.id}/").status_code == 404
    assert client.post(f"{API}alerts/{clause_alert.id}/acknowledge/").status_code == 404
    clause_alert.refresh_from_db()
    assert clause_alert.state == AlertState.OPEN
