"""A reply's usage, reported by the model server or estimated when it reports none, stored with the
reply and added to the user's day in the reply's own transaction (replies/after.py)."""

import pytest
from django.utils import timezone

from conversation.models import TokenUsageDay
from conversation.sessions.create import session_create
from conversation.tokens import text_tokens
from tests.helpers import token_client

# The reply is stored through database threads: the data must be committed.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def reply_to(owner, session, text: str) -> dict:
    response = token_client(owner).post(
        f"/api/sessions/{session.pk}/reply/", {"text": text}, format="json", HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 200, response.content
    return response.json()["reply"]


def today_of(user) -> tuple:
    row = TokenUsageDay.objects.get(user=user, day=timezone.localdate())
    return row.prompt_tokens, row.completion_tokens, row.calls, row.estimated_calls


def test_usage_the_server_reports_is_stored_as_reported_and_counted(owner, openai_backend):
    reply = reply_to(owner, session_create(user=owner), "one two")
    assert (reply["metadata"]["prompt_tokens"], reply["metadata"]["completion_tokens"]) == (11, 3)
    assert reply["metadata"]["usage"] == "reported"
    assert today_of(owner) == (11, 3, 1, 0)


def test_without_usage_from_the_server_our_count_is_stored_as_estimated_and_counted(owner, openai_backend):
    session = session_create(user=owner)
    reply_to(owner, session, "hello")
    reply = reply_to(owner, session, "[nousage] one two")
    metadata = reply["metadata"]
    assert metadata["usage"] == "estimated"
    assert metadata["completion_tokens"] == text_tokens("Echo: [nousage] one two")
    assert metadata["prompt_tokens"] == metadata["context"]["tokens"] > 0
    assert today_of(owner) == (11 + metadata["prompt_tokens"], 2 + metadata["completion_tokens"], 2, 1)


def test_an_error_before_any_word_without_usage_counts_nothing(owner, openai_backend):
    reply = reply_to(owner, session_create(user=owner), "[500] hi")
    assert reply["metadata"]["error"]
    assert not TokenUsageDay.objects.filter(user=owner).exists()


def test_an_error_after_some_words_counts_what_was_used(owner, openai_backend):
    reply = reply_to(owner, session_create(user=owner), "[error] a b c")
    assert reply["metadata"]["usage"] == "estimated"
    assert today_of(owner) == (reply["metadata"]["prompt_tokens"], reply["metadata"]["completion_tokens"], 1, 1)
