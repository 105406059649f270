"""Per-user budgets shared by every door: replies at once, replies a minute, open sockets, frame size."""

import asyncio
from datetime import timedelta

import pytest
import websockets
from channels.db import database_sync_to_async
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from accounts import services as accounts_services
from conversation import budgets, socket_heartbeat
from conversation.models import ReplyInFlight, SocketLease, Utterance
from conversation.replies.turn import reply_begin
from conversation.sessions.create import session_create
from tests.helpers import browser_cookie, socket_of

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

db_call = database_sync_to_async


@db_call
def replies_in_flight(user, count: int) -> None:
    """`count` replies being written, begun through the real service (claimed, message stored)."""
    for n in range(count):
        session = session_create(user=user)
        reply_begin(user=user, session_id=session.pk, text=f"question {n}", client_id=f"q{n}")


@db_call
def api_reply(user, *, text: str = "hello"):
    session = session_create(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {accounts_services.device_token_create(user=user, name='p')[1]}")
    return session, client.post(
        f"/api/sessions/{session.pk}/reply/", {"text": text}, format="json", HTTP_ACCEPT="application/json"
    )


async def test_replies_over_the_cap_are_refused_by_the_api_with_nothing_stored(owner, settings):
    settings.MAX_CONCURRENT_REPLIES_PER_USER = 2
    await replies_in_flight(owner, 2)
    session, response = await api_reply(owner)
    assert response.status_code == 429
    assert "2 replies being written already" in response.json()["detail"]
    assert not await db_call(Utterance.objects.filter(session=session).exists)()


async def test_replies_over_the_cap_are_refused_on_the_socket(owner, settings):
    settings.MAX_CONCURRENT_REPLIES_PER_USER = 2
    await replies_in_flight(owner, 2)
    socket = await socket_of(owner)
    await socket.send_json_to({"type": "send", "client_id": "third", "text": "one more"})
    event = await socket.receive_json_from(timeout=5)
    assert (event["type"], event["code"], event["client_id"]) == ("error", "too_many_replies", "third")
    await socket.disconnect()


async def test_other_users_replies_do_not_count(owner, outsider, settings):
    settings.MAX_CONCURRENT_REPLIES_PER_USER = 1
    await replies_in_flight(outsider, 1)
    _, response = await api_reply(owner)
    assert response.status_code == 200


async def test_expired_claims_of_dead_processes_do_not_count(owner, settings):
    settings.MAX_CONCURRENT_REPLIES_PER_USER = 1
    await replies_in_flight(owner, 1)
    await db_call(ReplyInFlight.objects.update)(expires_at=timezone.now() - timedelta(seconds=1))
    _, response = await api_reply(owner)
    assert response.status_code == 200


async def test_a_retry_of_a_reply_in_flight_joins_it_even_at_the_cap(owner, settings):
    settings.MAX_CONCURRENT_REPLIES_PER_USER = 1
    session = await db_call(session_create)(user=owner)
    await db_call(reply_begin)(user=owner, session_id=session.pk, text="hi", client_id="m1")
    turn = await db_call(reply_begin)(user=owner, session_id=session.pk, text="hi", client_id="m1")
    assert turn.joined


async def test_replies_a_minute_are_one_budget_for_the_socket_and_the_api(owner, monkeypatch):
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"api_reply": "2/min"})
    _, first = await api_reply(owner)
    assert first.status_code == 200
    socket = await socket_of(owner)
    await socket.send_json_to({"type": "send", "client_id": "by-socket", "text": "hi"})
    accepted = await socket.receive_json_from(timeout=5)
    while accepted["type"] != "send.accepted":
        accepted = await socket.receive_json_from(timeout=5)
    # Two used, one by each door: the third is refused on both, and starts no session.
    await socket.send_json_to({"type": "send", "client_id": "third", "text": "hi"})
    refused = await socket.receive_json_from(timeout=5)
    while refused["type"] != "error":
        refused = await socket.receive_json_from(timeout=5)
    assert (refused["code"], refused["client_id"]) == ("rate_limited", "third")
    assert "2 replies a minute" in refused["message"]
    _, third = await api_reply(owner)
    assert third.status_code == 429
    await socket.disconnect()


async def test_sockets_over_the_cap_are_closed_with_a_reason(owner, settings):
    settings.MAX_SOCKETS_PER_USER = 2
    first, second = await socket_of(owner), await socket_of(owner)
    third = await socket_of(owner)
    refused = await third.receive_json_from(timeout=5)
    assert (refused["type"], refused["code"]) == ("error", "too_many_sockets")
    assert (await third.receive_output(timeout=5)) == {"type": "websocket.close", "code": 4429}
    await first.disconnect()
    fourth = await socket_of(owner)
    await fourth.send_json_to({"type": "open", "session_id": "00000000-0000-0000-0000-000000000000"})
    assert (await fourth.receive_json_from(timeout=5))["code"] == "not_found"
    for socket in (second, fourth):
        await socket.disconnect()
    assert not await db_call(SocketLease.objects.exists)()


