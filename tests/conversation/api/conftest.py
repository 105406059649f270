import pytest
from rest_framework.test import APIClient

from accounts import services


def token_client(user) -> APIClient:
    client = APIClient()
    _, key = services.device_token_create(user=user, name="Test program")
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


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
