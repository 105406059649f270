"""edit, regenerate and switch on the chat socket: send's rules, and every tab follows the head."""

import pytest
from channels.db import database_sync_to_async

from conversation.branches.edits import utterance_edit
from conversation.history.pages import utterance_page
from conversation.models import Session, Utterance
from conversation.sessions.create import session_create
from tests.conversation.test_consumers import connect, receive_until
from tests.helpers import say

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
db_call = database_sync_to_async


@pytest.fixture
def chat(owner):
    """Q1 A1 Q2 A2 (seqs 1 to 4), stored through the services."""

    def build():
        session = session_create(user=owner)
        for text, role in (("Q1", "user"), ("A1", "assistant"), ("Q2", "user"), ("A2", "assistant")):
            say(owner, session, text, role=role)
        return session

    return db_call(build)


def active_texts(session) -> list[str]:
    page = utterance_page(user=session.user, session_id=session.pk, limit=50)
    return [u.text for u in page.utterances]


async def two_tabs(owner, session):
    tabs = [await connect(owner), await connect(owner)]
    for ws in tabs:
        await ws.send_json_to({"type": "open", "session_id": str(session.pk)})
        await receive_until(ws, "session.opened")
    return tabs


async def test_an_edit_moves_every_tab_to_the_new_branch_and_is_answered(owner, chat, openai_backend):
    session = await chat()
    sender, other = await two_tabs(owner, session)
    await sender.send_json_to({"type": "edit", "seq": 3, "client_id": "e1", "text": "Q2 edited"})
    accepted = (await receive_until(sender, "send.accepted"))[-1]
    assert (accepted["ref"], accepted["client_id"], accepted["session_id"]) == ("edit", "e1", str(session.pk))
    seen = await receive_until(other, "reply.end")
    head = next(e for e in seen if e["type"] == "session.head")
    assert head == {"type": "session.head", "session_id": str(session.pk), "head_seq": 2}
    assert seen[-1]["utterance"]["text"] == "Echo: Q2 edited"
    assert seen[-1]["utterance"]["parent_seq"] == 5
    assert await db_call(active_texts)(session) == ["Q1", "A1", "Q2 edited", "Echo: Q2 edited"]
    for ws in (sender, other):
        await ws.disconnect()


async def test_an_edit_sent_again_is_stored_once(owner, chat, openai_backend):
    session = await chat()
    ws = await connect(owner)
    frame = {"type": "edit", "session_id": str(session.pk), "seq": 1, "client_id": "e1", "text": "Q1 b"}
    await ws.send_json_to(frame)
    await receive_until(ws, "reply.end")
    await ws.send_json_to(frame)  # a reload that never heard send.accepted
    await receive_until(ws, "send.accepted")
    assert await db_call(Utterance.objects.filter(session=session, client_id="e1").count)() == 1
    assert await db_call(Utterance.objects.filter(session=session).count)() == 6
    assert len(openai_backend.requests) == 1
    await ws.disconnect()


async def test_a_regeneration_is_a_sibling_of_the_reply_it_replaces(owner, chat, openai_backend):
    session = await chat()
    sender, other = await two_tabs(owner, session)
    await sender.send_json_to({"type": "regenerate", "seq": 4, "client_id": "r1"})
    accepted = (await receive_until(sender, "send.accepted"))[-1]
    assert accepted["ref"] == "regenerate"
    seen = await receive_until(other, "reply.end")
    assert any(e["type"] == "session.head" for e in seen)
    assert seen[-1]["utterance"]["text"] == "Echo: Q2"
    assert seen[-1]["utterance"]["parent_seq"] == 3
    assert await db_call(active_texts)(session) == ["Q1", "A1", "Q2", "Echo: Q2"]
    for ws in (sender, other):
        await ws.disconnect()