@db_call
def lease_of(user, *, process: str, age_seconds: float, name: str = "") -> None:
    """A lease that `process` took `age_seconds` ago (the clock moved, not slept)."""
    now = timezone.now() - timedelta(seconds=age_seconds)
    assert budgets.socket_lease_acquire(
        user_id=user.pk, channel_name=name or f"{process}!{age_seconds}", process=process, now=now
    )


async def refused(socket) -> bool:
    event = await socket.receive_json_from(timeout=5)
    return event.get("code") == "too_many_sockets"


async def test_a_lease_left_by_a_dead_process_stops_counting_after_socket_lease_seconds(owner, settings):
    settings.MAX_SOCKETS_PER_USER = 1
    await lease_of(owner, process="dead", age_seconds=settings.SOCKET_LEASE_SECONDS - 30)
    assert await refused(await socket_of(owner))  # its lease still counts...
    await db_call(SocketLease.objects.update)(expires_at=timezone.now() - timedelta(seconds=1))
    second = await socket_of(owner)  # ...until SOCKET_LEASE_SECONDS pass without a heartbeat
    await second.send_json_to({"type": "open", "session_id": "00000000-0000-0000-0000-000000000000"})
    assert (await second.receive_json_from(timeout=5))["code"] == "not_found"
    await second.disconnect()


async def test_a_heartbeat_pushes_every_lease_of_its_process_forward_in_one_update(owner, outsider, settings):
    for n in range(3):
        await lease_of(owner if n else outsider, process="alive", age_seconds=170, name=f"alive!{n}")
    await lease_of(owner, process="dead", age_seconds=170)

    @db_call
    def beat_at(seconds_from_now: float) -> int:
        with CaptureQueriesContext(connection) as queries:
            pushed = budgets.socket_leases_heartbeat(
                process="alive", now=timezone.now() + timedelta(seconds=seconds_from_now)
            )
        assert len(queries) == 1
        return pushed

    assert await beat_at(0) == 3
    later = timezone.now() + timedelta(seconds=settings.SOCKET_LEASE_SECONDS - 5)
    # Past the dead process's lease, within the live one's: only the dead one is swept.
    await db_call(budgets.socket_lease_acquire)(user_id=owner.pk, channel_name="new", process="alive", now=later)
    assert sorted(await db_call(lambda: list(SocketLease.objects.values_list("process", flat=True)))()) == ["alive"] * 4


async def test_an_idle_socket_keeps_its_lease_through_the_process_heartbeat(owner, settings):
    settings.SOCKET_HEARTBEAT_SECONDS = 0.05
    socket = await socket_of(owner)
    lapsing = timezone.now() + timedelta(seconds=1)
    await db_call(SocketLease.objects.update)(expires_at=lapsing)  # as if SOCKET_LEASE_SECONDS had nearly passed
    async with asyncio.timeout(5):
        while (await db_call(SocketLease.objects.get)()).expires_at <= lapsing:
            await asyncio.sleep(0.05)
    lease = await db_call(SocketLease.objects.get)()
    assert lease.process == socket_heartbeat.process_id()
    assert lease.expires_at > timezone.now() + timedelta(seconds=settings.SOCKET_LEASE_SECONDS - 5)
    await socket.disconnect()
    assert not await db_call(SocketLease.objects.exists)()


async def test_a_frame_over_the_limit_is_refused_by_the_server_as_it_arrives(live_url, owner, settings):
    cookie = await browser_cookie(owner)
    socket = await websockets.connect(
        live_url.replace("http", "ws", 1) + "/ws/chat/",
        additional_headers={"Cookie": f"sessionid={cookie}", "Origin": live_url},
        max_size=None,
    )
    await socket.send("x" * (settings.WS_MAX_FRAME_BYTES + 1))
    with pytest.raises(websockets.ConnectionClosed) as closed:
        await asyncio.wait_for(socket.recv(), timeout=10)
    # Autobahn (under Daphne) fails such a connection by dropping it, or with 1009 "message too big".
    assert closed.value.rcvd is None or closed.value.rcvd.code == 1009


async def test_a_frame_at_the_limit_gets_an_answer(live_url, owner, settings):
    cookie = await browser_cookie(owner)
    socket = await websockets.connect(
        live_url.replace("http", "ws", 1) + "/ws/chat/",
        additional_headers={"Cookie": f"sessionid={cookie}", "Origin": live_url},
    )
    await socket.send('{"type": "nothing", "pad": "' + "x" * (settings.WS_MAX_FRAME_BYTES - 40) + '"}')
    answer = await asyncio.wait_for(socket.recv(), timeout=10)
    assert '"error"' in answer
    await socket.close()


async def test_a_lease_whose_release_failed_is_deleted_by_the_next_heartbeat_not_renewed(owner):
    process = socket_heartbeat.process_id()
    await lease_of(owner, process=process, age_seconds=10, name="closed")
    await lease_of(owner, process=process, age_seconds=10, name="open")
    socket_heartbeat.release_later("closed")  # as release() does when the database was away
    assert await socket_heartbeat.beat_once() == 1
    assert await db_call(lambda: list(SocketLease.objects.values_list("channel_name", flat=True)))() == ["open"]
