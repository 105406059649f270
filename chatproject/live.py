"""Live events, fanned out through the channel layer to every open tab, from any app.

A user's group, ``user.{id}``, holds every tab of the user (the sidebar's events, the account
page's jobs, the sockets' credential re-checks); conversation/events.py names a session's group
and builds every event. Services publish only after their transaction commits
(publish_after_commit), so a tab never hears of a write that rolled back. A channel layer that is
down loses the event, not the write.
"""

import logging

import redis
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings

from chatproject.channel_layer import group_publishes
from chatproject.db.commit import after_commit
from chatproject.redis_clients import layer_redis

logger = logging.getLogger(__name__)


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


def reaches_other_processes() -> bool:
    """Whether an event published in another process (a job worker) reaches this server's sockets:
    through Redis, yes; the in-memory layer of the embedded default holds this process's alone."""
    return bool(settings.REDIS_URL)


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


def publish_now(events: list[tuple[str, dict]], *, pipe: redis.client.Pipeline | None = None) -> None:
    """Publish from sync code (a request, a database thread of the server), in one round trip.

    With Redis, the events go out as one pipeline of PUBLISH commands in the channel layer's wire
    format (chatproject.channel_layer.group_publishes): an async group_send per event, run from sync
    code, would cost a write more than the write itself. Redis trouble costs the events, never the
    write, and holds it at most REDIS_SOCKET_TIMEOUT_SECONDS.

    Given `pipe`, a pipeline on the layer's Redis (see redis_clients.layer_on_cache_redis), the
    PUBLISH commands are queued on it for the caller to execute with its own commands.
    """
    if pipe is not None:
        group_publishes(pipe, _messages(events))
        return
    if not settings.REDIS_URL:
        # The in-memory layer's queues belong to the server's own loop: publish there.
        async_to_sync(_publish_all)(events)
        return
    pipe = layer_redis().pipeline(transaction=False)
    group_publishes(pipe, _messages(events))
    try:
        pipe.execute()
    except redis.RedisError:
        logger.warning("channel layer unreachable; %d live events lost", len(events), exc_info=True)


def _messages(events: list[tuple[str, dict]]) -> list[tuple[str, dict]]:
    return [(group, {"type": "chat.event", "event": event}) for group, event in events]


def publish_after_commit(events: list[tuple[str, dict]]) -> None:
    """Queue events for after the current transaction's commit (at once outside a transaction)."""
    after_commit(publish_now, events=events)