async def test_a_switch_answers_the_sender_and_moves_every_tab(owner, chat):
    session = await chat()
    await db_call(utterance_edit)(user=owner, session_id=session.pk, seq=3, text="Q2 b")
    sender, other = await two_tabs(owner, session)
    await sender.send_json_to({"type": "switch", "seq": 4})
    done = (await receive_until(sender, "switch.done"))[-1]
    assert (done["seq"], done["head_seq"]) == (4, 4)
    assert (await receive_until(other, "session.head"))[-1]["head_seq"] == 4
    assert await db_call(active_texts)(session) == ["Q1", "A1", "Q2", "A2"]
    for ws in (sender, other):
        await ws.disconnect()


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        ({"type": "edit", "seq": 2, "text": "x"}, "Only your own messages"),
        ({"type": "edit", "seq": 99, "text": "x"}, "No message"),
        ({"type": "regenerate", "seq": 3}, "reply"),
        ({"type": "switch", "seq": "x"}, "seq"),
    ],
)
async def test_a_bad_seq_is_an_invalid_error_and_stores_nothing(owner, chat, frame, message):
    session = await chat()
    ws = await connect(owner)
    await ws.send_json_to({**frame, "session_id": str(session.pk), "client_id": "bad"})
    error = (await receive_until(ws, "error"))[-1]
    assert (error["code"], error["ref"]) == ("invalid", frame["type"])
    assert message.lower() in error["message"].lower()
    if frame["type"] != "switch":
        assert error["client_id"] == "bad"
    assert await db_call(Utterance.objects.filter(session=session).count)() == 4
    assert await db_call(lambda: Session.objects.get(pk=session.pk).head_seq)() == 4
    await ws.disconnect()


async def test_an_edit_while_a_reply_runs_is_busy_and_stores_nothing(owner, chat, openai_backend):
    session = await chat()
    ws = await connect(owner)
    await ws.send_json_to({"type": "send", "session_id": str(session.pk), "client_id": "a", "text": "[slow] a b c"})
    await receive_until(ws, "send.accepted")
    await ws.send_json_to({"type": "edit", "seq": 3, "client_id": "e1", "text": "Q2 b"})
    error = (await receive_until(ws, "error"))[-1]
    assert (error["code"], error["ref"], error["client_id"]) == ("busy", "edit", "e1")
    await receive_until(ws, "reply.end")
    assert not await db_call(Utterance.objects.filter(client_id="e1").exists)()
    await ws.disconnect()


async def test_a_switch_while_a_reply_runs_is_busy_and_the_reply_lands_on_its_branch(owner, chat, openai_backend):
    session = await chat()
    ws = await connect(owner)
    await ws.send_json_to({"type": "send", "session_id": str(session.pk), "client_id": "a", "text": "[slow] a b c"})
    await receive_until(ws, "send.accepted")
    await ws.send_json_to({"type": "switch", "seq": 2})
    error = (await receive_until(ws, "error"))[-1]
    assert (error["code"], error["ref"]) == ("busy", "switch")
    end = (await receive_until(ws, "reply.end"))[-1]
    assert end["utterance"]["parent_seq"] == 5
    await ws.disconnect()


async def test_another_users_session_is_not_found(outsider, chat):
    session = await chat()
    ws = await connect(outsider)
    for frame in (
        {"type": "edit", "seq": 3, "text": "x", "client_id": "e"},
        {"type": "regenerate", "seq": 4, "client_id": "r"},
        {"type": "switch", "seq": 2},
    ):
        await ws.send_json_to({**frame, "session_id": str(session.pk)})
        error = (await receive_until(ws, "error"))[-1]
        assert (error["code"], error["ref"]) == ("not_found", frame["type"])
    assert await db_call(Utterance.objects.filter(session=session).count)() == 4
    await ws.disconnect()


async def test_without_a_session_named_or_open_it_asks_for_one(owner):
    ws = await connect(owner)
    await ws.send_json_to({"type": "switch", "seq": 1})
    error = (await receive_until(ws, "error"))[-1]
    assert (error["code"], error["ref"]) == ("invalid", "switch")
    assert "session_id" in error["message"]
    await ws.disconnect()
