"""The chat socket through WebsocketCommunicator, on the real Redis channel layer under make test."""

import asyncio
import contextlib
import json

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from chatproject.asgi import application
from conversation.models import SocketLease, Utterance
from conversation.sessions.create import session_create, session_update
from conversation.sessions.lifecycle import session_delete, session_trash
from tests.conversation.test_frames import frames_of_known_types, json_values
from tests.helpers import browser_cookie, say, socket_headers, socket_open

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

# The test's own ORM calls go through database_sync_to_async too, which closes the thread's
# connection afterwards: a plain sync_to_async thread would keep one pooled connection per test.
db_call = database_sync_to_async


async def connect(user=None, *, origin: str = "http://localhost") -> WebsocketCommunicator:
    return await socket_open(socket_headers(cookie=await browser_cookie(user) if user else None, origin=origin))


async def receive_until(communicator, wanted: str, *, timeout: float = 10) -> list[dict]:
    """Every event up to and including the first of type `wanted`."""
    seen = []
    try:
        async with asyncio.timeout(timeout):
            while True:
                event = await communicator.receive_json_from(timeout=timeout)
                seen.append(event)
                if event["type"] == wanted:
                    return seen
    except TimeoutError:
        raise AssertionError(f"no {wanted} within {timeout} s; got {[e['type'] for e in seen]}") from None


def reply_text(events: list[dict]) -> str:
    text = ""
    for event in events:
        if event["type"] == "reply.delta" and event["offset"] == len(text):
            text += event["text"]
    return text


@pytest.fixture
def make_session(owner):
    return db_call(lambda **kw: session_create(user=owner, **kw))


async def test_an_anonymous_socket_is_refused(db):
    communicator = WebsocketCommunicator(application, "/ws/chat/", headers=[(b"origin", b"http://localhost")])
    connected, code = await communicator.connect()
    assert not connected
    assert code == 4401


async def test_a_cross_origin_socket_is_refused(owner):
    headers = [(b"origin", b"http://evil.example"), (b"cookie", f"sessionid={await browser_cookie(owner)}".encode())]
    communicator = WebsocketCommunicator(application, "/ws/chat/", headers=headers)
    connected, _ = await communicator.connect()
    assert not connected


async def test_a_user_opens_their_session_but_not_another_users(owner, outsider, make_session):
    mine = await make_session()
    theirs = await db_call(session_create)(user=outsider)
    ws = await connect(owner)
    await ws.send_json_to({"type": "open", "session_id": str(theirs.pk)})
    assert await ws.receive_json_from() == {
        "type": "error",
        "code": "not_found",
        "message": "No such session.",
        "ref": "open",
    }
    await ws.send_json_to({"type": "open", "session_id": str(mine.pk)})
    opened = await ws.receive_json_from()
    assert (opened["type"], opened["session"]["id"], opened["reply_in_progress"]) == (
        "session.opened",
        str(mine.pk),
        None,
    )
    await ws.disconnect()


async def test_a_session_in_the_trash_can_be_neither_opened_nor_written_to(owner, make_session):
    session = await make_session()
    await db_call(session_trash)(user=owner, session_id=session.pk)
    ws = await connect(owner)
    await ws.send_json_to({"type": "open", "session_id": str(session.pk)})
    assert (await ws.receive_json_from())["code"] == "not_found"
    await ws.send_json_to({"type": "send", "session_id": str(session.pk), "client_id": "t1", "text": "hello?"})
    refused = await ws.receive_json_from()
    assert (refused["type"], refused["code"]) == ("error", "not_found")
    assert not await db_call(Utterance.objects.filter(session_id=session.pk).exists)()
    await ws.disconnect()


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ("{not json", "bad_json"),
        (json.dumps([1, 2]), "bad_message"),
        (json.dumps({"type": "dance"}), "unknown_type"),
        (json.dumps({"type": "send", "text": "x" * 32001, "client_id": "c"}), "invalid"),
        (json.dumps({"type": "send", "text": "", "client_id": "c"}), "invalid"),
        (json.dumps({"type": "send", "text": 5}), "invalid"),
        (json.dumps({"type": "open", "session_id": "not-a-uuid"}), "not_found"),
    ],
)
async def test_bad_input_gets_an_error_event_and_the_socket_stays_usable(owner, make_session, frame, code):
    session = await make_session()
    ws = await connect(owner)
    await ws.send_to(text_data=frame)
    event = await ws.receive_json_from()
    assert (event["type"], event["code"]) == ("error", code)
    assert event["message"]
    await ws.send_json_to({"type": "open", "session_id": str(session.pk)})
    assert (await ws.receive_json_from())["type"] == "session.opened"
    assert not await db_call(Utterance.objects.exists)()
    await ws.disconnect()


