"""Shared fixtures.

PostgreSQL and Redis are real services: tests that need them run whenever ``DATABASE_URL`` /
``REDIS_URL`` point at them, are skipped on the zero-setup default, and fail (never skip) when
``REQUIRE_SERVICES=1`` and a service is not configured or does not answer.
"""

from __future__ import annotations

import os

import pytest
import redis as redis_client
from django.conf import settings
from django.db import connection

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"


def _unavailable(reason: str) -> None:
    if REQUIRE_SERVICES:
        pytest.fail(f"REQUIRE_SERVICES=1 but {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def _plain_static_storage(settings) -> None:
    """The manifest storage needs collectstatic; tests use the plain one."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


# The test client, the live server and WSGI apps built at import (schemathesis) speak plain
# HTTP: set before any of them builds its middleware (SecurityMiddleware reads these once).
# HTTPS redirects and HSTS are switched on by their own tests (tests/core/test_security.py); the
# production settings as a whole are checked by ``manage.py check --deploy`` in a subprocess.
settings.SECURE_SSL_REDIRECT = False
settings.SESSION_COOKIE_SECURE = False
settings.CSRF_COOKIE_SECURE = False
settings.SECURE_HSTS_SECONDS = 0


@pytest.fixture(autouse=True)
def _password_only_logins(settings) -> None:
    """Most tests log in with a password only; the login lockout and the staff's second factor
    are switched on by the tests of each (tests/core/test_security.py)."""
    settings.AXES_ENABLED = False
    settings.MFA_REQUIRED = False


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup) -> None:
    """The test database, with its serialized copy reachable from every connection object.

    ``serialized_rollback`` restores the data migrations' rows (role groups, target groups,
    districts) after a transactional test from a copy Django keeps on the connection object.
    Playwright's sync API runs its event loop in a greenlet, and Django's connections are
    per context: after a browser test the test's teardown can meet a new connection object
    without the copy, flush without restoring it, and the next transactional test then fails
    (an empty database, or content types created twice). Kept on the connection class as well,
    the copy is found from any context.
    """
    from django.db import connections

    for alias in connections:
        connection = connections[alias]
        contents = getattr(connection, "_test_serialized_contents", None)
        if contents is not None:
            type(connection)._test_serialized_contents = contents


@pytest.fixture(scope="session")
def compiled_catalogue() -> None:
    """The Swedish catalogue compiled to .mo (a build product that ``make`` may not have made),
    with any catalogue loaded before it existed dropped, so that the tests see the translations."""
    from django.core.management import call_command
    from django.core.signals import setting_changed

    call_command("compiletranslations", verbosity=0)
    setting_changed.send(
        sender=None, setting="LOCALE_PATHS", value=settings.LOCALE_PATHS, enter=False
    )


@pytest.fixture
def postgres(db) -> None:
    """Require the test database to be PostgreSQL."""
    if connection.vendor != "postgresql":
        _unavailable("DATABASE_URL does not point at PostgreSQL")


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The configured Redis URL, checked to answer."""
    url = settings.REDIS_URL
    if not url:
        _unavailable("REDIS_URL is not set")
    try:
        redis_client.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis_client.RedisError as error:
        pytest.fail(f"REDIS_URL is set but Redis does not answer: {error}", pytrace=False)
    return url


@pytest.fixture
def officer(django_user_model):
    from tests.factories import UserFactory

    return UserFactory(username="officer-test", groups=["officers"])


@pytest.fixture
def manager(django_user_model):
    from tests.factories import UserFactory

    return UserFactory(username="manager-test", groups=["managers"])


@pytest.fixture(autouse=True)
def _fresh_dashboard_cache():
    """Each test's database starts over, so must the dashboard's cached figures: a new
    generation (contracts/caching.py) makes every key of earlier tests unread."""
    from contracts import caching

    caching._bump()


@pytest.fixture
def own_redis():
    """A redis-server of this test's own (tests/redis_server.py), killed after the test."""
    import shutil

    from tests.redis_server import OwnRedis

    if shutil.which("redis-server") is None:
        _unavailable("redis-server is not installed")
    server = OwnRedis()
    server.start()
    try:
        yield server
    finally:
        server.kill()
