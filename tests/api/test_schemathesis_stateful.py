"""A schemathesis *stateful* run (issue 6): schemathesis follows the schema's OpenAPI links from
a created report through its life (read, edit, submit, approve, reject, correct, delete) with
generated data, and no sequence of calls may give a server error."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, settings
from hypothesis.stateful import run_state_machine_as_test
from knox.models import AuthToken

from config.wsgi import application
from tests.factories import ContractFactory, SocialClauseFactory, UserFactory

pytestmark = pytest.mark.django_db

schema = schemathesis.openapi.from_wsgi("/api/schema/", application)
schema.config.generation.update(with_security_parameters=False)


@pytest.fixture
def shared_connection() -> Iterator[None]:
    """Requests run through the WSGI handler in this thread, on the test's connection."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def test_no_sequence_of_calls_gives_a_server_error(shared_connection):
    root = UserFactory(username="stateful-root", is_superuser=True, is_staff=True)
    _instance, token = AuthToken.objects.create(root)
    contract = ContractFactory()
    SocialClauseFactory(contract=contract)
    seen: list[str] = []

    class Workflow(schema.as_state_machine()):
        # Every scenario starts from the same data: what one scenario created is rolled back
        # before the next. Otherwise the same generated choices would meet a different database
        # on a replay, and Hypothesis stops with "inconsistent data generation".
        def setup(self):
            self.savepoint = transaction.savepoint()

        def teardown(self):
            transaction.savepoint_rollback(self.savepoint)

        def get_call_kwargs(self, case):
            return {"headers": {"Authorization": f"Token {token}"}}

        def validate_response(self, response, case, **kwargs):
            seen.append(f"{case.method} {case.path}")
            assert response.status_code < 500, (case.method, case.path, response.text[:500])

    run_state_machine_as_test(
        Workflow,
        settings=settings(
            max_examples=25,
            stateful_step_count=8,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        ),
    )
    # The run reached the report life cycle, not only single calls.
    assert any("/reports/{id}/" in call for call in seen), sorted(set(seen))[:20]
