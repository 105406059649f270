"""The tree over HTTP: head_seq, parent_seq and siblings on every output; ?branches=all; switch/ and fork/."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from conversation.branches.edits import utterance_edit
from conversation.models import ReplyInFlight
from conversation.sessions.create import session_create
from tests.helpers import say


@pytest.fixture
def chat(owner):
    """Q1 A1 Q2 A2 (seqs 1 to 4), then Q2 edited (5) and answered (6): Q2 has a sibling."""
    session = session_create(user=owner)
    say(owner, session, "Q1")
    say(owner, session, "A1", role="assistant")
    say(owner, session, "Q2")
    say(owner, session, "A2", role="assistant")
    utterance_edit(user=owner, session_id=session.pk, seq=3, text="Q2 b")
    say(owner, session, "A2 b", role="assistant")
    return session


def rows(api, session, **params) -> list[tuple]:
    body = api.get(f"/api/sessions/{session.pk}/utterances/", params).json()
    return [
        (u["seq"], u["parent_seq"], u["text"], u["siblings"]["index"], u["siblings"]["count"]) for u in body["results"]
    ]


def test_the_history_is_the_active_branch_with_each_messages_alternatives(api, chat):
    assert rows(api, chat) == [
        (1, None, "Q1", 1, 1),
        (2, 1, "A1", 1, 1),
        (5, 2, "Q2 b", 2, 2),
        (6, 5, "A2 b", 1, 1),
    ]
    edited = api.get(f"/api/sessions/{chat.pk}/utterances/").json()["results"][2]
    assert edited["siblings"] == {"count": 2, "index": 2, "prev": 3, "next": None}


def test_branches_all_pages_every_stored_utterance_by_seq(api, chat):
    assert [seq for seq, *_ in rows(api, chat, branches="all")] == [1, 2, 3, 4, 5, 6]
    page = api.get(f"/api/sessions/{chat.pk}/utterances/", {"branches": "all", "limit": 2}).json()
    assert "branches=all" in page["previous"]
    assert api.get(f"/api/sessions/{chat.pk}/utterances/", {"branches": "some"}).status_code == 400


def test_sessions_carry_their_head(api, chat):
    assert api.get(f"/api/sessions/{chat.pk}/").json()["head_seq"] == 6
    assert api.get("/api/sessions/").json()["results"][0]["head_seq"] == 6


def test_switch_moves_the_head_to_the_newest_leaf_under_the_message(api, chat):
    response = api.post(f"/api/sessions/{chat.pk}/switch/", {"seq": 3}, format="json")
    assert response.status_code == 200
    assert (response.json()["head_seq"], response.json()["message_count"]) == (4, 4)
    assert [text for _, _, text, _, _ in rows(api, chat)] == ["Q1", "A1", "Q2", "A2"]
    assert rows(api, chat)[2][3:] == (1, 2)


def test_a_switch_while_a_reply_is_being_written_is_a_409(api, chat):
    ReplyInFlight.objects.create(session=chat, client_id="m", expires_at=timezone.now() + timedelta(minutes=1))
    response = api.post(f"/api/sessions/{chat.pk}/switch/", {"seq": 3}, format="json")
    assert response.status_code == 409
    assert "still being written" in response.json()["detail"]
    assert api.get(f"/api/sessions/{chat.pk}/").json()["head_seq"] == 6


def test_an_append_after_a_switch_extends_the_branch_switched_to(api, chat):
    api.post(f"/api/sessions/{chat.pk}/switch/", {"seq": 4}, format="json")
    appended = api.post(f"/api/sessions/{chat.pk}/utterances/", {"role": "user", "text": "Q3"}, format="json").json()
    assert (appended["utterances"][0]["seq"], appended["utterances"][0]["parent_seq"]) == (7, 4)
    assert appended["session"]["head_seq"] == 7


def test_fork_makes_a_new_chat_of_the_branch_up_to_the_message(api, chat):
    response = api.post(f"/api/sessions/{chat.pk}/fork/", {"seq": 5}, format="json")
    assert response.status_code == 201
    fork = response.json()
    assert fork["id"] != str(chat.pk)
    assert (fork["message_count"], fork["head_seq"]) == (3, 3)
    texts = [u["text"] for u in api.get(f"/api/sessions/{fork['id']}/utterances/").json()["results"]]
    assert texts == ["Q1", "A1", "Q2 b"]


@pytest.mark.parametrize(
    ("body", "message"),
    [({"seq": 99}, "This chat has no message 99."), ({"seq": "three"}, "whole number"), ({}, "required")],
)
def test_a_bad_seq_is_a_400_with_a_message(api, chat, body, message):
    for action in ("switch", "fork"):
        response = api.post(f"/api/sessions/{chat.pk}/{action}/", body, format="json")
        assert response.status_code == 400
        assert message in str(response.json()["errors"])
    assert api.get(f"/api/sessions/{chat.pk}/").json()["head_seq"] == 6


def test_another_users_session_is_a_404(outsider_api, chat):
    for action in ("switch", "fork"):
        assert outsider_api.post(f"/api/sessions/{chat.pk}/{action}/", {"seq": 1}, format="json").status_code == 404


def test_exports_hold_the_active_branch(api, chat):
    body = b"".join(api.get(f"/api/sessions/{chat.pk}/export/", {"format": "json"}).streaming_content)
    assert [m["text"] for m in json.loads(body)["messages"]] == ["Q1", "A1", "Q2 b", "A2 b"]
    markdown = b"".join(api.get(f"/api/sessions/{chat.pk}/export/", {"format": "markdown"}).streaming_content)
    assert b"Q2 b" in markdown
    assert b"A2\n" not in markdown


def test_the_json_export_of_every_branch_carries_the_whole_tree(api, chat):
    response = api.get(f"/api/sessions/{chat.pk}/export/", {"format": "json", "branches": "all"})
    data = json.loads(b"".join(response.streaming_content))
    assert data["session"]["branches"] == "all"
    assert data["session"]["head_seq"] == 6
    assert [(m["seq"], m["parent_seq"], m["text"]) for m in data["messages"]] == [
        (1, None, "Q1"),
        (2, 1, "A1"),
        (3, 2, "Q2"),
        (4, 3, "A2"),
        (5, 2, "Q2 b"),
        (6, 5, "A2 b"),
    ]


def test_the_markdown_export_of_every_branch_is_a_400(api, chat):
    response = api.get(f"/api/sessions/{chat.pk}/export/", {"format": "markdown", "branches": "all"})
    assert response.status_code == 400
    assert "JSON only" in response.json()["errors"]["branches"][0]


def test_a_plain_sessions_export_is_its_list_with_each_parent(api, owner):
    session = session_create(user=owner)
    say(owner, session, "hello")
    say(owner, session, "hi", role="assistant")
    body = b"".join(api.get(f"/api/sessions/{session.pk}/export/").streaming_content)
    data = json.loads(body)
    assert data["session"]["branches"] == "active"
    assert [(m["seq"], m["parent_seq"]) for m in data["messages"]] == [(1, None), (2, 1)]
