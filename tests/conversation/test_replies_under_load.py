"""Many slow replies at once on one Daphne process with a pool of 20 database connections: every
message and every reply is stored exactly once, nothing answers 5xx, and other requests go on."""

import asyncio
import json
import time

import httpx
import pytest
from django.db.models import Count, Q
from django.test import Client

from accounts.services import device_token_create
from conversation.models import Session, Utterance
from conversation.sessions.create import session_create
from tests.clients import chat_socket, receive_until, reply_end_of
from tests.factories import UserFactory
from tests.servers import ARTIFACTS, database_url_of_tests, start_daphne, stop_process

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

USERS = 10
API_REPLIES_PER_USER = 5
SOCKET_REPLIES_PER_USER = 5
# "Echo: [slow] w1 ... w12": 14 words at 0.3 s, about 4 s a reply: longer than the pool's timeout,
# so a reply that held its request's connection would starve the others into errors.
TEXT = "[slow] " + " ".join(f"w{n}" for n in range(1, 13))


@pytest.fixture
def daphne_with_a_pool_of_20(model_server):
    env = {
        "DATABASE_URL": database_url_of_tests(),
        "DEBUG": "true",
        "DB_POOL_MIN_SIZE": "1",
        "DB_POOL_MAX_SIZE": "20",
        "DB_POOL_TIMEOUT_SECONDS": "2",
        "ASSISTANT_BASE_URL": model_server.url,
        "ASSISTANT_MODEL": "test-model",
        "THROTTLE_API_REPLY": "1000/min",
        "MAX_CONCURRENT_REPLIES_PER_USER": str(API_REPLIES_PER_USER + SOCKET_REPLIES_PER_USER),
    }
    ARTIFACTS.mkdir(exist_ok=True)
    process, url = start_daphne(env=env, log=ARTIFACTS / "daphne-load.log")
    yield url
    stop_process(process)


async def api_reply(client: httpx.AsyncClient, session_id, n: int, *, sse: bool) -> int:
    body = {"text": TEXT, "client_id": f"api-{n}"}
    headers = {"Accept": "text/event-stream" if sse else "application/json"}
    response = await client.post(f"/api/sessions/{session_id}/reply/", json=body, headers=headers, timeout=60)
    if sse:
        assert 'event: done\ndata: {"session"' in response.text
    return response.status_code


async def socket_reply(url: str, cookies: dict, n: int) -> str:
    socket = await chat_socket(url, httpx.Cookies(cookies))
    try:
        client_id = f"ws-{n}"
        await socket.send(json.dumps({"type": "send", "client_id": client_id, "text": TEXT}))
        events = await receive_until(socket, reply_end_of(client_id), timeout=60)
        return events[-1]["utterance"]["text"]
    finally:
        await socket.close()


async def unrelated_request_during(url: str, token: str) -> tuple[int, float]:
    await asyncio.sleep(2)  # every reply is streaming by now
    async with httpx.AsyncClient(base_url=url, headers={"Authorization": f"Token {token}"}) as client:
        response = await client.get("/api/personas/", timeout=30)
        return response.status_code, time.monotonic()


async def finished(awaitable) -> tuple[object, float]:
    result = await awaitable
    return result, time.monotonic()


def test_a_hundred_slow_replies_at_once_all_complete_and_are_stored_once(daphne_with_a_pool_of_20):
    url = daphne_with_a_pool_of_20
    users = [UserFactory(password=None) for _ in range(USERS)]  # signed in without a password
    tokens = {user.pk: device_token_create(user=user, name="load")[1] for user in users}
    cookies = {}
    for user in users:
        client = Client()
        client.force_login(user)
        cookies[user.pk] = {"sessionid": client.cookies["sessionid"].value}
    api_sessions = {user.pk: [session_create(user=user).pk for _ in range(API_REPLIES_PER_USER)] for user in users}

    async def everything():
        clients = {
            user.pk: httpx.AsyncClient(base_url=url, headers={"Authorization": f"Token {tokens[user.pk]}"})
            for user in users
        }
        try:
            api = [
                api_reply(clients[user.pk], session_id, n, sse=n % 2 == 0)
                for user in users
                for n, session_id in enumerate(api_sessions[user.pk])
            ]
            sockets = [socket_reply(url, cookies[user.pk], n) for user in users for n in range(SOCKET_REPLIES_PER_USER)]
            unrelated = unrelated_request_during(url, tokens[users[0].pk])
            return await asyncio.gather(
                asyncio.gather(*map(finished, api)), asyncio.gather(*map(finished, sockets)), unrelated
            )
        finally:
            for client in clients.values():
                await client.aclose()

    api_results, socket_results, (unrelated_status, unrelated_at) = asyncio.run(everything())

    assert [status for status, _ in api_results] == [200] * (USERS * API_REPLIES_PER_USER)
    assert [text for text, _ in socket_results] == [f"Echo: {TEXT}"] * (USERS * SOCKET_REPLIES_PER_USER)
    assert unrelated_status == 200
    assert unrelated_at < max(at for _, at in api_results + socket_results), "it waited for the replies"
    sessions = Session.objects.filter(user__in=users).annotate(
        users=Count("utterances", filter=Q(utterances__role="user")),
        replies=Count("utterances", filter=Q(utterances__role="assistant")),
    )
    assert len(sessions) == USERS * (API_REPLIES_PER_USER + SOCKET_REPLIES_PER_USER)
    assert {(s.users, s.replies) for s in sessions} == {(1, 1)}
    replies = Utterance.objects.filter(session__user__in=users, role="assistant")
    assert {r.text for r in replies} == {f"Echo: {TEXT}"}
    assert not any("error" in r.metadata or "interrupted" in r.metadata for r in replies)
