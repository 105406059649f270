"""POST /api/sessions/{id}/utterances/{seq}/edit/: an edit on a new branch, answered as reply/ answers."""

from datetime import timedelta

import pytest
from django.utils import timezone

from conversation.models import ReplyInFlight, SessionBranch, Utterance
from conversation.sessions.create import session_create
from tests.conversation.api.test_session_reply_api import parse_sse
from tests.helpers import say, token_client

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def chat(owner):
    session = session_create(user=owner)
    say(owner, session, "Q1")
    say(owner, session, "A1", role="assistant")
    return session


def url(session, seq) -> str:
    return f"/api/sessions/{session.pk}/utterances/{seq}/edit/"


def test_an_edit_is_answered_in_one_json_body_on_the_new_branch(owner, chat, openai_backend):
    response = token_client(owner).post(
        url(chat, 1), {"text": "Q1 better", "client_id": "e1"}, format="json", HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["user_utterance"]["seq"], body["user_utterance"]["parent_seq"]) == (3, None)
    assert body["reply"]["text"] == "Echo: Q1 better"
    assert body["reply"]["parent_seq"] == 3
    assert body["session"]["head_seq"] == body["reply"]["seq"]
    history = token_client(owner).get(f"/api/sessions/{chat.pk}/utterances/").json()["results"]
    assert [u["text"] for u in history] == ["Q1 better", "Echo: Q1 better"]
    assert history[0]["siblings"] == {"count": 2, "index": 2, "prev": 1, "next": None}


def test_an_edit_streams_as_server_sent_events_by_default(owner, chat, openai_backend):
    response = token_client(owner).post(url(chat, 1), {"text": "Q1 again"}, format="json")
    assert response["Content-Type"] == "text/event-stream"
    events = parse_sse(b"".join(list(response)).decode())
    assert events[0] == ("start", events[0][1])
    assert events[0][1]["user_utterance"]["text"] == "Q1 again"
    assert events[-1][1]["utterance"]["text"] == "Echo: Q1 again"


def test_a_retried_edit_stores_nothing_twice(owner, chat, openai_backend):
    client = token_client(owner)
    first = client.post(
        url(chat, 1), {"text": "Q1 b", "client_id": "e2"}, format="json", HTTP_ACCEPT="application/json"
    )
    again = client.post(
        url(chat, 1), {"text": "Q1 b", "client_id": "e2"}, format="json", HTTP_ACCEPT="application/json"
    )
    assert again.json()["reply"]["seq"] == first.json()["reply"]["seq"]
    assert Utterance.objects.filter(session=chat).count() == 4
    assert SessionBranch.objects.filter(session=chat).count() == 1


@pytest.mark.parametrize(
    ("seq", "message"),
    [
        (2, "Only your own messages"),
        (9, "no message 9"),
        ("x", "whole number"),
        (2**63, "at most 9223372036854775807"),
        ("1e3", "whole number"),
    ],
)
def test_a_bad_seq_is_a_400_and_stores_nothing(owner, chat, seq, message):
    response = token_client(owner).post(url(chat, seq), {"text": "t"}, format="json", HTTP_ACCEPT="application/json")
    assert response.status_code == 400
    assert message in str(response.json())
    assert Utterance.objects.filter(session=chat).count() == 2
    assert not SessionBranch.objects.exists()


def test_another_users_session_is_not_found(outsider, chat):
    response = token_client(outsider).post(url(chat, 1), {"text": "t"}, format="json")
    assert response.status_code == 404


def test_an_edit_while_a_reply_is_being_written_is_a_409_and_stores_nothing(owner, chat):
    ReplyInFlight.objects.create(session=chat, client_id="other", expires_at=timezone.now() + timedelta(minutes=5))
    response = token_client(owner).post(url(chat, 1), {"text": "Q1 b"}, format="json", HTTP_ACCEPT="application/json")
    assert response.status_code == 409
    assert Utterance.objects.filter(session=chat).count() == 2
    assert not SessionBranch.objects.exists()


def test_an_edit_with_a_client_id_at_the_limit_keeps_its_reply(owner, chat, openai_backend, settings):
    client_id = "k" * settings.MAX_CLIENT_ID_CHARS
    response = token_client(owner).post(
        url(chat, 1), {"text": "Q1 again", "client_id": client_id}, format="json", HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 200
    assert response.json()["reply"]["text"] == "Echo: Q1 again"


def test_an_edit_whose_client_id_names_a_reply_is_refused_and_stores_nothing(owner, chat, openai_backend):
    client = token_client(owner)
    first = client.post(
        url(chat, 1), {"text": "Q1 b", "client_id": "k1"}, format="json", HTTP_ACCEPT="application/json"
    )
    reply_client_id = Utterance.objects.get(session=chat, seq=first.json()["reply"]["seq"]).client_id
    stored = Utterance.objects.filter(session=chat).count()

    response = client.post(
        url(chat, 1), {"text": "EDIT", "client_id": reply_client_id}, format="json", HTTP_ACCEPT="application/json"
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {"client_id": ["This client_id names a reply, not a message of yours."]}
    assert Utterance.objects.filter(session=chat).count() == stored
    assert not ReplyInFlight.objects.filter(session=chat).exists()
