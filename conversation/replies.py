"""The reply service: store the user's message, stream the assistant's reply, store the reply.

One rule for every door (the API, the socket):
- One reply at a time per session. The reply is claimed (a ReplyInFlight row) before the user's
  message is stored, so a message sent while another is being answered is refused (ReplyBusy)
  and stored nowhere: no u1 u2 a1 a2.
- The user's message is committed before the model is called, so it is never lost whatever the
  model does. The reply is stored when the stream ends: complete, cut short by an error or the
  deadline (the partial text, the error in its metadata), or interrupted by the caller (the
  partial text, marked so).
- A retry with the same client_id stores no second user message. While the first reply is being
  written it joins it (never a second model call); after a completed reply it answers the stored
  one; after a reply that ended in an error or was interrupted it asks the model again, stored as
  a new attempt (client_id `{id}:reply:2`, `:reply:3`, ...; reply_client_id keeps every derived id
  within MAX_CLIENT_ID_CHARS), so an error is never replayed forever.
- No database connection is held while the model streams: the claim and the user's message take
  one briefly, the stored reply another.
"""

import asyncio
import hashlib
import logging
import re
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, InterfaceError, OperationalError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from chatproject.fixed_sql import FixedStatement
from conversation import inputs, selectors, services
from conversation.assistant import AssistantError, Delta, Usage, assistant_backend
from conversation.context import context_window_get
from conversation.db_threads import db_async
from conversation.models import Persona, ReplyInFlight, Role, Session, Utterance
from conversation.services import ReplyBusy

logger = logging.getLogger(__name__)

REPLY_SUFFIX = ":reply"
# How often a retry that joined a reply in flight looks whether it has ended.
JOIN_POLL_SECONDS = 0.25
# Pauses between attempts to store a finished reply while the database is unreachable (~30 s).
STORE_RETRY_PAUSES_SECONDS = (0.5, 1, 2, 4, 8, 15)


class ReplyBudgetExceeded(Exception):
    """The user has MAX_CONCURRENT_REPLIES_PER_USER replies being written already, by any door."""

    def __init__(self) -> None:
        limit = settings.MAX_CONCURRENT_REPLIES_PER_USER
        super().__init__(
            f"You have {limit} replies being written already, the most at once: wait for one to end, "
            "or stop one, then send."
        )


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


@dataclass(frozen=True)
class Turn:
    """A message stored and its reply claimed (or joined, or found stored): what reply_events needs."""

    session: Session
    user_utterance: Utterance
    joined: bool
    stored_reply: Utterance | None
    reply_client_id: str
    system_prompt: str
    window: list[dict]
    # The client_id the reply is claimed under, when it is not the message's own (a regeneration
    # answers an earlier message under a client_id of its own).
    claim_client_id: str | None = None


def progress_key(session_id) -> str:
    return f"reply:{session_id}"


def reply_state_ttl() -> int:
    """Seconds that per-reply state (claim, progress, stop flag) lives: it outlives any reply (the
    deadline bounds it, and storing it through an outage takes ~30 s more), yet frees a session
    whose process died mid-reply."""
    return int(settings.ASSISTANT_DEADLINE_SECONDS + 60)


def stop_key(session_id) -> str:
    return f"stop:{session_id}"


def reply_state_write(session_id, *, reply_to: int, text: str) -> bool:
    """Record the reply being written: {"reply_to": seq, "text": so far}; and whether a stop was
    asked for it. One thread hop for both, and no read-modify-write: the task writing the reply
    keeps its text and writes it whole (replies are capped at MAX_UTTERANCE_CHARS).

    The progress lives in the cache (Redis in production) for the tabs and retries that join the
    reply mid-way; it is a convenience, not the record: with Redis down they get the stored reply.
    """
    cache.set(progress_key(session_id), {"reply_to": reply_to, "text": text}, reply_state_ttl())
    return bool(cache.get(stop_key(session_id)))


def reply_state_begin(session_id, *, reply_to: int) -> None:
    """A new reply: its progress starts empty, and a stop asked of an earlier reply is forgotten."""
    cache.set_many(
        {progress_key(session_id): {"reply_to": reply_to, "text": ""}, stop_key(session_id): 0}, reply_state_ttl()
    )


def reply_state_end(session_id) -> None:
    cache.delete_many([progress_key(session_id), stop_key(session_id)])


def reply_stop_request(session_id) -> None:
    cache.set(stop_key(session_id), 1, reply_state_ttl())


def reply_stop_requested(session_id) -> bool:
    return bool(cache.get(stop_key(session_id)))


