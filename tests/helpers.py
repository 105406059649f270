"""Helpers the tests share (fixtures stay in the conftest.py files)."""

import asyncio
import threading

from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.db import close_old_connections, connection
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import services as accounts_services
from conversation.history.append import utterances_append
from conversation.inputs import UtteranceIn


def say(user, session, *texts: str, role: str = "user", **fields):
    """Append utterances through the real service; returns the AppendResult."""
    return utterances_append(
        user=user,
        session_id=session.pk,
        utterances=[UtteranceIn(role=role, text=text, **fields) for text in texts],
    )


def plan_of(table: str, sql: str, params: list) -> str:
    """PostgreSQL's plan for `sql`, with fresh statistics and sequential scans off (a test-sized
    table is read whole otherwise)."""
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {table}")
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


def generic_plan_of(table: str, sql: str, params: list) -> str:
    """PostgreSQL's generic plan for `sql` (%s placeholders), as a prepared statement runs it under the
    connection's plan_cache_mode=force_generic_plan: the plan made without the values."""
    text, number = sql, 0
    while "%s" in text:
        number += 1
        text = text.replace("%s", f"${number}", 1)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {table}")
        cursor.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        cursor.execute(f"PREPARE generic_plan_of AS {text}")
        try:
            cursor.execute(f"EXPLAIN EXECUTE generic_plan_of({', '.join(['%s'] * len(params))})", params)
            return "\n".join(row[0] for row in cursor.fetchall())
        finally:
            cursor.execute("DEALLOCATE generic_plan_of")


def token_client(user) -> APIClient:
    """An API client authenticated with a device token of `user`'s that a program has used before: the
    first use writes the token's last use, and query counts are those of every request after it."""
    client = APIClient()
    token, key = accounts_services.device_token_create(user=user, name="Test program")
    accounts_services.device_token_touch(token=token, now=timezone.now())
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


# ---- the chat socket through WebsocketCommunicator ------------------------------------------------


@database_sync_to_async
def browser_cookie(user) -> str:
    """The session cookie of a browser logged in as `user`."""
    browser = Client()
    browser.force_login(user)
    return browser.cookies["sessionid"].value


def socket_headers(*, cookie: str | None = None, token: str | None = None, origin: str = "http://localhost") -> list:
    headers = [(b"origin", origin.encode()), (b"host", b"localhost")]
    if cookie is not None:
        headers.append((b"cookie", f"sessionid={cookie}".encode()))
    if token is not None:
        headers.append((b"authorization", f"Token {token}".encode()))
    return headers


async def socket_open(headers: list) -> WebsocketCommunicator:
    """A chat socket with these handshake headers, accepted."""
    from chatproject.asgi import application

    communicator = WebsocketCommunicator(application, "/ws/chat/", headers=headers)
    connected, _ = await communicator.connect()
    assert connected
    return communicator


async def socket_of(user) -> WebsocketCommunicator:
    """A chat socket of a browser logged in as `user`."""
    return await socket_open(socket_headers(cookie=await browser_cookie(user)))


def in_a_thread(call) -> tuple[threading.Thread, list]:
    """Start `call()` in a thread of its own (its own connection); the list gets what it returned
    or raised once the thread is joined."""
    outcome: list = []

    def run():
        try:
            outcome.append(call())
        except Exception as exc:
            outcome.append(exc)
        finally:
            close_old_connections()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def wait_until_another_transaction_waits_for_a_lock() -> None:
    """Until some transaction (another thread's) waits for a row lock (PostgreSQL's pg_locks)."""
    for _ in range(1000):
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")
            if cursor.fetchone()[0]:
                return
        threading.Event().wait(0.01)
    raise AssertionError("no other transaction ever waited for a lock")


async def group_listen(group: str) -> str:
    """A new channel of the channel layer, added to `group`: what a tab of that group would hear."""
    layer = get_channel_layer()
    channel = await layer.new_channel()
    await layer.group_add(group, channel)
    return channel


async def event_receive(channel: str) -> dict:
    """The next live event on `channel` (conversation/events.py's shape), within 5 seconds."""
    message = await asyncio.wait_for(get_channel_layer().receive(channel), timeout=5)
    return message["event"]
