"""Storing a reply: its client_id (one per attempt), the newest stored reply to a message, and the
reply stored when its stream ends, through database outages."""

import asyncio
import hashlib
import logging
import re
import uuid

from django.conf import settings
from django.db import InterfaceError, OperationalError, transaction
from django.db.models import Q

from accounts.models import User
from chatproject.db.commit import after_commit
from conversation import inputs
from conversation.db_threads import db_async
from conversation.history.append import utterances_append
from conversation.models import Persona, Role, Session, Utterance
from conversation.replies.after import reply_stored, reply_stored_in_transaction
from conversation.replies.claim import reply_release
from conversation.replies.usage import ReplyUsageOf, reply_usage

logger = logging.getLogger(__name__)


REPLY_SUFFIX = ":reply"


# Pauses between attempts to store a finished reply while the database is unreachable (~30 s).
STORE_RETRY_PAUSES_SECONDS = (0.5, 1, 2, 4, 8, 15)


def reply_client_id(client_id: str, attempt: int) -> str:
    """The client_id a reply is stored under: `{id}:reply`, `{id}:reply:N` for attempt N, or, when
    that would pass MAX_CLIENT_ID_CHARS, the same suffix after a digest of the id (`#<40 hex>:reply`).
    A derived id obeys the one client_id rule that every stored id does, so any id a door accepts
    keeps its reply, whatever the attempt."""
    suffix = REPLY_SUFFIX if attempt == 1 else f"{REPLY_SUFFIX}:{attempt}"
    if len(client_id) + len(suffix) <= settings.MAX_CLIENT_ID_CHARS:
        return client_id + suffix
    return _reply_digest(client_id) + suffix


def _reply_digest(client_id: str) -> str:
    return "#" + hashlib.sha256(client_id.encode("utf-8", "surrogatepass")).hexdigest()[:40]


def reply_latest(*, session_id: uuid.UUID, client_id: str) -> tuple[Utterance | None, int]:
    """The newest stored reply to the message `client_id`, and its attempt number (0: none),
    under either form of reply_client_id."""
    bases = (client_id + REPLY_SUFFIX, _reply_digest(client_id) + REPLY_SUFFIX)
    pattern = re.compile("(?:" + "|".join(map(re.escape, bases)) + r")(?::(\d+))?")
    latest, attempt = None, 0
    named = Q(client_id__startswith=bases[0]) | Q(client_id__startswith=bases[1])
    candidates = Utterance.objects.filter(named, session_id=session_id, role=Role.ASSISTANT)
    for utterance in candidates:
        match = pattern.fullmatch(utterance.client_id)
        if match and int(match.group(1) or 1) > attempt:
            latest, attempt = utterance, int(match.group(1) or 1)
    return latest, attempt


def reply_ended_badly(reply: Utterance) -> bool:
    return bool(reply.metadata.get("error") or reply.metadata.get("interrupted"))


def _store_reply(
    *,
    user: User,
    session_id: uuid.UUID,
    text: str,
    client_id: str,
    reply_client_id: str,
    metadata: dict,
    persona: Persona,
    usage_of: ReplyUsageOf | None = None,
) -> tuple[Session, Utterance] | None:
    if usage_of is not None:  # here, in a thread: counting a long reply and the cache are not for the loop
        metadata = {**metadata, **reply_usage(usage_of=usage_of, text=text)}
    if len(text) > settings.MAX_UTTERANCE_CHARS:
        text, metadata = text[: settings.MAX_UTTERANCE_CHARS], {**metadata, "truncated": True}
    try:
        # The claim goes in the reply's own transaction: whoever hears of the stored reply (its
        # event is sent after the commit) finds the session free, and a switch made the moment it
        # shows is not refused as busy.
        with transaction.atomic():
            result = utterances_append(
                user=user,
                session_id=session_id,
                utterances=[
                    inputs.UtteranceIn(role=Role.ASSISTANT, text=text, client_id=reply_client_id, metadata=metadata)
                ],
            )
            reply_release(session_id=session_id, client_id=client_id)
            if result.created:
                stored = result.utterances[0]
                reply_stored_in_transaction(user=user, session=result.session, reply=stored)
                after_commit(reply_stored, user=user, session=result.session, reply=stored)
    except Session.DoesNotExist:
        logger.info("session %s was deleted or trashed while its reply was streaming; reply dropped", session_id)
        reply_release(session_id=session_id, client_id=client_id)  # a restored session is not left busy
        return None
    # Async callers serialize the session with its persona: the turn's, unless it changed meanwhile
    # (then read here, in a thread).
    if result.session.persona_id == persona.pk:
        result.session.persona = persona
    result.session.persona  # noqa: B018
    return result.session, result.utterances[0]


async def reply_store_through_outages(**kwargs) -> tuple[Session, Utterance] | None:
    """_store_reply, tried again while the database is unreachable (a restart, a failover): the
    reply has been streamed and paid for. Safe to repeat, as the reply's client_id is unique."""
    for pause in STORE_RETRY_PAUSES_SECONDS:
        try:
            return await db_async(_store_reply)(**kwargs)
        except (OperationalError, InterfaceError):
            logger.warning("database unreachable; storing the reply again in %g s", pause, exc_info=True)
            await asyncio.sleep(pause)
    return await db_async(_store_reply)(**kwargs)
