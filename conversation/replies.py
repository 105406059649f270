"""The reply service: store the user's message, stream the assistant's reply, store the reply.

The user's message is committed before the model is called, so it is never lost whatever the
model does. The reply is stored when the stream ends: complete, cut short by an error (the partial
text, the error in its metadata) or interrupted by the caller (the partial text, marked so).
A retry with the same client_id stores no second user message, and answers the stored reply when
there is one instead of asking the model again.
"""

import asyncio
import logging
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

from django.conf import settings

from accounts.models import User
from conversation import inputs, services
from conversation.assistant import AssistantError, Delta, Usage, assistant_backend
from conversation.context import context_window_get
from conversation.db_threads import db_async
from conversation.models import Role, Session, Utterance

logger = logging.getLogger(__name__)

REPLY_SUFFIX = ":reply"


@dataclass(frozen=True)
class ReplyStarted:
    session: Session
    user_utterance: Utterance


@dataclass(frozen=True)
class ReplyDelta:
    text: str


@dataclass(frozen=True)
class ReplyDone:
    session: Session
    utterance: Utterance  # the stored assistant utterance


@dataclass(frozen=True)
class _Turn:
    session: Session
    user_utterance: Utterance
    stored_reply: Utterance | None
    system_prompt: str
    window: list[dict]


def _user_turn(*, user: User, session_id: uuid.UUID | str, text: str, client_id: str | None) -> _Turn:
    result = services.utterances_append(
        user=user,
        session_id=session_id,
        utterances=[inputs.UtteranceIn(role=Role.USER, text=text, client_id=client_id)],
    )
    session = result.session
    stored_reply = None
    if client_id and result.created == 0:
        stored_reply = Utterance.objects.filter(session=session, client_id=client_id + REPLY_SUFFIX).first()
    window = context_window_get(session=session).messages
    return _Turn(
        session=session,
        user_utterance=result.utterances[0],
        stored_reply=stored_reply,
        system_prompt=session.persona.system_prompt,
        window=window,
    )


def _store_reply(
    *, user: User, session_id: uuid.UUID, text: str, client_id: str | None, metadata: dict
) -> tuple[Session, Utterance] | None:
    if len(text) > settings.MAX_UTTERANCE_CHARS:
        text, metadata = text[: settings.MAX_UTTERANCE_CHARS], {**metadata, "truncated": True}
    try:
        result = services.utterances_append(
            user=user,
            session_id=session_id,
            utterances=[
                inputs.UtteranceIn(
                    role=Role.ASSISTANT,
                    text=text,
                    client_id=client_id + REPLY_SUFFIX if client_id else None,
                    metadata=metadata,
                )
            ],
        )
    except Session.DoesNotExist:
        logger.info("session %s was deleted while its reply was streaming; reply dropped", session_id)
        return None
    result.session.persona  # noqa: B018 - loaded here, in a thread: async callers serialize it
    return result.session, result.utterances[0]


async def reply_stream(
    *, user: User, session_id: uuid.UUID | str, text: str, client_id: str | None = None
) -> AsyncIterator[ReplyStarted | ReplyDelta | ReplyDone]:
    """Events of one turn: ReplyStarted, ReplyDelta..., ReplyDone.

    Closing the iterator early (a client that went away, a Stop) stores the partial reply marked
    interrupted. Errors of the model end the reply with their message kept in its metadata.
    """
    turn = await db_async(_user_turn)(user=user, session_id=session_id, text=text, client_id=client_id)
    yield ReplyStarted(session=turn.session, user_utterance=turn.user_utterance)
    if turn.stored_reply is not None:
        yield ReplyDone(session=turn.session, utterance=turn.stored_reply)
        return

    backend = assistant_backend()
    parts: list[str] = []
    metadata: dict = {"backend": backend.name, "model": backend.model}
    started = time.monotonic()
    finished = False
    try:
        async for event in backend.stream(system_prompt=turn.system_prompt, window=turn.window):
            if isinstance(event, Delta):
                if not parts:
                    metadata["ttft_ms"] = round((time.monotonic() - started) * 1000)
                parts.append(event.text)
                yield ReplyDelta(event.text)
            elif isinstance(event, Usage):
                metadata["prompt_tokens"] = event.prompt_tokens
                metadata["completion_tokens"] = event.completion_tokens
        finished = True
    except AssistantError as exc:
        metadata["error"] = str(exc)
        finished = True
    finally:
        metadata["latency_ms"] = round((time.monotonic() - started) * 1000)
        if not finished:
            metadata["interrupted"] = True
        reply_text = "".join(parts)
        stored = None
        if reply_text.strip() or "error" in metadata:
            # Shielded: a caller that went away must not also take the partial reply with it.
            stored = await asyncio.shield(
                db_async(_store_reply)(
                    user=user,
                    session_id=turn.session.pk,
                    text=reply_text if reply_text.strip() else metadata["error"],
                    client_id=client_id,
                    metadata=metadata,
                )
            )
    if stored is not None:
        yield ReplyDone(session=stored[0], utterance=stored[1])
