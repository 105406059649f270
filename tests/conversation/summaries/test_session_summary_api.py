"""PUT /api/sessions/{id}/context/summary/: the owner rewrites "Earlier in this chat"."""

import pytest

from conversation.models import ContextSummary
from conversation.summaries.services import summary_refresh
from tests.conversation.summaries.conftest import chat
from tests.helpers import token_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def summarized(owner, session, small_context):
    chat(owner, session, 40)
    summary_refresh(session_id=session.pk)
    return session


def put(client, session, body):
    return client.put(f"/api/sessions/{session.pk}/context/summary/", body, format="json")


def test_the_owner_rewrites_the_summary_and_the_context_shows_it(owner, summarized):
    client = token_client(owner)
    response = put(client, summarized, {"text": "  We agreed on plan B.  "})
    assert response.status_code == 200
    body = response.json()
    assert body["text"] == "We agreed on plan B."
    assert body["tokens"] == 6
    assert body["edited_at"] is not None
    assert set(body) == {"seq", "text", "tokens", "messages", "made_by", "created_at", "edited_at"}
    context = client.get(f"/api/sessions/{summarized.pk}/context/").json()
    assert context["summary"] == body


def test_another_users_chat_is_not_found_and_unchanged(outsider, summarized):
    before = ContextSummary.objects.get().text
    response = put(token_client(outsider), summarized, {"text": "mine now"})
    assert (response.status_code, response.json()) == (404, {"detail": "Not found."})
    assert ContextSummary.objects.get().text == before


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"text": "   "}, "text: The summary must not be empty."),
        ({"text": 42}, "text: Must be a string."),
        ({}, "text: This field is required."),
        ({"text": "a\x00b"}, "text: Null characters are not allowed."),
    ],
)
def test_bad_input_is_a_clear_400_and_nothing_is_written(owner, summarized, body, message):
    before = ContextSummary.objects.get().text
    response = put(token_client(owner), summarized, body)
    assert (response.status_code, response.json()["detail"]) == (400, message)
    assert ContextSummary.objects.get().text == before


def test_a_summary_over_the_limits_is_refused(owner, summarized, settings):
    settings.MAX_SUMMARY_CHARS = 50
    response = put(token_client(owner), summarized, {"text": "x" * 51})
    assert response.status_code == 400
    assert response.json()["detail"] == "text: The summary is 51 characters; the limit is 50."
    settings.MAX_SUMMARY_CHARS = 8000
    response = put(token_client(owner), summarized, {"text": "word " * 200})
    assert response.status_code == 400
    assert "the limit is 100. Shorten it." in response.json()["detail"]


def test_a_chat_with_no_summary_yet_is_a_400_that_says_so(owner, session):
    response = put(token_client(owner), session, {"text": "hello"})
    assert response.status_code == 400
    assert "no summary yet" in response.json()["detail"]


def test_a_text_written_over_a_summary_since_superseded_is_a_409_with_the_newest(owner, summarized):
    client = token_client(owner)
    read = client.get(f"/api/sessions/{summarized.pk}/context/").json()["summary"]
    chat(owner, summarized, 40, start=41, tag="new")  # meanwhile, more messages and a newer summary
    newer = summary_refresh(session_id=summarized.pk).summary
    assert newer.seq > read["seq"]

    response = put(client, summarized, {"text": "My plan.", "seq": read["seq"]})

    assert response.status_code == 409
    body = response.json()
    assert body["detail"] == f"A newer summary, of the first {newer.messages} messages, was made meanwhile."
    assert body["summary"]["seq"] == newer.seq
    assert body["summary"]["text"] == newer.text
    assert ContextSummary.objects.get(pk=newer.pk).edited_at is None  # nothing saved
    again = put(client, summarized, {"text": "My plan.", "seq": newer.seq})  # read, and saved again
    assert (again.status_code, again.json()["text"]) == (200, "My plan.")


def test_a_text_written_over_the_newest_summary_is_saved(owner, summarized):
    seq = ContextSummary.objects.get().seq
    response = put(token_client(owner), summarized, {"text": "My plan.", "seq": seq})
    assert (response.status_code, response.json()["text"]) == (200, "My plan.")


@pytest.mark.parametrize("seq", ["5", 5.0, True, -1])
def test_a_seq_that_is_not_a_whole_number_is_a_400(owner, summarized, seq):
    response = put(token_client(owner), summarized, {"text": "My plan.", "seq": seq})
    assert response.status_code == 400
    assert response.json()["detail"].startswith("seq: ")
