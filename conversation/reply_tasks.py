"""Replies over the WebSocket: run to completion on the server, shared by every tab, stoppable.

A reply runs as a task of its own, not of the socket that asked, so it is finished and stored
even when that tab closes. Deltas go to the session group with their offset in the reply, and the
text so far is kept in the cache (Redis in production) under ``reply:{session_id}``, so a tab that
opens the session mid-reply gets the text so far, then the rest, with nothing doubled. Any tab can
stop the reply: the stop is a flag in the cache (``stop:{session_id}``) that the process running
the reply reads with each write of the text so far (every DELTA_INTERVAL_SECONDS while words come)
and every STOP_POLL_SECONDS besides (while the model is silent); it keeps the partial reply, marked
interrupted. (A channel-layer receive would be the obvious messenger, but cancelling one when the
reply ends can lose other sockets' events in channels-redis.)
"""

import asyncio
import logging
import time
import uuid

from asgiref.sync import sync_to_async

from accounts.models import User
from chatproject import live
from conversation import events
from conversation.db_threads import db_async
from conversation.models import Session, Utterance
from conversation.replies import progress
from conversation.replies.store import reply_latest
from conversation.replies.stream import ReplyDelta, ReplyDone, reply_events
from conversation.replies.turn import Turn, reply_begin

logger = logging.getLogger(__name__)


def off_loop(fn):
    # Cache calls go to the thread pool, not the one thread that thread-sensitive calls share:
    # with hundreds of replies running, that thread would be the bottleneck.
    return sync_to_async(fn, thread_sensitive=False)


DELTA_INTERVAL_SECONDS = 0.05
STOP_POLL_SECONDS = 1.0

# Strong references to the running replies: asyncio keeps only weak ones.
_running: set[asyncio.Task] = set()


async def reply_start(
    *,
    user: User,
    session: Session,
    client_id: str,
    text: str | None = None,
    edit_seq: int | str | None = None,
    regenerate_seq: int | str | None = None,
) -> asyncio.Task | None:
    """Store the message and start the reply as a task of its own; answers once the message is stored.

    ReplyBusy when another message's reply is being written in the session. A retry of the message
    whose reply is being written starts nothing (None): the socket that sent it watches the session
    and hears the rest of that reply. `session`: the user's, read with its persona. `edit_seq`: the
    message is an edit of that user message; `regenerate_seq`: another reply in place of that
    assistant message, no message stored (reply_begin: a retry joins, ValidationError for a bad seq).
    """
    turn = await db_async(_begin)(
        user=user, session=session, text=text, client_id=client_id, edit_seq=edit_seq, regenerate_seq=regenerate_seq
    )
    return _launch(user=user, turn=turn, client_id=client_id)


def _launch(*, user: User, turn: Turn, client_id: str) -> asyncio.Task | None:
    if turn.joined:
        return None
    stream = reply_events(user=user, turn=turn)
    task = asyncio.create_task(
        _run(
            user=user,
            session_id=turn.session.pk,
            client_id=client_id,
            reply_to=turn.user_utterance.seq,
            stream=stream,
        )
    )
    _running.add(task)
    task.add_done_callback(_running.discard)
    return task


def _begin(*, user: User, session: Session, client_id: str, **variant) -> Turn:
    """reply_begin, and the reply's state begun in the cache, in one hop to a database thread."""
    turn = reply_begin(user=user, session_id=session.pk, session=session, client_id=client_id, **variant)
    if not turn.joined:
        progress.reply_state_begin(session.pk, reply_to=turn.user_utterance.seq)
    return turn


async def reply_stop(*, session_id: uuid.UUID) -> None:
    await off_loop(progress.reply_stop_request)(session_id)


async def _stop_requested(session_id, stop: asyncio.Event) -> None:
    """Returns once a stop was asked for the session's reply: heard by a write of the progress
    (`stop` set), or by this look every STOP_POLL_SECONDS while no words come."""
    while not stop.is_set():
        try:
            await asyncio.wait_for(stop.wait(), STOP_POLL_SECONDS)
        except TimeoutError:
            if await off_loop(progress.reply_stop_requested)(session_id):
                return


async def _run(*, user: User, session_id: uuid.UUID, client_id: str, reply_to: int, stream) -> None:
    group = events.session_group(session_id)
    stop = asyncio.Event()
    stopped = asyncio.create_task(_stop_requested(session_id, stop))
    written = ""
    done_sent = False
    pending = ""
    last_flush = 0.0

    async def flush(*, last: bool = False) -> None:
        nonlocal written, pending, last_flush
        if not pending:
            return
        text, pending = pending, ""
        await live.apublish(group, events.reply_delta(session_id=session_id, offset=len(written), text=text))
        written += text
        last_flush = time.monotonic()
        # The last words need no progress: it is ended next, the reply being stored.
        if not last and await off_loop(progress.reply_state_write)(session_id, reply_to=reply_to, text=written):
            stop.set()

    async def relay() -> None:
        nonlocal pending, done_sent
        async for event in stream:
            if isinstance(event, ReplyDelta):
                # Deltas from a fast model are sent at most every DELTA_INTERVAL_SECONDS, in one
                # event: every watching socket gets tens of events a second, not hundreds.
                pending += event.text
                if time.monotonic() - last_flush >= DELTA_INTERVAL_SECONDS:
                    await flush()
            elif isinstance(event, ReplyDone):
                await flush(last=True)
                # Progress goes first: a tab that opens the session now finds the stored reply instead.
                await off_loop(progress.reply_state_end)(session_id)
                await _announce_end(session_id, event.utterance)
                done_sent = True

    await live.apublish(group, events.reply_start(session_id=session_id))
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
            await off_loop(progress.reply_state_end)(session_id)
            stored, _ = await db_async(reply_latest)(session_id=session_id, client_id=client_id)
            if stored is not None:
                await _announce_end(session_id, stored)
            else:
                await live.apublish(group, events.reply_end(session_id=session_id, utterance=None))
    finally:
        stopped.cancel()
        if not done_sent:
            await off_loop(progress.reply_state_end)(session_id)


async def _announce_end(session_id, utterance: Utterance) -> None:
    await live.apublish(
        events.session_group(session_id),
        events.reply_end(session_id=session_id, utterance=utterance),
    )
