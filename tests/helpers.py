"""Helpers the tests share (fixtures stay in the conftest.py files)."""

from rest_framework.test import APIClient

from accounts import services as accounts_services
from conversation import services
from conversation.inputs import UtteranceIn


def say(user, session, *texts: str, role: str = "user", **fields):
    """Append utterances through the real service; returns the AppendResult."""
    return services.utterances_append(
        user=user,
        session_id=session.pk,
        utterances=[UtteranceIn(role=role, text=text, **fields) for text in texts],
    )


def token_client(user) -> APIClient:
    """An API client authenticated with a new device token of `user`, as a program would be."""
    client = APIClient()
    _, key = accounts_services.device_token_create(user=user, name="Test program")
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client
