import os

import pytest
from django.test import Client

from tests.factories import UserFactory

REQUIRED_SERVICES = ("DATABASE_URL", "REDIS_URL")


def pytest_configure(config):
    # The suite runs on real PostgreSQL and Redis; it never falls back quietly to SQLite or memory.
    missing = [name for name in REQUIRED_SERVICES if not os.environ.get(name)]
    if missing:
        pytest.exit(
            f"{' and '.join(missing)} not set: the suite needs real PostgreSQL and Redis. "
            "Run it with `make test`, which starts throwaway servers, or point these variables at yours.",
            returncode=3,
        )


@pytest.fixture
def owner(db):
    return UserFactory(email="owner@example.com", display_name="Olive Owner")


@pytest.fixture
def outsider(db):
    return UserFactory(email="outsider@example.com", display_name="Otto Outsider")


@pytest.fixture
def owner_client(owner) -> Client:
    client = Client()
    client.force_login(owner)
    return client


@pytest.fixture
def outsider_client(outsider) -> Client:
    client = Client()
    client.force_login(outsider)
    return client


@pytest.fixture
def assert_statements():
    """Like django_assert_num_queries, but counts the SQL a production request sends: the SAVEPOINTs
    that the test's wrapping transaction turns each atomic() into are left out (in production the
    outermost atomic() is a BEGIN, which Django does not log either)."""
    from contextlib import contextmanager

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    @contextmanager
    def check(expected: int):
        with CaptureQueriesContext(connection) as context:
            yield context
        statements = [q["sql"] for q in context.captured_queries if "SAVEPOINT" not in q["sql"].upper()[:30]]
        assert len(statements) == expected, f"{len(statements)} statements, expected {expected}:\n" + "\n".join(
            statements
        )

    return check


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache (throttle counters, context windows)."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(scope="session")
def model_server():
    """An OpenAI-compatible streaming server on loopback (tests/model_server.py)."""
    from tests.model_server import ModelServer

    server = ModelServer()
    yield server
    server.stop()


@pytest.fixture
def openai_backend(settings, model_server):
    """Point the assistant at the test model server."""
    settings.ASSISTANT_BASE_URL = model_server.url
    settings.ASSISTANT_API_KEY = "test-key"
    settings.ASSISTANT_MODEL = "test-model"
    settings.ASSISTANT_TIMEOUT_SECONDS = 5
    model_server.requests.clear()
    return model_server