async def test_too_many_messages_a_minute_are_refused(owner, make_session, settings):
    settings.WS_MAX_MESSAGES_PER_MINUTE = 3
    session = await make_session()
    ws = await connect(owner)
    for _ in range(3):
        await ws.send_json_to({"type": "open", "session_id": str(session.pk)})
        assert (await ws.receive_json_from())["type"] == "session.opened"
    await ws.send_json_to({"type": "open", "session_id": str(session.pk)})
    event = await ws.receive_json_from()
    assert (event["type"], event["code"]) == ("error", "rate_limited")
    await ws.disconnect()


async def test_two_tabs_on_one_session_both_get_the_deltas_and_the_stored_reply(owner, make_session, openai_backend):
    session = await make_session()
    first, second = await connect(owner), await connect(owner)
    for ws in (first, second):
        await ws.send_json_to({"type": "open", "session_id": str(session.pk)})
        await receive_until(ws, "session.opened")
    await first.send_json_to({"type": "send", "session_id": str(session.pk), "client_id": "m1", "text": "hi all"})
    for ws in (first, second):
        seen = await receive_until(ws, "reply.end")
        assert reply_text(seen) == "Echo: hi all"
        assert seen[-1]["utterance"]["text"] == "Echo: hi all"
        assert any(e["type"] == "utterance" and e["utterance"]["text"] == "hi all" for e in seen)
    assert await db_call(Utterance.objects.filter(session=session).count)() == 2
    await first.disconnect()
    await second.disconnect()


async def test_a_tab_that_joins_mid_reply_gets_the_text_so_far_then_the_rest(owner, make_session, openai_backend):
    session = await make_session()
    sender = await connect(owner)
    text = "[slow] one two three four five six"
    await sender.send_json_to({"type": "send", "session_id": str(session.pk), "client_id": "m1", "text": text})
    while True:
        event = await sender.receive_json_from(timeout=10)
        if event["type"] == "reply.delta" and event["offset"] > 0:
            break
    late = await connect(owner)
    await late.send_json_to({"type": "open", "session_id": str(session.pk)})
    seen = await receive_until(late, "reply.end")
    opened = next(e for e in seen if e["type"] == "session.opened")
    so_far = opened["reply_in_progress"]["text"]
    assert so_far.startswith("Echo:")
    assembled = so_far
    for event in seen:
        if event["type"] == "reply.delta" and event["offset"] == len(assembled):
            assembled += event["text"]
    assert assembled == f"Echo: {text}"
    assert seen[-1]["utterance"]["text"] == assembled
    await sender.disconnect()
    await late.disconnect()


async def test_stop_keeps_the_partial_reply_marked_interrupted(owner, make_session, openai_backend):
    session = await make_session()
    ws = await connect(owner)
    await ws.send_json_to(
        {"type": "send", "session_id": str(session.pk), "client_id": "m1", "text": "[slow] a b c d e f g h"}
    )
    await receive_until(ws, "reply.delta")
    await ws.send_json_to({"type": "stop"})
    end = (await receive_until(ws, "reply.end"))[-1]
    assert end["utterance"]["metadata"]["interrupted"] is True
    assert end["utterance"]["text"].startswith("Echo:")
    assert len(end["utterance"]["text"]) < len("Echo: [slow] a b c d e f g h")
    await ws.disconnect()


