"""Property-based tests of the API against its own OpenAPI schema (schemathesis 4).

The schema is loaded from ``/api/schema/`` through the WSGI application, in-process: no server.
Every operation gets a bounded, derandomised batch of generated requests (valid and invalid ones),
sent to the WSGI application with a superuser's token (and, for the reads, a contractor's) over
the demo data of ``conftest.demo``. Half of the generated ids are swapped for ids that exist, so
that requests reach the objects and not only the 404 path.

Each request runs in a savepoint that is rolled back, so a DELETE or a logout generated for one
example does not change what the next one sees. Django's WSGI handler closes "old" database
connections at the start and end of every request; inside a test transaction that would close the
test's own connection, so that signal handler is disconnected for these tests (Django's test
client does the same).

The checks: no 5xx (with the server's traceback in the failure), responses that match the schema
(body and content type, errors included: their format is in the schema), only status codes that
the schema documents, and valid data (by the schema) accepted unless a rule the schema cannot
state refuses it (``RULES_THE_SCHEMA_CANNOT_STATE``): a schema looser than the validation fails.
``test_schema_documents_the_error_responses`` checks the error statuses on the schema itself.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Iterator

import pytest
import schemathesis
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    positive_data_acceptance,
    response_schema_conformance,
    status_code_conformance,
)

from config.wsgi import application
from contracts.models import Alert, Contract, SocialClause, TargetGroup
from internships.models import PlacementReport, PlacementRow, Referral
from procurement.models import Contractor, District, Procurement

from .conftest import CONTRACTOR_A

SCHEMA_URL = "/api/schema/"
#: Generated requests per operation: enough to reach the validation and object paths, and the
#: whole module stays well under two minutes on two cores.
MAX_EXAMPLES = 12
CONTRACTOR_EXAMPLES = 6
schema = schemathesis.openapi.from_wsgi(SCHEMA_URL, application)
schema.config.generation.update(with_security_parameters=False)

BOUNDED = settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    phases=[Phase.explicit, Phase.generate, Phase.target, Phase.shrink],
)

# Which model an operation's path parameter names, by the collection it sits under.
MODELS = {
    "alerts": Alert,
    "clauses": SocialClause,
    "contractors": Contractor,
    "contracts": Contract,
    "districts": District,
    "procurements": Procurement,
    "reports": PlacementReport,
    "rows": PlacementRow,
    "referrals": Referral,
}


@pytest.fixture
def django_requests_keep_the_test_connection() -> Iterator[None]:
    """Run requests through the WSGI handler without it closing the test's connection."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


