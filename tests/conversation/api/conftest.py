import pytest
from rest_framework.test import APIClient

from tests.helpers import token_client


@pytest.fixture
def api(owner) -> APIClient:
    """The owner, authenticated with a token as a program would be."""
    return token_client(owner)


@pytest.fixture
def outsider_api(outsider) -> APIClient:
    return token_client(outsider)


@pytest.fixture
def anonymous_api() -> APIClient:
    return APIClient()