async def test_a_reply_is_finished_and_stored_when_the_sending_tab_closes(owner, make_session, openai_backend):
    session = await make_session()
    sender, watcher = await connect(owner), await connect(owner)
    await watcher.send_json_to({"type": "open", "session_id": str(session.pk)})
    await receive_until(watcher, "session.opened")
    text = "[slow] keep going after I leave"
    await sender.send_json_to({"type": "send", "session_id": str(session.pk), "client_id": "m1", "text": text})
    await receive_until(sender, "reply.delta")
    await sender.disconnect()
    end = (await receive_until(watcher, "reply.end", timeout=20))[-1]
    assert end["utterance"]["text"] == f"Echo: {text}"
    assert "interrupted" not in end["utterance"]["metadata"]
    stored = await db_call(Utterance.objects.get)(session=session, role="assistant")
    assert stored.text == f"Echo: {text}"
    await watcher.disconnect()


async def test_a_new_session_from_the_socket_shows_up_in_the_users_other_tab(owner):
    sender, sidebar = await connect(owner), await connect(owner)
    await sender.send_json_to(
        {"type": "send", "client_id": "first", "text": "start here", "persona": "creative-writer"}
    )
    created = (await receive_until(sidebar, "session.created"))[-1]
    accepted = (await receive_until(sender, "send.accepted"))[-1]
    assert created["session"]["id"] == accepted["session_id"]
    assert created["session"]["persona"]["slug"] == "creative-writer"
    activity = (await receive_until(sidebar, "session.activity"))[-1]
    assert activity["session"]["title"] == "start here"
    await receive_until(sender, "reply.end")
    await sender.disconnect()
    await sidebar.disconnect()


async def a_slow_reply_running(owner, session) -> WebsocketCommunicator:
    """A socket whose message "a" is being answered slowly in `session`."""
    ws = await connect(owner)
    await ws.send_json_to({"type": "send", "session_id": str(session.pk), "client_id": "a", "text": "[slow] a b c d"})
    await receive_until(ws, "send.accepted")
    return ws


async def test_a_second_send_while_a_reply_runs_is_refused(owner, make_session, openai_backend):
    session = await make_session()
    ws = await a_slow_reply_running(owner, session)
    await ws.send_json_to({"type": "send", "session_id": str(session.pk), "client_id": "b", "text": "again"})
    error = (await receive_until(ws, "error"))[-1]
    assert (error["code"], error["ref"], error["client_id"]) == ("busy", "send", "b")
    await receive_until(ws, "reply.end")
    assert not await db_call(Utterance.objects.filter(client_id="b").exists)()
    await ws.disconnect()


async def test_a_resent_message_while_its_reply_runs_joins_it(owner, make_session, openai_backend):
    session = await make_session()
    ws = await connect(owner)
    frame = {"type": "send", "session_id": str(session.pk), "client_id": "a", "text": "[slow] a b c d"}
    await ws.send_json_to(frame)
    await receive_until(ws, "send.accepted")
    await ws.send_json_to(frame)  # a client that lost the first acknowledgement sends again
    events = await receive_until(ws, "reply.end")
    assert [e["type"] for e in events].count("send.accepted") == 1
    assert "error" not in [e["type"] for e in events]
    assert len(openai_backend.requests) == 1
    rows = await db_call(
        lambda: list(Utterance.objects.filter(session=session).order_by("seq").values_list("role", flat=True))
    )()
    assert rows == ["user", "assistant"]
    await ws.disconnect()


async def test_a_first_message_sent_again_lands_in_the_session_it_created_once(owner):
    ws = await connect(owner)
    frame = {"type": "send", "client_id": "first-1", "text": "hello"}
    await ws.send_json_to(frame)
    first = (await receive_until(ws, "send.accepted"))[-1]
    await receive_until(ws, "reply.end")
    await ws.disconnect()

    again = await connect(owner)  # a reload that never heard send.accepted sends it again
    await again.send_json_to(frame)
    second = (await receive_until(again, "send.accepted"))[-1]
    await receive_until(again, "reply.end")
    assert second["session_id"] == first["session_id"]
    rows = await db_call(
        lambda: list(Utterance.objects.filter(session__user=owner).order_by("seq").values_list("role", "text"))
    )()
    assert rows[0] == ("user", "hello")
    assert [role for role, _ in rows] == ["user", "assistant"]
    await again.disconnect()


