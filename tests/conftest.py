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
