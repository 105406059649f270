"""A begun turn's events: the reply streamed from the model and stored when it ends, or the rest of
a reply in flight joined by a retry."""

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

from django.conf import settings

from accounts.models import User
from conversation.assistant import AssistantError, Delta, Usage, assistant_backend
from conversation.db_threads import db_async
from conversation.models import ReplyInFlight, Session, Utterance
from conversation.replies.claim import reply_release
from conversation.replies.progress import aprogress_get
from conversation.replies.store import reply_latest, reply_store_through_outages
from conversation.replies.turn import Turn
from conversation.replies.usage import ReplyUsageOf

# How often a retry that joined a reply in flight looks whether it has ended.
JOIN_POLL_SECONDS = 0.25


@dataclass(frozen=True)
class ReplyStarted:
    session: Session
    user_utterance: Utterance
    joined: bool = False  # a retry that joined the reply in flight of the same message


@dataclass(frozen=True)
class ReplyDelta:
    text: str


@dataclass(frozen=True)
class ReplyDone:
    session: Session
    utterance: Utterance  # the stored assistant utterance


async def reply_events(*, user: User, turn: Turn) -> AsyncIterator[ReplyStarted | ReplyDelta | ReplyDone]:
    """ReplyStarted, ReplyDelta..., ReplyDone of a begun turn.

    Closing the iterator early (a client that went away, a Stop) stores the partial reply marked
    interrupted. Errors of the model and the deadline end the reply with their message kept in its
    metadata. The reply is stored with one short use of a database connection, nothing is held
    while the model streams.
    """
    client_id = turn.claim_client_id or turn.user_utterance.client_id
    start = ReplyStarted(session=turn.session, user_utterance=turn.user_utterance, joined=turn.joined)
    if turn.joined:
        yield start
        async for event in _join(session_id=turn.session.pk, client_id=client_id):
            yield event
        return
    if turn.stored_reply is not None:
        yield start
        yield ReplyDone(session=turn.session, utterance=turn.stored_reply)
        return

    backend = assistant_backend()
    parts: list[str] = []
    metadata: dict = {"backend": backend.name, "model": backend.model}
    started = time.monotonic()
    finished = False
    usage = None
    try:
        # Inside the try: a caller gone right after the start still frees the claim (below).
        yield start
        async with asyncio.timeout(settings.ASSISTANT_DEADLINE_SECONDS):
            async for event in backend.stream(messages=turn.prompt.messages):
                if isinstance(event, Delta):
                    if not parts:
                        metadata["ttft_ms"] = round((time.monotonic() - started) * 1000)
                    parts.append(event.text)
                    yield ReplyDelta(event.text)
                elif isinstance(event, Usage):
                    usage = event
        finished = True
    except AssistantError as exc:
        metadata["error"] = str(exc)
        finished = True
    except TimeoutError:
        metadata["error"] = (
            f"The reply took longer than {settings.ASSISTANT_DEADLINE_SECONDS:g} seconds and was cut off here."
        )
        finished = True
    finally:
        metadata["latency_ms"] = round((time.monotonic() - started) * 1000)
        if not finished:
            metadata["interrupted"] = True
        reply_text = "".join(parts)
        stored = None
        # Shielded: a caller that went away must not also take the partial reply with it.
        if reply_text.strip() or "error" in metadata:
            stored = await asyncio.shield(
                reply_store_through_outages(
                    user=user,
                    session_id=turn.session.pk,
                    text=reply_text if reply_text.strip() else metadata["error"],
                    client_id=client_id,
                    reply_client_id=turn.reply_client_id,
                    metadata=metadata,
                    persona=turn.session.persona,
                    usage_of=ReplyUsageOf(prompt=turn.prompt, reported=usage, model=backend.model, user_id=user.pk),
                )
            )
        else:  # stopped before its first word: nothing to store
            await asyncio.shield(db_async(reply_release)(session_id=turn.session.pk, client_id=client_id))
    if stored is not None:
        yield ReplyDone(session=stored[0], utterance=stored[1])


async def _join(*, session_id: uuid.UUID, client_id: str) -> AsyncIterator[ReplyDelta | ReplyDone]:
    """The rest of a reply in flight, for a retry of its message: the text so far (when the process
    writing it publishes its progress, as socket replies do), then the stored reply."""
    sent = 0
    while True:
        in_flight, session, reply = await db_async(_joined_state)(session_id=session_id, client_id=client_id)
        if not in_flight:
            if reply is not None and session is not None:
                yield ReplyDone(session=session, utterance=reply)
            return
        progress = await aprogress_get(session_id)
        text = (progress or {}).get("text", "")
        if len(text) > sent:
            yield ReplyDelta(text[sent:])
            sent = len(text)
        await asyncio.sleep(JOIN_POLL_SECONDS)


def _joined_state(*, session_id: uuid.UUID, client_id: str) -> tuple[bool, Session | None, Utterance | None]:
    """(still in flight, session, newest reply) of a reply that a retry joined."""
    if ReplyInFlight.objects.filter(session_id=session_id, client_id=client_id).exists():
        return True, None, None
    reply, _ = reply_latest(session_id=session_id, client_id=client_id)
    session = Session.objects.select_related("persona").filter(pk=session_id).first()
    return False, session, reply