def progress_get(session_id) -> dict | None:
    """{"reply_to": seq, "text": so far} of the reply being written in the session, or None."""
    try:
        return cache.get(progress_key(session_id))
    except Exception:
        logger.warning("cache unreachable; reply progress of %s unknown", session_id, exc_info=True)
        return None


# Cache calls run on the thread pool, not on the one thread that thread-sensitive calls share:
# with hundreds of replies running, that thread would be the bottleneck.
aprogress_get = sync_to_async(progress_get, thread_sensitive=False)


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


def _ended_badly(reply: Utterance) -> bool:
    return bool(reply.metadata.get("error") or reply.metadata.get("interrupted"))


def _claim(*, session: Session, client_id: str, sweep: bool = False) -> bool:
    """Claim the session for the reply to `client_id`: True when claimed, False when that same
    message's reply is in flight already (a retry, to join it); ReplyBusy for another message's.

    A claim left by a process that died expires: it is swept when it stands in the way."""
    now = timezone.now()
    if sweep:
        ReplyInFlight.objects.filter(session=session, expires_at__lt=now).delete()
    expires_at = now + timedelta(seconds=reply_state_ttl())
    try:
        with transaction.atomic():
            _check_user_budget(session=session, now=now)
            stamp = ReplyInFlight._meta.get_field("expires_at").get_db_prep_value
            _CLAIM_INSERT.run(
                [selectors.session_db_id(session.pk), client_id, stamp(now, connection), stamp(expires_at, connection)]
            )
        return True
    except IntegrityError:
        pass
    holder, expired = ReplyInFlight.objects.filter(session=session).values_list(
        "client_id", Q(expires_at__lt=now)
    ).first() or (None, False)
    if holder == client_id and not expired:
        return False
    if holder is None or (expired and not sweep):  # ended, or expired, since our insert: try once more
        return _claim(session=session, client_id=client_id, sweep=True)
    raise ReplyBusy


def _check_user_budget(*, session: Session, now) -> None:
    """ReplyBudgetExceeded when the session's owner has the most replies in flight elsewhere.

    The owner's row is locked first, so that claims from two doors at once count one after the
    other. The count reads the in-flight table, which holds only the replies being written now.
    A session already claimed is left to the caller's conflict handling (a retry joins its reply).
    """
    _OWNER_LOCK.rows([session.user_id])
    expires = ReplyInFlight._meta.get_field("expires_at").get_db_prep_value(now, connection)
    ((in_flight,),) = _IN_FLIGHT_ELSEWHERE.rows([session.user_id, expires, selectors.session_db_id(session.pk)])
    if (
        in_flight >= settings.MAX_CONCURRENT_REPLIES_PER_USER
        and not ReplyInFlight.objects.filter(session=session).exists()
    ):
        raise ReplyBudgetExceeded


def _owner_lock_sql(quote) -> str:
    table, pk = quote(User._meta.db_table), quote(User._meta.pk.column)
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""  # SQLite locks the file
    return f"SELECT {pk} FROM {table} WHERE {pk} = %s{lock}"  # noqa: S608 - names from the models


def _in_flight_elsewhere_sql(quote) -> str:
    claims, sessions = quote(ReplyInFlight._meta.db_table), quote(Session._meta.db_table)
    session_id = quote(ReplyInFlight._meta.get_field("session").column)
    return (
        f"SELECT COUNT(*) FROM {claims} INNER JOIN {sessions}"  # noqa: S608 - names from the models
        f" ON {claims}.{session_id} = {sessions}.{quote(Session._meta.pk.column)}"
        f" WHERE {sessions}.{quote(Session._meta.get_field('user').column)} = %s"
        f" AND {claims}.{quote(ReplyInFlight._meta.get_field('expires_at').column)} >= %s"
        f" AND {claims}.{session_id} <> %s"
    )


def _claim_insert_sql(quote) -> str:
    table, column = quote(ReplyInFlight._meta.db_table), ReplyInFlight._meta.get_field
    columns = ", ".join(quote(column(name).column) for name in ("session", "client_id", "started_at", "expires_at"))
    return f"INSERT INTO {table} ({columns}) VALUES (%s, %s, %s, %s)"  # noqa: S608 - names from the models


def _claim_delete_sql(quote) -> str:
    table, column = quote(ReplyInFlight._meta.db_table), ReplyInFlight._meta.get_field
    return (
        f"DELETE FROM {table} WHERE {quote(column('session').column)} = %s"  # noqa: S608 - names from the models
        f" AND {quote(column('client_id').column)} = %s"
    )


