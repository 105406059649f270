import pytest

from conversation import services
from conversation.inputs import UtteranceIn


@pytest.fixture
def session(owner):
    return services.session_create(user=owner)


def say(user, session, *texts: str, role: str = "user", **fields):
    """Append utterances through the real service; returns the AppendResult."""
    return services.utterances_append(
        user=user,
        session_id=session.pk,
        utterances=[UtteranceIn(role=role, text=text, **fields) for text in texts],
    )
