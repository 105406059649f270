"""Replies over the WebSocket: run to completion on the server, shared by every tab, stoppable.

A reply runs as a task of its own, not of the socket that asked, so it is finished and stored
even when that tab closes. Deltas go to the session group with their offset in the reply, and the
text so far is kept in the cache (Redis in production) under ``reply:{session_id}``, so a tab that
opens the session mid-reply gets the text so far, then the rest, with nothing doubled. Any tab can
stop the reply: the stop is a flag in the cache (``stop:{session_id}``) that the process running
the reply looks at every STOP_POLL_SECONDS; it keeps the partial reply, marked interrupted. (A
channel-layer receive would be the obvious messenger, but cancelling one when the reply ends can
lose other sockets' events in channels-redis.)
"""

import asyncio
import logging
import time
import uuid

from asgiref.sync import sync_to_async
from django.core.cache import cache

from accounts.models import User
from conversation import events, replies
from conversation.db_threads import db_async
from conversation.models import Utterance

logger = logging.getLogger(__name__)


def off_loop(fn):
    # Cache calls go to the thread pool, not the one thread that thread-sensitive calls share:
    # with hundreds of replies running, that thread would be the bottleneck.
    return sync_to_async(fn, thread_sensitive=False)


DELTA_INTERVAL_SECONDS = 0.05
STOP_POLL_SECONDS = 0.25

# Strong references to the running replies: asyncio keeps only weak ones.
_running: set[asyncio.Task] = set()


def stop_key(session_id) -> str:
    return f"stop:{session_id}"


async def reply_start(*, user: User, session_id: uuid.UUID, text: str, client_id: str) -> asyncio.Task | None:
    """Store the message and start the reply as a task of its own; answers once the message is stored.

    ReplyBusy when another message's reply is being written in the session. A retry of the message
    whose reply is being written starts nothing (None): the socket that sent it watches the session
    and hears the rest of that reply.
    """
    turn = await db_async(replies.reply_begin)(user=user, session_id=session_id, text=text, client_id=client_id)
    if turn.joined:
        return None
    await off_loop(replies.progress_begin)(session_id)
    await off_loop(cache.delete)(stop_key(session_id))
    await off_loop(replies.progress_update)(session_id, reply_to=turn.user_utterance.seq)
    stream = replies.reply_events(user=user, turn=turn)
    task = asyncio.create_task(_run(user=user, session_id=session_id, client_id=client_id, stream=stream))
    _running.add(task)
    task.add_done_callback(_running.discard)
    return task


async def reply_stop(*, session_id: uuid.UUID) -> None:
    await off_loop(cache.set)(stop_key(session_id), 1, replies.reply_state_ttl())


async def _stop_requested(session_id) -> None:
    """Returns once a stop was asked for the session's reply."""
    while not await off_loop(cache.get)(stop_key(session_id)):
        await asyncio.sleep(STOP_POLL_SECONDS)


async def _run(*, user: User, session_id: uuid.UUID, client_id: str, stream) -> None:
    group = events.session_group(session_id)
    stopped = asyncio.create_task(_stop_requested(session_id))
    offset = 0
    done_sent = False
    pending = ""
    last_flush = 0.0

    async def flush() -> None:
        nonlocal offset, pending, last_flush
        if not pending:
            return
        text, pending = pending, ""
        await events.apublish(
            group, {"type": "reply.delta", "session_id": str(session_id), "offset": offset, "text": text}
        )
        offset += len(text)
        last_flush = time.monotonic()
        await off_loop(replies.progress_update)(session_id, text=text)

    async def relay() -> None:
        nonlocal pending, done_sent
        async for event in stream:
            if isinstance(event, replies.ReplyDelta):
                # Deltas from a fast model are sent at most every DELTA_INTERVAL_SECONDS, in one
                # event: every watching socket gets tens of events a second, not hundreds.
                pending += event.text
                if time.monotonic() - last_flush >= DELTA_INTERVAL_SECONDS:
                    await flush()
            elif isinstance(event, replies.ReplyDone):
                await flush()
                # Progress goes first: a tab that opens the session now finds the stored reply instead.
                await off_loop(replies.progress_end)(session_id)
                await _announce_end(session_id, event.utterance)
                done_sent = True

    await events.apublish(group, {"type": "reply.start", "session_id": str(session_id)})
    relaying = asyncio.create_task(relay())
    try:
        await asyncio.wait({relaying, stopped}, return_when=asyncio.FIRST_COMPLETED)
        if not relaying.done():
            relaying.cancel()  # the stream stores the partial reply, marked interrupted
        try:
            await relaying
        except asyncio.CancelledError:
            pass
        except Exception:
            logger.exception("reply in session %s failed", session_id)
        if not done_sent:
            await off_loop(replies.progress_end)(session_id)
            stored, _ = await db_async(replies.reply_latest)(session_id=session_id, client_id=client_id)
            if stored is not None:
                await _announce_end(session_id, stored)
            else:
                await events.apublish(group, {"type": "reply.end", "session_id": str(session_id), "utterance": None})
    finally:
        stopped.cancel()
        await off_loop(replies.progress_end)(session_id)
        await off_loop(cache.delete)(stop_key(session_id))


async def _announce_end(session_id, utterance: Utterance) -> None:
    await events.apublish(
        events.session_group(session_id),
        {"type": "reply.end", "session_id": str(session_id), "utterance": events.utterance_payload(utterance)},
    )