# A claim's statements, fixed (chatproject/fixed_sql.py): every chat turn makes them, and through the
# ORM, building them cost more than running them. The release is one DELETE: QuerySet.delete() wraps
# even a lone fast delete in a transaction of its own (BEGIN and COMMIT: two more round trips).
_OWNER_LOCK = FixedStatement(sql=_owner_lock_sql, columns=lambda: [])
_IN_FLIGHT_ELSEWHERE = FixedStatement(sql=_in_flight_elsewhere_sql, columns=lambda: [])
_CLAIM_INSERT = FixedStatement(sql=_claim_insert_sql, columns=lambda: [])
_CLAIM_DELETE = FixedStatement(sql=_claim_delete_sql, columns=lambda: [])


def _release(*, session_id: uuid.UUID, client_id: str) -> None:
    _CLAIM_DELETE.run([selectors.session_db_id(session_id), client_id])


def reply_begin(
    *,
    user: User,
    session_id: uuid.UUID | str,
    text: str,
    client_id: str | None,
    session: Session | None = None,
    edit_seq: int | str | None = None,
) -> Turn:
    """Claim the session's reply and store the message (sync: a request thread or a database thread).

    `session`: the user's session `session_id` as the caller has just read it with its persona (the
    socket does), saving the read. `edit_seq`: the message is an edit of that user message, stored
    on a new branch (services.utterance_edit). ReplyBusy, with nothing stored, when another
    message's reply is being written in the session; ReplyBudgetExceeded when the user has the most
    replies in flight.
    """
    client_id = client_id or uuid.uuid4().hex
    if session is None or session.user_id != user.pk:
        session = selectors.session_get_for_user(user=user, session_id=session_id)
    persona = session.persona
    claimed = _claim(session=session, client_id=client_id)
    try:
        if edit_seq is None:
            result = services.utterances_append(
                user=user,
                session_id=session.pk,
                utterances=[inputs.UtteranceIn(role=Role.USER, text=text, client_id=client_id)],
            )
        else:
            result = services.utterance_edit(
                user=user, session_id=session.pk, seq=edit_seq, text=text, client_id=client_id
            )
        session = result.session
        if session.persona_id == persona.pk:
            session.persona = persona  # read with the session above: no second read
        if not claimed and result.created:
            # The claim names this message, yet the message was not stored: the request that
            # claimed it failed before storing it (the database went away). The claim is ours.
            ReplyInFlight.objects.filter(session=session, client_id=client_id).update(started_at=timezone.now())
            claimed = True
        stored_reply, attempt = (
            (None, 0) if result.created else reply_latest(session_id=session.pk, client_id=client_id)
        )
        if claimed and stored_reply is not None and not _ended_badly(stored_reply):
            _release(session_id=session.pk, client_id=client_id)
        else:
            stored_reply = None
        return _turn(
            session=session,
            answered=result.utterances[0],
            claimed=claimed,
            stored_reply=stored_reply,
            attempt=attempt,
            client_id=client_id,
        )
    except BaseException:
        if claimed:
            _release(session_id=session.pk, client_id=client_id)
        raise


def regenerate_begin(*, user: User, session_id: uuid.UUID | str, seq: int | str, client_id: str | None) -> Turn:
    """Claim the session's reply and ready another reply in place of the assistant message `seq`
    (services.utterance_regenerate_prepare: a new branch after the message it answered). A retry
    with the same client_id joins the reply in flight or answers the one stored, and readies no
    second branch. ReplyBusy and ReplyBudgetExceeded as reply_begin."""
    client_id = client_id or uuid.uuid4().hex
    session = selectors.session_get_for_user(user=user, session_id=session_id)
    persona = session.persona
    claimed = _claim(session=session, client_id=client_id)
    try:
        answered = selectors.utterance_answered_by(session=session, seq=seq)
        stored_reply, attempt = reply_latest(session_id=session.pk, client_id=client_id)
        if claimed and stored_reply is None:
            session = services.utterance_regenerate_prepare(user=user, session_id=session.pk, seq=seq)
        if claimed and stored_reply is not None and not _ended_badly(stored_reply):
            _release(session_id=session.pk, client_id=client_id)
        else:
            stored_reply = None
        if session.persona_id == persona.pk:
            session.persona = persona
        return _turn(
            session=session,
            answered=answered,
            claimed=claimed,
            stored_reply=stored_reply,
            attempt=attempt,
            client_id=client_id,
            claim_client_id=client_id,
        )
    except BaseException:
        if claimed:
            _release(session_id=session.pk, client_id=client_id)
        raise


