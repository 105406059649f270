"""POST /api/sessions/{id}/utterances/{seq}/regenerate/: another reply on a new branch, answered as reply/."""

from datetime import timedelta

import pytest
from django.utils import timezone

from conversation.models import ReplyInFlight, Session, SessionBranch, Utterance
from conversation.sessions.create import session_create
from tests.conversation.api.test_session_reply_api import parse_sse
from tests.helpers import say, token_client

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def chat(owner):
    session = session_create(user=owner)
    say(owner, session, "Q1")
    say(owner, session, "A1 first", role="assistant")
    return session


def url(session, seq) -> str:
    return f"/api/sessions/{session.pk}/utterances/{seq}/regenerate/"


def test_a_regenerated_reply_is_a_sibling_of_the_old_one(owner, chat, openai_backend):
    response = token_client(owner).post(
        url(chat, 2), {"client_id": "g1"}, format="json", HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 200
    body = response.json()
    assert body["user_utterance"]["seq"] == 1
    assert (body["reply"]["seq"], body["reply"]["parent_seq"], body["reply"]["text"]) == (3, 1, "Echo: Q1")
    history = token_client(owner).get(f"/api/sessions/{chat.pk}/utterances/").json()["results"]
    assert [u["text"] for u in history] == ["Q1", "Echo: Q1"]
    assert history[1]["siblings"] == {"count": 2, "index": 2, "prev": 2, "next": None}
    assert body["session"]["message_count"] == 2


def test_it_streams_by_default(owner, chat, openai_backend):
    response = token_client(owner).post(url(chat, 2), {}, format="json")
    events = parse_sse(b"".join(list(response)).decode())
    assert events[0][1]["user_utterance"]["text"] == "Q1"
    assert events[-1][1]["utterance"]["text"] == "Echo: Q1"


def test_a_retried_regeneration_answers_the_same_reply(owner, chat, openai_backend):
    client = token_client(owner)
    first = client.post(url(chat, 2), {"client_id": "g2"}, format="json", HTTP_ACCEPT="application/json")
    again = client.post(url(chat, 2), {"client_id": "g2"}, format="json", HTTP_ACCEPT="application/json")
    assert again.json()["reply"]["seq"] == first.json()["reply"]["seq"]
    assert Utterance.objects.filter(session=chat).count() == 3
    assert SessionBranch.objects.filter(session=chat).count() == 1


@pytest.mark.parametrize(
    ("seq", "message"),
    [
        (1, "Only a reply"),
        (7, "no message 7"),
        ("x", "whole number"),
        (2**63, "at most 9223372036854775807"),
        (2**70, "at most 9223372036854775807"),
    ],
)
def test_a_bad_seq_is_a_400_and_changes_nothing(owner, chat, seq, message):
    response = token_client(owner).post(url(chat, seq), {}, format="json", HTTP_ACCEPT="application/json")
    assert response.status_code == 400
    assert message in str(response.json())
    assert not SessionBranch.objects.exists()
    assert Utterance.objects.filter(session=chat).count() == 2


def test_another_users_session_is_not_found(outsider, chat):
    assert token_client(outsider).post(url(chat, 2), {}, format="json").status_code == 404


def test_a_regeneration_while_a_reply_is_being_written_is_a_409_and_changes_nothing(owner, chat):
    ReplyInFlight.objects.create(session=chat, client_id="other", expires_at=timezone.now() + timedelta(minutes=5))
    response = token_client(owner).post(url(chat, 2), {}, format="json", HTTP_ACCEPT="application/json")
    assert response.status_code == 409
    assert not SessionBranch.objects.exists()
    assert Session.objects.get(pk=chat.pk).head_seq == 2


def test_a_regeneration_with_a_client_id_at_the_limit_keeps_its_reply(owner, chat, openai_backend, settings):
    client_id = "k" * settings.MAX_CLIENT_ID_CHARS
    response = token_client(owner).post(
        url(chat, 2), {"client_id": client_id}, format="json", HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 200
    assert response.json()["reply"]["text"].startswith("Echo: ")