async def test_an_invalid_send_names_its_message(owner, make_session):
    session = await make_session()
    ws = await connect(owner)
    await ws.send_json_to({"type": "send", "session_id": str(session.pk), "client_id": "b", "text": "x" * 40000})
    error = (await receive_until(ws, "error"))[-1]
    assert (error["code"], error["ref"], error["client_id"]) == ("invalid", "send", "b")
    await ws.disconnect()


async def test_the_api_is_refused_while_a_socket_reply_runs_in_the_session(owner, make_session, openai_backend):
    from tests.helpers import token_client

    session = await make_session()
    ws = await a_slow_reply_running(owner, session)
    response = await db_call(
        lambda: token_client(owner).post(
            f"/api/sessions/{session.pk}/reply/", {"text": "me too"}, format="json", HTTP_ACCEPT="application/json"
        )
    )()
    assert response.status_code == 409
    assert "still being written" in response.json()["detail"]
    await receive_until(ws, "reply.end")
    assert not await db_call(Utterance.objects.filter(text="me too").exists)()
    await ws.disconnect()


async def test_an_idle_socket_outlives_redis_read_timeouts(owner, make_session):
    # channels-redis with redis-py 8 closed idle sockets after 5 s (channels_redis #422).
    session = await make_session()
    ws = await connect(owner)
    await asyncio.sleep(6)
    await ws.send_json_to({"type": "open", "session_id": str(session.pk)})
    assert (await ws.receive_json_from())["type"] == "session.opened"
    await ws.disconnect()


async def test_api_writes_reach_open_tabs(owner, make_session):
    session = await make_session()
    ws = await connect(owner)
    await ws.send_json_to({"type": "open", "session_id": str(session.pk)})
    await receive_until(ws, "session.opened")
    await db_call(session_update)(user=owner, session_id=session.pk, title="Renamed elsewhere")
    renamed = (await receive_until(ws, "session.renamed"))[-1]
    assert renamed["session"]["title"] == "Renamed elsewhere"
    await db_call(session_delete)(user=owner, session_id=session.pk)
    deleted = (await receive_until(ws, "session.deleted"))[-1]
    assert deleted["session_ids"] == [str(session.pk)]
    await ws.disconnect()


@pytest.mark.parametrize("ref", ["send", "edit", "regenerate"])
async def test_a_message_with_a_client_id_at_the_limit_keeps_its_reply(owner, make_session, settings, ref):
    session = await make_session()
    await db_call(say)(owner, session, "Q1")
    await db_call(say)(owner, session, "A1", role="assistant")
    client_id = "k" * settings.MAX_CLIENT_ID_CHARS
    frame = {
        "send": {"type": "send", "session_id": str(session.pk), "text": "hello"},
        "edit": {"type": "edit", "session_id": str(session.pk), "seq": 1, "text": "hello again"},
        "regenerate": {"type": "regenerate", "session_id": str(session.pk), "seq": 2},
    }[ref]
    ws = await connect(owner)
    await ws.send_json_to({**frame, "client_id": client_id})
    seen = await receive_until(ws, "reply.end")
    accepted = next(event for event in seen if event["type"] == "send.accepted")
    assert (accepted["ref"], accepted["client_id"]) == (ref, client_id)
    reply = seen[-1]["utterance"]
    assert reply is not None
    assert reply["role"] == "assistant"
    stored = await db_call(Utterance.objects.get)(session_id=session.pk, seq=reply["seq"])
    assert len(stored.client_id) <= settings.MAX_CLIENT_ID_CHARS
    await ws.disconnect()


UNSTORABLE = ["\ud800", "a\x00b"]