def _turn(
    *,
    session: Session,
    answered: Utterance,
    claimed: bool,
    stored_reply: Utterance | None,
    attempt: int,
    client_id: str,
    claim_client_id: str | None = None,
) -> Turn:
    """The Turn of a claimed (or joined) reply to `answered`, with the window the model gets when
    it is to be asked: up to the message answered, so a retry's prompt leaves out the attempts
    that failed."""
    window = []
    if claimed and stored_reply is None:
        window = [m for m in context_window_get(session=session).messages if m["seq"] <= answered.seq]
    return Turn(
        session=session,
        user_utterance=answered,
        joined=not claimed,
        stored_reply=stored_reply,
        reply_client_id=reply_client_id(client_id, attempt + 1),
        system_prompt=session.persona.system_prompt,
        window=window,
        claim_client_id=claim_client_id,
    )


def _store_reply(
    *,
    user: User,
    session_id: uuid.UUID,
    text: str,
    client_id: str,
    reply_client_id: str,
    metadata: dict,
    persona: Persona,
) -> tuple[Session, Utterance] | None:
    if len(text) > settings.MAX_UTTERANCE_CHARS:
        text, metadata = text[: settings.MAX_UTTERANCE_CHARS], {**metadata, "truncated": True}
    try:
        # The claim goes in the reply's own transaction: whoever hears of the stored reply (its
        # event is sent after the commit) finds the session free, and a switch made the moment it
        # shows is not refused as busy.
        with transaction.atomic():
            result = services.utterances_append(
                user=user,
                session_id=session_id,
                utterances=[
                    inputs.UtteranceIn(role=Role.ASSISTANT, text=text, client_id=reply_client_id, metadata=metadata)
                ],
            )
            _release(session_id=session_id, client_id=client_id)
    except Session.DoesNotExist:
        logger.info("session %s was deleted or trashed while its reply was streaming; reply dropped", session_id)
        _release(session_id=session_id, client_id=client_id)  # a restored session is not left busy
        return None
    # Async callers serialize the session with its persona: the turn's, unless it changed meanwhile
    # (then read here, in a thread).
    if result.session.persona_id == persona.pk:
        result.session.persona = persona
    result.session.persona  # noqa: B018
    return result.session, result.utterances[0]


def _joined_state(*, session_id: uuid.UUID, client_id: str) -> tuple[bool, Session | None, Utterance | None]:
    """(still in flight, session, newest reply) of a reply that a retry joined."""
    if ReplyInFlight.objects.filter(session_id=session_id, client_id=client_id).exists():
        return True, None, None
    reply, _ = reply_latest(session_id=session_id, client_id=client_id)
    session = Session.objects.select_related("persona").filter(pk=session_id).first()
    return False, session, reply


async def reply_stream(
    *, user: User, session_id: uuid.UUID | str, text: str, client_id: str | None = None
) -> AsyncIterator[ReplyStarted | ReplyDelta | ReplyDone]:
    """Events of one turn from async code: reply_begin on a database thread, then reply_events."""
    turn = await db_async(reply_begin)(user=user, session_id=session_id, text=text, client_id=client_id)
    async for event in reply_events(user=user, turn=turn):
        yield event


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
    try:
        # Inside the try: a caller gone right after the start still frees the claim (below).
        yield start
        async with asyncio.timeout(settings.ASSISTANT_DEADLINE_SECONDS):
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
                _store_reply_through_outages(
                    user=user,
                    session_id=turn.session.pk,
                    text=reply_text if reply_text.strip() else metadata["error"],
                    client_id=client_id,
                    reply_client_id=turn.reply_client_id,
                    metadata=metadata,
                    persona=turn.session.persona,
                )
            )
        else:  # stopped before its first word: nothing to store
            await asyncio.shield(db_async(_release)(session_id=turn.session.pk, client_id=client_id))
    if stored is not None:
        yield ReplyDone(session=stored[0], utterance=stored[1])


async def _store_reply_through_outages(**kwargs) -> tuple[Session, Utterance] | None:
    """_store_reply, tried again while the database is unreachable (a restart, a failover): the
    reply has been streamed and paid for. Safe to repeat, as the reply's client_id is unique."""
    for pause in STORE_RETRY_PAUSES_SECONDS:
        try:
            return await db_async(_store_reply)(**kwargs)
        except (OperationalError, InterfaceError):
            logger.warning("database unreachable; storing the reply again in %g s", pause, exc_info=True)
            await asyncio.sleep(pause)
    return await db_async(_store_reply)(**kwargs)


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
