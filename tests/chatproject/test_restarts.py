"""PostgreSQL and Redis restarted under a running server: the requests after each come back succeed,
and every write the server accepted is stored exactly once."""

import asyncio
import json
import time
import uuid
from dataclasses import dataclass

import httpx
import pytest

from tests.clients import api_token, chat_socket, login, receive_until, reply_end_of
from tests.servers import ARTIFACTS, PostgresServer, RedisServer, manage, start_daphne, stop_process

EMAIL, PASSWORD = "restart@example.com", "restart-pass-4821"
READS = ("/api/sessions/", "/api/sessions/{id}/", "/api/sessions/{id}/utterances/", "/api/sessions/{id}/context/")


@dataclass
class Stack:
    postgres: PostgresServer
    redis: RedisServer
    url: str


# A request waits this long for a pooled connection before its 503 (the server's DB_POOL_TIMEOUT_SECONDS).
POOL_TIMEOUT = 4.0


@pytest.fixture
def stack(tmp_path):
    postgres = PostgresServer()
    redis = RedisServer(tmp_path)
    process = None
    try:
        postgres.create()
        redis.start()
        env = {
            "DATABASE_URL": postgres.url,
            "REDIS_URL": redis.url,
            "DEBUG": "true",
            "DB_POOL_MIN_SIZE": "2",
            "DB_POOL_TIMEOUT_SECONDS": str(POOL_TIMEOUT),
        }
        manage("migrate", "--no-input", env=env)
        manage(
            "shell",
            "-c",
            f"from accounts.models import User; User.objects.create_user(email={EMAIL!r}, password={PASSWORD!r})",
            env=env,
        )
        ARTIFACTS.mkdir(exist_ok=True)
        env["ASSISTANT_OFFLINE_DELAY_SECONDS"] = "0"
        process, url = start_daphne(env=env, log=ARTIFACTS / "restarts-daphne.log")
        yield Stack(postgres=postgres, redis=redis, url=url)
    finally:
        if process is not None:
            stop_process(process)
        redis.stop()
        postgres.destroy()


def requests_round(api: httpx.Client, session_id: str, tag: str, accepted: list[str]) -> list[str]:
    """Writes and reads of every kind; the failures, described."""
    failures = []
    for n in range(5):
        client_id = f"{tag}-{n}"
        response = api.post(
            f"/api/sessions/{session_id}/utterances/", json={"role": "user", "text": client_id, "client_id": client_id}
        )
        if response.status_code in (200, 201):
            accepted.append(client_id)
        else:
            failures.append(f"append {client_id}: {response.status_code}")
        for path in READS:
            response = api.get(path.format(id=session_id))
            if response.status_code != 200:
                failures.append(f"GET {path}: {response.status_code}")
    return failures


async def socket_turn(socket, session_id: str) -> list[str]:
    """What the socket hears of its own message: accepted, then the reply's end."""
    client_id = str(uuid.uuid4())
    await socket.send(json.dumps({"type": "send", "session_id": session_id, "client_id": client_id, "text": "hi"}))
    events = await receive_until(socket, reply_end_of(client_id))
    mine = [e for e in events if e.get("client_id") == client_id or e["type"] == "error" or e in events[-1:]]
    return [e["type"] for e in mine]


async def turns_on_a_new_and_an_old_socket(url: str, cookies: httpx.Cookies, session_id: str, old) -> list[list[str]]:
    new = await chat_socket(url, cookies)
    try:
        return [await socket_turn(new, session_id), await socket_turn(old, session_id)]
    finally:
        await new.close()


def test_requests_succeed_after_postgresql_and_then_redis_restart(stack):
    loop = asyncio.new_event_loop()
    with httpx.Client(base_url=stack.url, timeout=10) as api, httpx.Client(base_url=stack.url, timeout=10) as browser:
        api.headers["Authorization"] = f"Token {api_token(api, email=EMAIL, password=PASSWORD)}"
        login(browser, email=EMAIL, password=PASSWORD)
        session_id = api.post("/api/sessions/", json={}).json()["id"]
        accepted: list[str] = []
        # A socket open through both restarts, as a tab left open is.
        old_socket = loop.run_until_complete(chat_socket(stack.url, browser.cookies))
        try:
            assert requests_round(api, session_id, "before", accepted) == []
            turns = loop.run_until_complete(
                turns_on_a_new_and_an_old_socket(stack.url, browser.cookies, session_id, old_socket)
            )
            assert turns == [["send.accepted", "reply.end"]] * 2

            stack.postgres.restart()
            assert requests_round(api, session_id, "after-postgres", accepted) == []
            assert browser.get(f"/c/{session_id}/").status_code == 200
            turns = loop.run_until_complete(
                turns_on_a_new_and_an_old_socket(stack.url, browser.cookies, session_id, old_socket)
            )
            assert turns == [["send.accepted", "reply.end"]] * 2

            stack.redis.stop()
            stack.redis.start()
            # Sockets first: the layer's pub/sub connection has not noticed the restart yet.
            turns = loop.run_until_complete(
                turns_on_a_new_and_an_old_socket(stack.url, browser.cookies, session_id, old_socket)
            )
            assert turns == [["send.accepted", "reply.end"]] * 2
            assert requests_round(api, session_id, "after-redis", accepted) == []
            assert browser.get(f"/c/{session_id}/").status_code == 200
        finally:
            loop.run_until_complete(old_socket.close())
            loop.close()

        stored = api.get(f"/api/sessions/{session_id}/utterances/", params={"limit": 200}).json()["results"]
        user_texts = [u["text"] for u in stored if u["role"] == "user" and u["text"] != "hi"]
        assert sorted(user_texts) == sorted(accepted)
        assert len(accepted) == 15
        assert sum(u["role"] == "assistant" for u in stored) == 6


def test_the_first_request_after_an_outage_gets_a_connection_at_once(stack):
    """psycopg_pool doubles its reconnect delay while the server is down (about 1, 2, 4, 8, 16 s
    after the outage's first request); without a bound, after a 21 s outage its next attempts come
    at about 28 to 37 s and the first request after the return waits out its pool timeout for a
    503, although the server accepts connections."""
    with httpx.Client(base_url=stack.url, timeout=30) as api:
        api.headers["Authorization"] = f"Token {api_token(api, email=EMAIL, password=PASSWORD)}"
        session_id = api.post("/api/sessions/", json={}).json()["id"]
        detail = f"/api/sessions/{session_id}/"
        assert api.get(detail).status_code == 200

        stack.postgres.stop()
        outage_began = time.monotonic()
        during = api.get(detail)
        assert during.status_code == 503
        assert during.json()["detail"] == "The database is unavailable for a moment; try again."
        time.sleep(8 - (time.monotonic() - outage_began))  # the outage itself
        # The pool knows the server is away: a request waits about DB_POOL_RECONNECT_TIMEOUT_SECONDS
        # (2 s) for its 503, not the pool's whole timeout.
        asked = time.monotonic()
        assert api.get(detail).status_code == 503
        assert time.monotonic() - asked < POOL_TIMEOUT - 1
        time.sleep(21.5 - (time.monotonic() - outage_began))
        stack.postgres.start()  # returns once the server accepts connections

        back = time.monotonic()
        first = api.get(detail)
        waited = time.monotonic() - back
        assert first.status_code == 200, first.text
        assert waited < 2.5
        assert api.post(f"{detail}utterances/", json={"role": "user", "text": "back"}).status_code == 201
