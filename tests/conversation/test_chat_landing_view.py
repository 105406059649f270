"""The chat page opened at a message: /c/{id}/?at={seq} (docs/landing.md)."""

import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from conversation.branches.edits import utterance_edit
from conversation.sessions.create import session_create
from tests.helpers import say


@pytest.fixture
def long_chat(owner):
    session = session_create(user=owner)
    say(owner, session, *[f"m{n}" for n in range(1, 201)])
    return session


def shown(body: str) -> list[int]:
    return [int(seq) for seq in re.findall(r'<li class="message [a-z ]+" data-seq="(\d+)"', body)]


def config(body: str) -> dict:
    return json.loads(re.search(r'<script id="chat-config" type="application/json">(.*?)</script>', body).group(1))


def queries_for(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_it_renders_the_messages_around_the_seq_and_marks_it(owner_client, long_chat):
    body = owner_client.get(f"/c/{long_chat.pk}/", {"at": 100}).content.decode()
    assert shown(body) == list(range(76, 126))
    assert '<li class="message user landed" data-seq="100" aria-current="location">' in body
    assert config(body)["landing"] == {"at": 100, "leaf": None, "hasNewer": True}
    assert 'id="newer" class="muted small newer">' in body  # shown: newer load on scroll
    assert 'id="landing-banner" class="landing-banner" role="status" hidden>' in body


def test_the_page_at_a_message_makes_the_queries_of_the_page_at_the_end_and_one_more(owner_client, long_chat):
    at_end = queries_for(owner_client, f"/c/{long_chat.pk}/")
    assert queries_for(owner_client, f"/c/{long_chat.pk}/?at=100") == at_end + 1  # the newer half


def test_a_seq_on_another_branch_shows_that_branch_with_the_banner(owner, owner_client):
    session = session_create(user=owner)
    say(owner, session, *[f"m{n}" for n in range(1, 21)])
    utterance_edit(user=owner, session_id=session.pk, seq=5, text="e5")
    say(owner, session, "e6")
    body = owner_client.get(f"/c/{session.pk}/", {"at": 12}).content.decode()
    assert shown(body) == list(range(1, 21))
    assert config(body)["landing"] == {"at": 12, "leaf": 20, "hasNewer": False}
    assert 'id="landing-banner" class="landing-banner" role="status">' in body
    assert "You are viewing another version of this chat." in body


@pytest.mark.parametrize(("at", "notice"), [("abc", "must be a whole number"), ("999", "has no message 999")])
def test_a_bad_or_unknown_seq_shows_the_chat_with_a_notice(owner_client, long_chat, at, notice):
    body = owner_client.get(f"/c/{long_chat.pk}/", {"at": at}).content.decode()
    assert shown(body) == list(range(151, 201))
    assert notice in body
    assert config(body)["landing"] is None


def test_another_users_chat_is_still_404(outsider_client, long_chat):
    assert outsider_client.get(f"/c/{long_chat.pk}/", {"at": 5}).status_code == 404


def test_the_messages_fragment_follows_the_leaf(owner, owner_client):
    session = session_create(user=owner)
    say(owner, session, *[f"m{n}" for n in range(1, 11)])
    utterance_edit(user=owner, session_id=session.pk, seq=5, text="e5")
    response = owner_client.get(f"/c/{session.pk}/messages/", {"after": 6, "leaf": 10})
    assert shown(response.content.decode()) == [7, 8, 9, 10]
    assert owner_client.get(f"/c/{session.pk}/messages/", {"after": 4}).content.decode().count("data-seq") == 1