class _ServerErrors(logging.Handler):
    """Keeps the tracebacks Django logs for 5xx answers, to show them in a failure."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.tracebacks: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info:
            self.tracebacks.append("".join(traceback.format_exception(*record.exc_info)))


@pytest.fixture
def server_errors() -> Iterator[_ServerErrors]:
    handler = _ServerErrors()
    logger = logging.getLogger("django.request")
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)


#: Fields of a 400 that positive data (valid by the schema) may still earn, for rules a schema
#: cannot state: an id must name an object that exists and that the caller may see; a page must
#: exist; one date must not come before another; a value must be unique or pass a check digit;
#: a year must not be still to come; the rows of a report must fit its period and each other.
#: Any other field in a 400 to valid data means the schema is looser than the validation.
RULES_THE_SCHEMA_CANNOT_STATE = {
    "clause",
    "contract",
    "contractor",
    "district",
    "managers",
    "officer",
    "procurement",
    "target_groups",
    "page",
    "end_date",
    "due_date",
    "period_to",
    "period_start",
    "period_end",
    "start_date",
    "milestones",
    "org_number",
    "reference",
    "report",
    "year",
    "rows",
    "non_field_errors",
    "errors",
    "review_comment",
    # A dialogue clause has no target and a numeric one needs one: on PATCH the kind is the
    # stored clause's, which the schema cannot know.
    "target",
}


def valid_data_is_refused_only_by_rules_the_schema_cannot_state(ctx, response, case):
    """schemathesis' ``positive_data_acceptance``, except for a 400 that names only fields of
    :data:`RULES_THE_SCHEMA_CANNOT_STATE`."""
    try:
        return positive_data_acceptance(ctx, response, case)
    except (AssertionError, FailureGroup):
        if response.status_code != 400:
            raise
        body = response.json()
        if not (isinstance(body, dict) and set(body) <= RULES_THE_SCHEMA_CANNOT_STATE):
            raise
        return None


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    valid_data_is_refused_only_by_rules_the_schema_cannot_state,
    content_type_conformance,
    response_schema_conformance,
]


def _existing_ids(path: str) -> list:
    collection = path.removeprefix("/api/v1/").split("/")[0]
    if path.startswith("/api/v1/ocds/"):
        collection = "contracts"
    if collection == "target-groups":
        return list(TargetGroup.objects.order_by("code").values_list("code", flat=True))
    model = MODELS.get(collection)
    return list(model.objects.order_by("pk").values_list("pk", flat=True)) if model else []


def _aim_at_existing_objects(case) -> None:
    """Swap every other generated id for one that exists, chosen by the generated value."""
    for name, value in list((case.path_parameters or {}).items()):
        existing = _existing_ids(case.operation.path)
        if not existing:
            continue
        number = value if isinstance(value, int) else sum(map(ord, str(value)))
        if number % 2 == 0:
            case.path_parameters[name] = existing[(number // 2) % len(existing)]


def _call_and_check(case, token: str, server_errors: _ServerErrors) -> None:
    _aim_at_existing_objects(case)
    cache.clear()  # throttle counters: these requests are not about rate limits
    server_errors.tracebacks.clear()
    with transaction.atomic():
        response = case.call(headers={"Authorization": f"Token {token}"})
        transaction.set_rollback(True)
    try:
        case.validate_response(response, checks=CHECKS)
    except (AssertionError, FailureGroup) as error:
        for text in server_errors.tracebacks:
            error.add_note(f"Server traceback:\n{text}")
        raise


@schema.parametrize()
@BOUNDED
def test_api_as_superuser(
    case, demo, world, db, django_requests_keep_the_test_connection, server_errors
):
    _call_and_check(case, demo.tokens["superuser"], server_errors)


@schema.include(method="GET").parametrize()
@settings(BOUNDED, max_examples=CONTRACTOR_EXAMPLES)
def test_api_reads_as_contractor(
    case, demo, world, db, django_requests_keep_the_test_connection, server_errors
):
    _call_and_check(case, demo.tokens[CONTRACTOR_A], server_errors)


def test_schema_documents_the_error_responses():
    """Every operation documents the errors it can answer with, so that a client generated from
    the schema knows their shape: 401 (all but the token request), 400 for operations that take
    input, 404 for operations on one object."""
    missing = []
    for path, operations in schema.raw_schema["paths"].items():
        for method, operation in operations.items():
            documented = set(operation.get("responses", {}))
            wanted = set()
            if path != "/api/v1/auth/token/":
                wanted.add("401")
            if method in ("post", "put", "patch") or any(
                parameter.get("in") == "query" for parameter in operation.get("parameters", [])
            ):
                wanted.add("400")
            if "{" in path:
                wanted.add("404")
            if wanted - documented and "default" not in documented:
                missing.append(f"{method.upper()} {path}: {sorted(wanted - documented)}")
    assert not missing, "Undocumented error responses:\n" + "\n".join(missing)


def test_unroutable_url_under_the_api_answers_in_the_api_error_format(client_for):
    """``/api/v1/alerts/0.5/acknowledge/`` is not a route (ids are ``[^/.]+``): Django's resolver
    answers with its HTML 404 page, where an API client expects ``{"detail": …}`` as JSON.

    Fix (config/urls.py): a ``handler404`` that answers JSON for paths under ``/api/``."""
    response = client_for("officer").post("/api/v1/alerts/0.5/acknowledge/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    assert set(response.json()) == {"detail"}
