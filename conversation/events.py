"""Live events, fanned out through the channel layer to every open tab.

Two groups: ``user.{id}`` (every tab of a user: the sidebar's session.created / renamed / deleted /
activity) and ``session.{id}`` (every tab watching a session: its utterances and reply deltas).
Services publish only after their transaction commits (transaction.on_commit), so a tab never
hears of a write that rolled back. A channel layer that is down loses the event, not the write.
"""

import logging
import uuid
from collections.abc import Callable, Iterable
from datetime import datetime

import redis
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import transaction

from chatproject.channel_layer import group_publishes
from chatproject.redis_clients import layer_redis
from chatproject.timestamps import iso_datetime, iso_datetimes
from conversation import shapes
from conversation.models import Session, Utterance

logger = logging.getLogger(__name__)


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


def session_group(session_id: uuid.UUID | str) -> str:
    return f"session.{session_id}"


# Every event a client hears, each built by its own function (named after its type) and nowhere
# else: the objects in them are conversation/shapes.py's, so an event reads as the API does.
# The session in the sidebar's events (session.activity, .renamed, .updated, sessions.imported)
# leaves out its persona, which the writes behind them do not load.


def session_opened(*, session: Session, reply_in_progress: dict | None) -> dict:
    return {"type": "session.opened", "session": shapes.session(session), "reply_in_progress": reply_in_progress}


def send_accepted(*, ref: str, client_id: str, session_id: uuid.UUID | str) -> dict:
    return {"type": "send.accepted", "ref": ref, "client_id": client_id, "session_id": str(session_id)}


def switch_done(*, session_id: uuid.UUID | str, seq: int, head_seq: int | None) -> dict:
    return {"type": "switch.done", "session_id": str(session_id), "seq": seq, "head_seq": head_seq}


def error(*, code: str, message: str, ref: str | None = None, client_id: str | None = None) -> dict:
    """`client_id` names the message a refused send carried; without it the key is left out."""
    event = {"type": "error", "code": code, "message": message, "ref": ref}
    if client_id is not None:
        event["client_id"] = client_id
    return event


def utterance(*, session_id: uuid.UUID | str, utterance: Utterance) -> dict:
    return {"type": "utterance", "session_id": str(session_id), "utterance": shapes.utterance(utterance)}


def reply_start(*, session_id: uuid.UUID | str) -> dict:
    return {"type": "reply.start", "session_id": str(session_id)}


def reply_delta(*, session_id: uuid.UUID | str, offset: int, text: str) -> dict:
    return {"type": "reply.delta", "session_id": str(session_id), "offset": offset, "text": text}


def reply_end(*, session_id: uuid.UUID | str, utterance: Utterance | None) -> dict:
    """The stored reply, or None when nothing was produced."""
    stored = shapes.utterance(utterance) if utterance is not None else None
    return {"type": "reply.end", "session_id": str(session_id), "utterance": stored}


def session_created(*, session: Session) -> dict:
    return {"type": "session.created", "session": shapes.session(session)}


def session_renamed(*, session: Session) -> dict:
    return {"type": "session.renamed", "session": shapes.session(session, with_persona=False)}


def session_updated(*, session: Session) -> dict:
    return {"type": "session.updated", "session": shapes.session(session, with_persona=False)}


def session_activity(*, session: Session) -> dict:
    return {"type": "session.activity", "session": shapes.session(session, with_persona=False)}


def sessions_imported(*, sessions: Iterable[Session]) -> dict:
    return {"type": "sessions.imported", "sessions": [shapes.session(s, with_persona=False) for s in sessions]}


def session_head(*, session: Session) -> dict:
    return {"type": "session.head", "session_id": str(session.pk), "head_seq": session.head_seq}


def session_cleared(*, session_id: uuid.UUID | str) -> dict:
    return {"type": "session.cleared", "session_id": str(session_id)}


def session_deleted(*, session_ids: Iterable[uuid.UUID | str]) -> dict:
    return {"type": "session.deleted", "session_ids": [str(i) for i in session_ids]}


def session_ended(*, session_ids: Iterable[uuid.UUID | str], ended_at: datetime) -> dict:
    return {"type": "session.ended", "session_ids": [str(i) for i in session_ids], "ended_at": iso_datetime(ended_at)}


def sessions_expired(*, session_ids: Iterable[uuid.UUID | str], deleted_at: datetime) -> dict:
    ids = [str(i) for i in session_ids]
    return {"type": "sessions.expired", "session_ids": ids, "deleted_at": iso_datetime(deleted_at)}


def account_export(*, state: dict) -> dict:
    """An account export's state (accounts.selectors.account_export_state), as its detail API answers it."""
    return {"type": "account.export", "export": iso_datetimes(state)}


def account_import(*, state: dict) -> dict:
    """An import's state (imports.selectors.conversation_import_state), as its detail API answers it."""
    return {"type": "account.import", "import": iso_datetimes(state)}


def auth_recheck(*, tokens_only: bool) -> dict:
    """To the user's sockets, not passed on to the browser: check the credentials again."""
    return {"type": "auth.recheck", "tokens_only": tokens_only}


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


def after_commit(func: Callable, /, **kwargs) -> None:
    """Run func(**kwargs) after the current transaction commits (at once outside a transaction).

    Robust: an error of it is logged with the write standing. It never turns a committed write into
    a failed request, and never keeps the other hooks of the same commit from running.
    """

    def hook() -> None:
        func(**kwargs)

    hook.__qualname__ = func.__qualname__  # Django's log line names the hook by it
    transaction.on_commit(hook, robust=True)


def publish_after_commit(events: list[tuple[str, dict]]) -> None:
    """Queue events for after the current transaction's commit (at once outside a transaction)."""
    after_commit(publish_now, events=events)
