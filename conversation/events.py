"""Live events, fanned out through the channel layer to every open tab.

Two groups: ``user.{id}`` (every tab of a user: the sidebar's session.created / renamed / deleted /
activity) and ``session.{id}`` (every tab watching a session: its utterances and reply deltas).
Services publish only after their transaction commits (transaction.on_commit), so a tab never
hears of a write that rolled back. A channel layer that is down loses the event, not the write.
"""

import asyncio
import logging
import threading
import uuid

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import transaction

logger = logging.getLogger(__name__)


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


def session_group(session_id: uuid.UUID | str) -> str:
    return f"session.{session_id}"


def session_summary(session) -> dict:
    """The sidebar's view of a session."""
    return {
        "id": str(session.pk),
        "title": session.title,
        "message_count": session.message_count,
        "last_activity_at": session.last_activity_at.isoformat(),
        "created_at": session.created_at.isoformat(),
    }


def utterance_payload(utterance) -> dict:
    return {
        "seq": utterance.seq,
        "role": utterance.role,
        "text": utterance.text,
        "is_final": utterance.is_final,
        "client_id": utterance.client_id,
        "created_at": utterance.created_at.isoformat(),
        "metadata": utterance.metadata,
    }


async def apublish(group: str, event: dict) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        await layer.group_send(group, {"type": "chat.event", "event": event})
    except Exception:
        logger.warning("channel layer unreachable; %s event to %s lost", event.get("type"), group, exc_info=True)


async def _publish_all(events: list[tuple[str, dict]]) -> None:
    for group, event in events:
        await apublish(group, event)


_publisher: asyncio.AbstractEventLoop | None = None
_publisher_lock = threading.Lock()
PUBLISH_TIMEOUT_SECONDS = 2.0


def _publisher_loop() -> asyncio.AbstractEventLoop:
    """One event loop per process, in a thread of its own, that sync code publishes through.

    async_to_sync from a thread without an event loop would start a loop, and a new Redis
    connection, for every write; this loop keeps one channel layer connected.
    """
    global _publisher
    with _publisher_lock:
        if _publisher is None:
            _publisher = asyncio.new_event_loop()
            threading.Thread(target=_publisher.run_forever, name="event-publisher", daemon=True).start()
        return _publisher


def _publish_now(events: list[tuple[str, dict]]) -> None:
    if not settings.REDIS_URL:
        # The in-memory layer's queues belong to the server's own loop: publish there.
        async_to_sync(_publish_all)(events)
        return
    future = asyncio.run_coroutine_threadsafe(_publish_all(events), _publisher_loop())
    try:
        future.result(timeout=PUBLISH_TIMEOUT_SECONDS)
    except Exception:
        future.cancel()
        logger.warning("live events not published within %s s; lost", PUBLISH_TIMEOUT_SECONDS, exc_info=True)


def publish_after_commit(events: list[tuple[str, dict]]) -> None:
    """Queue events for after the current transaction's commit (at once outside a transaction)."""
    transaction.on_commit(lambda: _publish_now(events))