@pytest.mark.parametrize("bad", UNSTORABLE)
@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ({"type": "send", "text": "hi", "client_id": "{bad}"}, "invalid"),
        ({"type": "send", "text": "hi {bad}", "client_id": "c1"}, "invalid"),
        ({"type": "send", "text": "hi", "client_id": "c1", "persona": "{bad}"}, "invalid"),
        ({"type": "send", "text": "hi", "client_id": "c1", "session_id": "{bad}"}, "not_found"),
        ({"type": "edit", "seq": 1, "text": "hi", "client_id": "{bad}"}, "invalid"),
        ({"type": "regenerate", "seq": "{bad}", "client_id": "c1"}, "invalid"),
        ({"type": "open", "session_id": "{bad}"}, "not_found"),
        ({"type": "stop", "session_id": "{bad}"}, "not_found"),
        ({"type": "{bad}"}, "unknown_type"),
    ],
)
async def test_a_frame_with_an_unstorable_string_gets_an_error_and_the_socket_stays_open(
    owner, make_session, frame, code, bad
):
    session = await make_session()
    ws = await connect(owner)
    for _ in range(12):  # more than MAX_SOCKETS_PER_USER: a lease leaked by each would lock the account out
        await ws.send_to(text_data=json.dumps(frame).replace("{bad}", json.dumps(bad)[1:-1]))
        event = await ws.receive_json_from()
        assert (event["type"], event["code"]) == ("error", code)
        assert event["message"]
    await ws.send_json_to({"type": "open", "session_id": str(session.pk)})
    assert (await ws.receive_json_from())["type"] == "session.opened"
    assert not await db_call(Utterance.objects.filter(session_id=session.pk).exists)()
    await ws.disconnect()
    assert not await db_call(SocketLease.objects.exists)()


@pytest.mark.parametrize(
    "text",
    [
        "[" * 30_000 + "]" * 30_000,  # deeper than Python's stack, within the frame limit
        '{"type": "switch", "seq": ' + "9" * 5000 + "}",  # more digits than int() reads
        json.dumps({"type": "switch", "seq": 2**63}),
        json.dumps({"type": "edit", "seq": -1, "text": "x"}),
        '{"type": "regenerate", "seq": 1e400}',
        json.dumps({"type": "switch", "seq": 1.5}),
        json.dumps({"type": "switch", "seq": True}),
    ],
)
async def test_frames_past_what_json_or_64_bits_hold_get_an_error_and_the_socket_stays_open(owner, make_session, text):
    session = await make_session()
    ws = await connect(owner)
    await ws.send_json_to({"type": "open", "session_id": str(session.pk)})
    await receive_until(ws, "session.opened")
    await ws.send_to(text_data=text)
    event = await ws.receive_json_from()
    assert (event["type"], event["code"]) in {("error", "bad_json"), ("error", "invalid"), ("error", "too_large")}
    await ws.send_json_to({"type": "open", "session_id": str(session.pk)})
    assert (await ws.receive_json_from())["type"] == "session.opened"
    await ws.disconnect()


async def test_a_socket_the_server_cancels_gives_its_lease_back(owner):
    ws = await connect(owner)
    assert await db_call(SocketLease.objects.count)() == 1
    ws.future.cancel()  # as Daphne does to an application that outlives its socket, or at shutdown
    with contextlib.suppress(asyncio.CancelledError):
        await ws.future
    assert not await db_call(SocketLease.objects.exists)()


@hypothesis_settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.one_of(frames_of_known_types, json_values))
def test_any_frame_leaves_the_socket_open_and_answering(owner, frame):
    async def go():
        ws = await connect(owner)
        await ws.send_to(text_data=json.dumps(frame))
        probe = {"type": "open", "session_id": "00000000-0000-0000-0000-000000000000"}
        await ws.send_json_to(probe)
        async with asyncio.timeout(10):
            while True:
                event = await ws.receive_json_from(timeout=10)
                if (event["type"], event.get("code"), event.get("ref")) == ("error", "not_found", "open"):
                    break
        assert not ws.future.done()
        await ws.disconnect()

    async_to_sync(go)()
    assert not SocketLease.objects.exists()


async def test_a_socket_closed_by_its_client_before_its_connect_finished_gives_its_lease_back(owner):
    headers = socket_headers(cookie=await browser_cookie(owner))
    communicator = WebsocketCommunicator(application, "/ws/chat/", headers=headers)
    await communicator.send_input({"type": "websocket.connect"})
    await communicator.send_input({"type": "websocket.disconnect", "code": 1001})
    await communicator.wait(timeout=10)
    assert not await db_call(SocketLease.objects.exists)()
