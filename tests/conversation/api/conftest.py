import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient


def token_client(user) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
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
