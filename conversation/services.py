"""Writes. Each service runs in one transaction, takes the acting user explicitly and treats another
user's session exactly like a missing one (Session.DoesNotExist)."""

import contextlib
import hashlib
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Case, Count, IntegerField, JSONField, Max, OuterRef, Subquery, Sum, Value, When
from django.db.models.fields.json import KT
from django.db.models.functions import Cast
from django.utils import timezone

from accounts.models import User
from chatproject.timestamps import iso_datetime
from conversation import append_statement, context, events, inputs
from conversation.append_statement import PreparedUtterance
from conversation.models import (
    TRASH,
    ImportedConversation,
    Persona,
    ReplyInFlight,
    RetiredSessionId,
    Role,
    Session,
    SessionAudit,
    SessionBranch,
    Utterance,
)
from conversation.selectors import (
    path_stretches,
    persona_resolve,
    session_db_id,
    session_get_for_user,
    session_id_parse,
    sessions_retention_due,
    stretches_filter,
    utterance_answered_by,
    utterance_at,
)

UNSET: Any = object()


class SessionIdTaken(Exception):
    """A client-chosen session id that named another user's session, now removed for good."""


def _session_id_check_unretired(*, user: User, session_id: uuid.UUID) -> None:
    """An id that once named a session goes back to its owner only (models.RetiredSessionId)."""
    owner_id = RetiredSessionId.objects.filter(pk=session_id).values_list("owner_id", flat=True).first()
    if owner_id is not None and owner_id != user.pk:
        raise SessionIdTaken("This session id was used before and cannot be used again; leave it out for a new one.")


class ReplyBusy(Exception):
    """Another message's reply is being written in this session (conversation/replies.py)."""


@dataclass(frozen=True)
class AppendResult:
    session: Session
    utterances: list[Utterance]  # in the order they were given, stored or found
    created: int  # how many were written by this call


def session_create(
    *,
    user: User,
    persona: Persona | str | None = None,
    title: str = "",
    metadata: dict | None = None,
    session_id: uuid.UUID | None = None,
) -> Session:
    if session_id is not None:
        _session_id_check_unretired(user=user, session_id=session_id)
    session = Session(
        id=session_id or uuid.uuid4(),
        user=user,
        persona=persona_resolve(persona=persona),
        title=inputs.check_title(title),
        metadata=inputs.check_metadata(metadata),
    )
    session.save(force_insert=True)
    _announce_created(session)
    return session


# Names the sessions that first messages create (see session_create_for_message).
FIRST_MESSAGE_NAMESPACE = uuid.UUID("6f1d4c1e-56b3-4e0f-9a57-0c8a3c2d7b10")


def session_create_for_message(*, user: User, client_id: str, persona: Persona | str | None = None) -> Session:
    """The session that a message sent without one creates (the chat page's New Chat).

    Its id is derived from the user and the message's client_id, so a first message sent again
    (a lost acknowledgement, a reload) finds the session it created instead of making another.
    """
    session_id = uuid.uuid5(FIRST_MESSAGE_NAMESPACE, f"{user.pk}:{client_id}")
    existing = Session.objects.filter(pk=session_id, user=user).select_related("persona").first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return session_create(user=user, persona=persona, session_id=session_id)
    except IntegrityError:  # the same message, sent twice at once
        return session_get_for_user(user=user, session_id=session_id)


def _announce_created(session: Session) -> None:
    created = {
        "type": "session.created",
        "session": {**events.session_summary(session), "persona": session.persona.slug},
    }
    events.publish_after_commit([(events.user_group(session.user_id), created)])


def _prepare(items: Sequence[inputs.UtteranceIn], *, field: str) -> list[PreparedUtterance]:
    """Normalize and bound a whole batch before anything is written; errors name `field[i].name`."""
    inputs.check_batch_size(len(items), field_name=field)
    now = timezone.now()
    prepared = []
    for index, item in enumerate(items):
        prefix = f"{field}[{index}]."
        prepared.append(
            PreparedUtterance(
                role=inputs.normalize_role(item.role, field_name=f"{prefix}role"),
                text=inputs.check_text(item.text, field_name=f"{prefix}text"),
                is_final=bool(item.is_final),
                client_id=inputs.check_client_id(item.client_id, field_name=f"{prefix}client_id"),
                created_at=inputs.normalize_timestamp(item.timestamp, now=now),
                metadata=inputs.check_metadata(item.metadata, field_name=f"{prefix}metadata"),
            )
        )
    return prepared


def utterances_append(
    *,
    user: User,
    session_id: uuid.UUID | str,
    utterances: Sequence[inputs.UtteranceIn],
    expect_stored: bool = False,
) -> AppendResult:
    """Append one or many utterances, in order, idempotently by client_id.

    The new ones get the next seqs from one UPDATE ... RETURNING on the session row, which also
    takes the row lock that serializes concurrent appends to one session; then one INSERT (on
    PostgreSQL the two are one statement: see conversation/append_statement.py). A batch that is already stored (every
    client_id found) returns the stored rows and writes nothing.

    New utterances are the common case, so the insert is tried first and a client_id conflict
    (a retry) rolls it back and takes the careful path: look up the stored ones, insert the rest.
    `expect_stored` goes straight to the careful path, for callers that usually re-send stored
    utterances (a whole-conversation save).
    """
    return _append_prepared(
        user=user, session_id=session_id, prepared=_prepare(utterances, field="utterances"), expect_stored=expect_stored
    )


def _append_prepared(
    *, user: User, session_id: uuid.UUID | str, prepared: list[PreparedUtterance], expect_stored: bool
) -> AppendResult:
    if not expect_stored:
        try:
            with append_statement.one_statement_transaction():
                return _append(user=user, session_id=session_id, prepared=prepared, look_up_stored=False)
        except IntegrityError:
            pass  # some client_id is stored already: nothing was written, look them up
    try:
        with transaction.atomic():
            return _append(user=user, session_id=session_id, prepared=prepared, look_up_stored=True)
    except IntegrityError:
        # A concurrent request stored one of these client_ids between our look-up and our insert:
        # everything of ours rolled back; once more, the look-up now finds the committed rows.
        with transaction.atomic():
            return _append(user=user, session_id=session_id, prepared=prepared, look_up_stored=True)


def _append(
    *, user: User, session_id: uuid.UUID | str, prepared: list[PreparedUtterance], look_up_stored: bool
) -> AppendResult:
    client_ids = [p.client_id for p in prepared if p.client_id is not None]
    existing: dict[str, Utterance] = {}
    if look_up_stored and client_ids:
        existing = {
            u.client_id: u
            for u in Utterance.objects.filter(session_id=session_id, session__user=user, client_id__in=client_ids)
        }

    new_items: list[PreparedUtterance] = []
    seen: set[str] = set()
    for item in prepared:
        if item.client_id is not None:
            if item.client_id in existing or item.client_id in seen:
                continue
            seen.add(item.client_id)
        new_items.append(item)

    if not new_items:
        session = session_get_for_user(user=user, session_id=session_id)
        return AppendResult(session=session, utterances=[existing[p.client_id] for p in prepared], created=0)

    session, rows = append_statement.append_rows(user=user, session_id=session_id, items=new_items)
    events.after_commit(_announce_append, user_id=user.pk, session=session, rows=rows)

    by_client_id = existing | {row.client_id: row for row in rows if row.client_id is not None}
    anonymous = iter([row for row in rows if row.client_id is None])
    ordered = [by_client_id[p.client_id] if p.client_id is not None else next(anonymous) for p in prepared]
    return AppendResult(session=session, utterances=ordered, created=len(rows))


def _announce_append(*, user_id: int, session: Session, rows: list[Utterance]) -> None:
    """After an append commits: the cached context window moves to the new state and every open
    tab hears of the new utterances."""
    live = [
        *(
            (
                events.session_group(session.pk),
                {"type": "utterance", "session_id": str(session.pk), "utterance": events.utterance_payload(row)},
            )
            for row in rows
        ),
        (events.user_group(user_id), {"type": "session.activity", "session": events.session_summary(session)}),
    ]
    context.context_window_extend(
        user_id=user_id,
        session_id=session.pk,
        epoch=session.context_epoch,
        previous_seq=session.last_seq - len(rows),
        last_seq=session.last_seq,
        new=[{"role": row.role, "text": row.text, "seq": row.seq} for row in rows if row.is_final],
        live_events=live,
    )


def derived_client_id(*, index: int, role: Any, text: Any, timestamp: Any) -> str:
    """The client_id a save gives a message that has none: its position, role, text and timestamp.

    The voice agent re-sends its whole conversation on every save, so a message keeps its position;
    a retried save derives the same ids and stores nothing twice, while two identical "yes" at
    different positions (or times) stay two messages.
    """
    digest = hashlib.sha256(f"{index}\x1f{role}\x1f{text}\x1f{timestamp}".encode()).hexdigest()
    return f"save:{digest[:40]}"


@transaction.atomic
def conversation_save(
    *,
    user: User,
    messages: Sequence[inputs.UtteranceIn],
    session_id: uuid.UUID | str | None = None,
    persona: Persona | str | None = None,
    title: str | None = None,
    end: bool = False,
) -> AppendResult:
    """Save a whole conversation in one call: create or continue `session_id`, dedupe, end if asked."""
    keyed = [
        m
        if m.client_id
        else replace(m, client_id=derived_client_id(index=i, role=m.role, text=m.text, timestamp=m.timestamp))
        for i, m in enumerate(messages)
    ]
    prepared = _prepare(keyed, field="messages") if keyed else []

    session = None
    created = False
    if session_id is not None:
        session = Session.objects.filter(id=session_id_parse(session_id)).select_for_update().first()
        if session is not None and (session.user_id != user.pk or session.deleted_at is not None):
            raise Session.DoesNotExist("No such session.")
    if session is None:
        session = Session(id=session_id_parse(session_id) if session_id is not None else uuid.uuid4(), user=user)
        if session_id is not None:
            _session_id_check_unretired(user=user, session_id=session.pk)
        session.persona = persona_resolve(persona=persona)
        session.title = inputs.check_title(title or "")
        session.save(force_insert=True)
        created = True
        _announce_created(session)
    else:
        changed = _session_change(
            session,
            title=UNSET if title is None else title,
            persona=UNSET if persona is None else persona,
        )
        if changed:
            session.save(update_fields=changed)
            _announce_changed(session)

    if prepared:
        # A continued conversation is mostly re-sent messages: look them up first. A new session
        # has none stored.
        result = _append_prepared(user=user, session_id=session.pk, prepared=prepared, expect_stored=not created)
    else:
        result = AppendResult(session=session, utterances=[], created=0)
    if end and result.session.ended_at is None:
        ended_at = timezone.now()
        Session.objects.filter(pk=session.pk).update(ended_at=ended_at)
        result.session.ended_at = ended_at
        _announce_ended([(user.pk, session.pk)], ended_at=ended_at)
    return result


@transaction.atomic
def session_update(
    *,
    user: User,
    session_id: uuid.UUID | str,
    title: Any = UNSET,
    persona: Any = UNSET,
    metadata: Any = UNSET,
    pinned: bool | None = None,
    archived: bool | None = None,
) -> Session:
    """Change what is given. `pinned` / `archived` (None: unchanged) set or clear pinned_at /
    archived_at; setting one already set keeps its first time. Every tab hears of the change."""
    session = session_get_for_user(user=user, session_id=session_id, for_update=True)
    changed = _session_change(session, title=title, persona=persona, metadata=metadata)
    moved = _session_move(session, pinned=pinned, archived=archived)
    if changed or moved:
        session.save(update_fields=changed + moved)
    if changed:
        _announce_changed(session)
    if moved:
        _announce_moved([session])
    return session


def _session_move(session: Session, *, pinned: bool | None, archived: bool | None) -> list[str]:
    """Pin/unpin and archive/unarchive `session` (not saved); returns the fields changed."""
    now = timezone.now()
    fields = []
    for wanted, field in ((pinned, "pinned_at"), (archived, "archived_at")):
        if wanted is None or wanted == (getattr(session, field) is not None):
            continue
        setattr(session, field, now if wanted else None)
        fields.append(field)
    return fields


def _session_change(session: Session, *, title: Any = UNSET, persona: Any = UNSET, metadata: Any = UNSET) -> list[str]:
    """Apply the given changes to `session` (not saved); returns the fields changed.

    The one place for the rules of a change, whatever the door: an empty title gives the automatic
    one back (from the first user message), a persona is resolved by slug.
    """
    fields = []
    if title is not UNSET:
        session.title = inputs.check_title(title)
        if not session.title:
            first = session.utterances.filter(role=Role.USER, is_final=True).order_by("seq").first()
            session.title = inputs.auto_title(first.text) if first else ""
        fields.append("title")
    if persona is not UNSET:
        session.persona = persona_resolve(persona=persona)
        fields.append("persona")
    if metadata is not UNSET:
        session.metadata = inputs.check_metadata(metadata)
        fields.append("metadata")
    return fields


def _announce_changed(session: Session) -> None:
    events.publish_after_commit(
        [(events.user_group(session.user_id), {"type": "session.renamed", "session": events.session_summary(session)})]
    )


def _announce_moved(sessions: list[Session]) -> None:
    """Pinned, archived, trashed or back: one session.updated per session to its owner's tabs."""
    events.publish_after_commit(
        [
            (
                events.user_group(session.user_id),
                {"type": "session.updated", "session": events.session_summary(session)},
            )
            for session in sessions
        ]
    )


def _announce_ended(ended: Iterable[tuple[int, uuid.UUID]], *, ended_at: datetime) -> None:
    """One session.ended event per owner of the (user_id, session_id) pairs, after the commit."""
    events.publish_after_commit(
        [
            (
                events.user_group(user_id),
                {"type": "session.ended", "session_ids": session_ids, "ended_at": iso_datetime(ended_at)},
            )
            for user_id, session_ids in _ids_by_owner(ended).items()
        ]
    )


def _ids_by_owner(sessions: Iterable[tuple[int, uuid.UUID]]) -> dict[int, list[str]]:
    """{owner's id: [session ids, as text]} of (user_id, session_id) pairs: for one event per owner."""
    by_owner: dict[int, list[str]] = {}
    for user_id, session_id in sessions:
        by_owner.setdefault(user_id, []).append(str(session_id))
    return by_owner


@transaction.atomic
def session_clear(*, user: User, session_id: uuid.UUID | str) -> Session:
    """Remove every utterance, of every branch, but keep the session; seq numbering continues
    after the old ones."""
    session = session_get_for_user(user=user, session_id=session_id, for_update=True)
    events.after_commit(
        context.context_windows_forget,
        states=[(session.user_id, session.pk, session.context_epoch, session.last_seq)],
    )
    Utterance.objects.filter(session=session).delete()
    SessionBranch.objects.filter(session=session).delete()
    session.message_count = session.user_message_count = 0
    session.assistant_message_count = session.system_message_count = 0
    session.context_epoch += 1
    session.head_seq, session.head_branch, session.branch_path = None, 0, []
    session.save(
        update_fields=[
            "message_count",
            "user_message_count",
            "assistant_message_count",
            "system_message_count",
            "context_epoch",
            "head_seq",
            "head_branch",
            "branch_path",
        ]
    )
    events.publish_after_commit(
        [
            (events.session_group(session.pk), {"type": "session.cleared", "session_id": str(session.pk)}),
            (events.user_group(user.pk), {"type": "session.activity", "session": events.session_summary(session)}),
        ]
    )
    return session


@transaction.atomic
def session_trash(*, user: User, session_id: uuid.UUID | str) -> Session:
    """Move a session to the trash: every door but the trash's answers "not found" for it from now
    on (a reply being written in it is not stored, as after a delete). session_restore puts it back
    as it was."""
    session = session_get_for_user(user=user, session_id=session_id, for_update=True)
    _sessions_mark_trashed([session], trashed=True, actor_id=user.pk, cause=SessionAudit.Cause.USER)
    return session


@transaction.atomic
def session_restore(*, user: User, session_id: uuid.UUID | str) -> Session:
    """Take a session out of the trash, unchanged (a session not in the trash is left as it is, so
    that a retried restore answers the same)."""
    session = session_get_for_user(user=user, session_id=session_id, for_update=True, in_trash=None)
    if session.deleted_at is not None:
        _sessions_mark_trashed([session], trashed=False, actor_id=user.pk, cause=SessionAudit.Cause.USER)
    return session


@transaction.atomic
def session_delete(*, user: User, session_id: uuid.UUID | str) -> None:
    """Remove a session for good, from the trash or not."""
    session = session_get_for_user(user=user, session_id=session_id, for_update=True, in_trash=None)
    sessions_delete(session_ids=[session.pk], actor_id=user.pk)


@transaction.atomic
def sessions_trash_by_staff(*, session_ids: Iterable[uuid.UUID], actor: User) -> int:
    """The admin's "Move to trash": any owner's sessions not in the trash yet; returns how many moved."""
    sessions = list(
        Session.objects.filter(id__in=list(session_ids), deleted_at__isnull=True).select_for_update().order_by("id")
    )
    _sessions_mark_trashed(sessions, trashed=True, actor_id=actor.pk, cause=SessionAudit.Cause.ADMIN)
    return len(sessions)


def _sessions_mark_trashed(sessions: list[Session], *, trashed: bool, actor_id: int | None, cause: str) -> None:
    """Move locked `sessions` to the trash or out of it: one UPDATE, their audit rows, every tab told."""
    if not sessions:
        return
    now = timezone.now()
    changes = {"deleted_at": now} if trashed else {"deleted_at": None, "restored_at": now}
    Session.objects.filter(id__in=[session.pk for session in sessions]).update(**changes)
    for session in sessions:
        for field, value in changes.items():
            setattr(session, field, value)
    action = SessionAudit.Action.TRASH if trashed else SessionAudit.Action.RESTORE
    _audit(action=action, cause=cause, actor_id=actor_id, sessions=[(s.user_id, s.pk) for s in sessions])
    _announce_moved(sessions)


def _audit(*, action: str, cause: str, actor_id: int | None, sessions: list[tuple[int, uuid.UUID]]) -> int:
    """An audit row per (owner id, session id), with the session's stored utterances counted (one
    grouped query); returns their total."""
    counts = dict(
        Utterance.objects.filter(session_id__in=[session_id for _, session_id in sessions])
        .order_by()
        .values("session_id")
        .annotate(n=Count("id"))
        .values_list("session_id", "n")
    )
    SessionAudit.objects.bulk_create(
        SessionAudit(
            action=action,
            cause=cause,
            actor_id=actor_id,
            owner_id=owner_id,
            session_id=session_id,
            utterance_count=counts.get(session_id, 0),
        )
        for owner_id, session_id in sessions
    )
    return sum(counts.values())


BULK_ACTIONS = ("trash", "restore", "archive", "unarchive", "pin", "unpin", "purge")
# What each action sets, on the sessions where it is not so already (a first time is kept).
_BULK_CHANGES = {
    "trash": ("deleted_at", True),
    "restore": ("deleted_at", False),
    "archive": ("archived_at", True),
    "unarchive": ("archived_at", False),
    "pin": ("pinned_at", True),
    "unpin": ("pinned_at", False),
}


@dataclass(frozen=True)
class BulkResult:
    done: int  # the user's sessions the action applied to (those already so included)
    not_found: list[str]  # the ids given that name none of them (another user's, malformed, missing)


@transaction.atomic
def sessions_bulk(*, user: User, session_ids: Sequence[str], action: str) -> BulkResult:
    """Apply one of BULK_ACTIONS to many of the user's sessions, all in one transaction. Sessions in
    the trash are found only by restore and purge, as by every other door."""
    parsed: dict[str, uuid.UUID] = {}
    not_found: list[str] = []
    for raw in dict.fromkeys(str(session_id) for session_id in session_ids):
        try:
            parsed[raw] = session_id_parse(raw)
        except Session.DoesNotExist:
            not_found.append(raw)
    sessions = Session.objects.filter(user=user, id__in=list(parsed.values()))
    if action not in ("restore", "purge"):
        sessions = sessions.filter(deleted_at__isnull=True)
    # Locked in id order, so that two bulk calls over the same sessions queue instead of deadlocking.
    found = {session.pk: session for session in sessions.select_for_update(of=("self",)).order_by("id")}
    not_found += [raw for raw, session_id in parsed.items() if session_id not in found]
    if action == "purge":
        sessions_delete(session_ids=list(found), actor_id=user.pk)
        return BulkResult(done=len(found), not_found=not_found)
    field, wanted = _BULK_CHANGES[action]
    changed = [session for session in found.values() if (getattr(session, field) is not None) != wanted]
    if field == "deleted_at":
        _sessions_mark_trashed(changed, trashed=wanted, actor_id=user.pk, cause=SessionAudit.Cause.USER)
        return BulkResult(done=len(found), not_found=not_found)
    value = timezone.now() if wanted else None
    Session.objects.filter(id__in=[session.pk for session in changed]).update(**{field: value})
    for session in changed:
        setattr(session, field, value)
    _announce_moved(changed)
    return BulkResult(done=len(found), not_found=not_found)


def trash_empty(*, user: User, batch_size: int = 1000) -> tuple[int, int]:
    """Remove every session in the user's trash for good, in batches of one short transaction
    each; returns (sessions, utterances)."""
    sessions = utterances = 0
    while True:
        with transaction.atomic():
            ids = list(
                Session.objects.filter(TRASH, user=user)
                .select_for_update(skip_locked=True)
                .values_list("id", flat=True)[:batch_size]
            )
            if not ids:
                return sessions, utterances
            deleted = sessions_delete(session_ids=ids, actor_id=user.pk)
        sessions, utterances = sessions + deleted[0], utterances + deleted[1]


def sessions_delete(
    *,
    session_ids: Iterable[uuid.UUID],
    announce: bool = True,
    actor_id: int | None = None,
    cause: str = SessionAudit.Cause.USER,
) -> tuple[int, int]:
    """Delete sessions and their utterances with set-based statements; returns (sessions, utterances).

    Each leaves an audit row (who acted, why). `announce` tells each owner's open tabs (one
    session.deleted event per owner, whatever the number of sessions).
    """
    ids = list(session_ids)
    with transaction.atomic():
        states = list(Session.objects.filter(id__in=ids).values_list("id", "user_id", "context_epoch", "last_seq"))
        _audit(
            action=SessionAudit.Action.PURGE,
            cause=cause,
            actor_id=actor_id,
            sessions=[(owner_id, session_id) for session_id, owner_id, _, _ in states],
        )
        events.after_commit(
            context.context_windows_forget, states=[(uid, sid, epoch, seq) for sid, uid, epoch, seq in states]
        )
        if announce:
            events.publish_after_commit(
                [
                    (events.user_group(uid), {"type": "session.deleted", "session_ids": sids})
                    for uid, sids in _ids_by_owner((uid, sid) for sid, uid, _, _ in states).items()
                ]
            )
        # ignore_conflicts: an owner may bring a purged id back (_session_id_check_unretired) and purge it again.
        RetiredSessionId.objects.bulk_create(
            [RetiredSessionId(session_id=sid, owner_id=uid) for sid, uid, _, _ in states], ignore_conflicts=True
        )
        utterances, _ = Utterance.objects.filter(session_id__in=ids).delete()
        sessions, _ = Session.objects.filter(id__in=ids).delete()
    return sessions, utterances


@transaction.atomic
def sessions_end(*, session_ids: Iterable[uuid.UUID]) -> int:
    """Mark open sessions ended (staff clean-up); returns how many were open. Their owners' tabs
    hear of it, one event per owner."""
    ended_at = timezone.now()
    ending = list(
        Session.objects.select_for_update()
        .filter(id__in=list(session_ids), ended_at__isnull=True)
        .values_list("user_id", "id")
    )
    Session.objects.filter(id__in=[session_id for _, session_id in ending]).update(ended_at=ended_at)
    _announce_ended(ending, ended_at=ended_at)
    return len(ending)


def sessions_retire_batch(
    *, now: datetime, cap: int | None, user: User | None = None, batch_size: int
) -> tuple[int, int]:
    """Move to the trash up to `batch_size` sessions inactive for longer than their owner's
    retention (capped at `cap` days), pinned ones exempt, in one short transaction; returns
    (sessions, utterances) moved.

    The rows are locked with FOR UPDATE SKIP LOCKED, and PostgreSQL checks the condition again on a
    row that changed meanwhile, so a session a user is writing to right now, or that became active
    since, is left alone. Each owner's open tabs are told in one sessions.expired event (a tab left
    open for days still lists such a session). Each move leaves an audit row (expiry).
    """
    with transaction.atomic():
        due = sessions_retention_due(now=now, cap=cap, user=user)
        sessions = list(
            due.order_by("last_activity_at")
            .select_for_update(skip_locked=True, of=("self",))
            .only("id", "user_id")[:batch_size]
        )
        if not sessions:
            return 0, 0
        Session.objects.filter(id__in=[session.pk for session in sessions]).update(deleted_at=now)
        events.publish_after_commit(
            [
                (
                    events.user_group(user_id),
                    {"type": "sessions.expired", "session_ids": ids, "deleted_at": iso_datetime(now)},
                )
                for user_id, ids in _ids_by_owner((session.user_id, session.pk) for session in sessions).items()
            ]
        )
        utterances = _audit(
            action=SessionAudit.Action.TRASH,
            cause=SessionAudit.Cause.EXPIRY,
            actor_id=None,
            sessions=[(session.user_id, session.pk) for session in sessions],
        )
    return len(sessions), utterances


def trash_purge_batch(*, cutoff: datetime, user: User | None = None, batch_size: int) -> tuple[int, int]:
    """Remove for good up to `batch_size` sessions moved to the trash before `cutoff`, in one short
    transaction (as sessions_expire_batch, on session_trash_age_idx). Returns (sessions, utterances)."""
    candidates = Session.objects.filter(TRASH, deleted_at__lt=cutoff)
    return _sessions_delete_batch(candidates, user=user, order_by="deleted_at", batch_size=batch_size)


def _sessions_delete_batch(candidates, *, user: User | None, order_by: str, batch_size: int) -> tuple[int, int]:
    with transaction.atomic():
        if user is not None:
            candidates = candidates.filter(user=user)
        ids = list(
            candidates.order_by(order_by).select_for_update(skip_locked=True).values_list("id", flat=True)[:batch_size]
        )
        if not ids:
            return 0, 0
        return sessions_delete(session_ids=ids, cause=SessionAudit.Cause.EXPIRY)


# ---- branches (docs/branches.md) ------------------------------------------------------------------


def _path_to(session: Session, seq: int | None) -> list[list]:
    """The way from the utterance `seq` to the root, as [[branch, last seq on it], ...]."""
    if seq is None:
        return []
    branch = Utterance.objects.filter(session=session, seq=seq).values_list("branch", flat=True).get()
    ancestors = SessionBranch.objects.get(session=session, number=branch).path if branch else []
    return [[branch, seq], *ancestors]


def _head_move(session: Session, *, branch: int, seq: int | None, path: list[list]) -> None:
    """Put the locked session's head on `branch` after `seq`: the active branch is then `path`'s,
    its counts are made right and cached windows of the old head are never read.

    The counts change by what lies between the two heads: the old path's utterances after the
    last one both paths share are taken off, the new path's added (one query, reading only the
    utterances after that one; all of them when the two share nothing)."""
    old_path = session.branch_path or [[session.head_branch, None]]
    new_path = [[branch, None], *path]
    shared = _last_shared_seq(old_path, session.head_seq, new_path, seq)
    counts = {
        Role.USER: session.user_message_count,
        Role.ASSISTANT: session.assistant_message_count,
        Role.SYSTEM: session.system_message_count,
    }
    for role, change in _path_counts_change(session, old_path, new_path, after=shared).items():
        counts[role] = counts.get(role, 0) + change
    session.head_branch, session.head_seq = branch, seq
    session.branch_path = new_path
    session.context_epoch += 1
    session.user_message_count = counts[Role.USER]
    session.assistant_message_count = counts[Role.ASSISTANT]
    session.system_message_count = counts[Role.SYSTEM]
    session.message_count = sum(counts.values())
    session.save(
        update_fields=[
            "head_branch",
            "head_seq",
            "branch_path",
            "context_epoch",
            "message_count",
            "user_message_count",
            "assistant_message_count",
            "system_message_count",
        ]
    )


def _last_shared_seq(path: list, head: int | None, other: list, other_head: int | None) -> int:
    """The seq of the last utterance two paths share (0: none). A branch on both holds both
    stretches' utterances up to the lower of their last seqs (a head's branch: up to its head)."""
    tops = {number: head if top is None else top for number, top in path}
    shared = 0
    for number, top in other:
        top = other_head if top is None else top
        if number in tops and top is not None and tops[number] is not None:
            shared = max(shared, min(top, tops[number]))
    return shared


def _path_counts_change(session: Session, old_path: list, new_path: list, *, after: int) -> dict:
    """{role: final utterances on the new path minus those on the old one} past `after`, in one
    query over the stretches the two reach past it (no utterance past `after` is on both)."""
    old, new = list(path_stretches(old_path, above=after)), list(path_stretches(new_path, above=after))
    if not old and not new:
        return {}
    change = Value(0)
    if new:
        change += Sum(Case(When(stretches_filter(new), then=Value(1)), default=Value(0)))
    if old:
        change -= Sum(Case(When(stretches_filter(old), then=Value(1)), default=Value(0)))
    return dict(
        Utterance.objects.filter(stretches_filter(old + new), session=session, is_final=True, seq__gt=after)
        .order_by()
        .values("role")
        .annotate(change=change)
        .values_list("role", "change")
    )


def _branch_start(session: Session, *, fork_seq: int | None) -> int:
    """A new branch after `fork_seq` (None: at the root), with the head on it: the next append
    follows `fork_seq` on the new branch. Returns its number."""
    number = (SessionBranch.objects.filter(session=session).aggregate(top=Max("number"))["top"] or 0) + 1
    path = _path_to(session, fork_seq)
    SessionBranch.objects.create(session=session, number=number, fork_seq=fork_seq, path=path)
    _head_move(session, branch=number, seq=fork_seq, path=path)
    return number


@transaction.atomic
def utterance_edit(
    *, user: User, session_id: uuid.UUID | str, seq: Any, text: Any, client_id: Any = None
) -> AppendResult:
    """Edit the user message `seq`: a new user message after the same parent, on a new branch that
    the head moves to (the old one stays, a sibling). A retry with the same client_id finds the
    edit made and changes nothing."""
    session = session_get_for_user(user=user, session_id=session_id, for_update=True)
    prepared = _prepare([inputs.UtteranceIn(role=Role.USER, text=text, client_id=client_id)], field="utterance")
    if prepared[0].client_id:
        existing = Utterance.objects.filter(session=session, client_id=prepared[0].client_id).first()
        if existing is not None:
            return AppendResult(session=session, utterances=[existing], created=0)
    edited = utterance_at(session=session, seq=seq)
    if edited.role != Role.USER:
        raise ValidationError({"seq": "Only your own messages can be edited; regenerate a reply instead."})
    _branch_start(session, fork_seq=edited.parent_seq)
    _announce_head(session)
    return _append_prepared(user=user, session_id=session.pk, prepared=prepared, expect_stored=False)


@transaction.atomic
def utterance_regenerate_prepare(*, user: User, session_id: uuid.UUID | str, seq: Any) -> Session:
    """Ready the session for another reply in place of the assistant message `seq`: a new branch
    after the same parent, with the head on it; the reply then stored there is its sibling."""
    session = session_get_for_user(user=user, session_id=session_id, for_update=True)
    answered = utterance_answered_by(session=session, seq=seq)
    _branch_start(session, fork_seq=answered.seq)
    _announce_head(session)
    return session


@transaction.atomic
def session_switch(*, user: User, session_id: uuid.UUID | str, seq: Any) -> Session:
    """Make the branch through `seq` the active one: the head becomes the newest utterance under
    it (its newest leaf). Switching to the branch already active changes nothing. ReplyBusy while a
    reply is being written in the session: it is stored at the head, so the head stays until then
    (a reply claims the session without its lock; the claim is seen here, or its message waits for
    this lock and follows the new head)."""
    session = session_get_for_user(user=user, session_id=session_id, for_update=True)
    target = utterance_at(session=session, seq=seq)
    if ReplyInFlight.objects.filter(session=session, expires_at__gte=timezone.now()).exists():
        raise ReplyBusy
    leaf_seq, leaf_branch, path = _newest_leaf_under(session, target)
    if (leaf_branch, leaf_seq) != (session.head_branch, session.head_seq):
        _head_move(session, branch=leaf_branch, seq=leaf_seq, path=path)
        _announce_head(session)
    return session


def _newest_leaf_under(session: Session, target: Utterance) -> tuple[int, int, list]:
    """The newest utterance under `target` (itself when it has none): (seq, branch, the branch's way
    to the root)."""
    # The branches that may hang from the target: their fork points come after it. Each as two
    # numbers (its number and the branch it forks from), not its whole path.
    forked_from = Cast(KT("path__0__0"), IntegerField())
    branches = list(
        SessionBranch.objects.filter(session=session, fork_seq__gte=target.seq).values_list("number", forked_from)
    )
    under = {target.branch}
    grew = True
    while grew:
        grew = False
        for number, parent in branches:
            if number not in under and parent in under:
                under.add(number)
                grew = True
    # The newest utterance under the target, with its branch's way to the root (none for branch 0).
    branch_path = SessionBranch.objects.filter(session=session, number=OuterRef("branch")).values("path")[:1]
    leaf_seq, leaf_branch, path = (
        Utterance.objects.filter(session=session, branch__in=under, seq__gte=target.seq)
        .order_by("-seq")
        .values_list("seq", "branch", Subquery(branch_path, output_field=JSONField()))
        .first()
    )
    return leaf_seq, leaf_branch, path or []


def _announce_head(session: Session) -> None:
    events.publish_after_commit(
        [
            (
                events.session_group(session.pk),
                {"type": "session.head", "session_id": str(session.pk), "head_seq": session.head_seq},
            ),
            (
                events.user_group(session.user_id),
                {"type": "session.activity", "session": events.session_summary(session)},
            ),
        ]
    )


@transaction.atomic
def session_fork(*, user: User, session_id: uuid.UUID | str, seq: Any) -> Session:
    """A new session whose history is the branch up to `seq` (the way from the first utterance to
    it), copied in one statement and renumbered from 1; the original is unchanged."""
    source = session_get_for_user(user=user, session_id=session_id)
    target = utterance_at(session=source, seq=seq)
    path = _path_to(source, target.seq)
    fork = session_create(user=user, persona=source.persona, title=source.title, metadata=source.metadata)
    on_path = " OR ".join("(branch = %s AND seq <= %s)" for _ in path)
    table = Utterance._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {table} (session_id, user_id, seq, parent_seq, branch, role, text, is_final, client_id,
                                 created_at, metadata)
            SELECT %s, user_id, n, CASE WHEN n = 1 THEN NULL ELSE n - 1 END, 0, role, text, is_final, client_id,
                   created_at, metadata
            FROM (
                SELECT user_id, role, text, is_final, client_id, created_at, metadata,
                       ROW_NUMBER() OVER (ORDER BY seq) AS n
                FROM {table} WHERE session_id = %s AND ({on_path})
            ) copied
            """,  # noqa: S608 - the table is the model's own; every value is a parameter
            [session_db_id(fork.pk), session_db_id(source.pk), *(value for stretch in path for value in stretch)],
        )
    counts = dict(
        Utterance.objects.filter(session=fork, is_final=True)
        .order_by()
        .values("role")
        .annotate(n=Count("id"))
        .values_list("role", "n")
    )
    stored = Utterance.objects.filter(session=fork).count()
    fork.last_seq, fork.head_seq = stored, stored or None
    fork.user_message_count = counts.get(Role.USER, 0)
    fork.assistant_message_count = counts.get(Role.ASSISTANT, 0)
    fork.system_message_count = counts.get(Role.SYSTEM, 0)
    fork.message_count = sum(counts.values())
    fork.last_activity_at = timezone.now()
    fork.save(
        update_fields=[
            "last_seq",
            "head_seq",
            "message_count",
            "user_message_count",
            "assistant_message_count",
            "system_message_count",
            "last_activity_at",
        ]
    )
    events.publish_after_commit(
        [(events.user_group(user.pk), {"type": "session.activity", "session": events.session_summary(fork)})]
    )
    return fork


# ---- imports (docs/imports.md) --------------------------------------------------------------------

# Appends of an import go in statements of at most this many utterances.
IMPORT_APPEND_BATCH = 1000


@dataclass(frozen=True)
class ImportedMessage:
    """One message of a conversation brought from elsewhere; `id` is the source's, unique in it, and
    `parent_id` names the message it follows (None: it starts the conversation)."""

    id: str
    parent_id: str | None
    role: str
    text: str
    created_at: datetime
    metadata: dict


@dataclass(frozen=True)
class ImportOutcome:
    result: str  # "imported" (a new session), "updated" (new messages added), "present" (nothing to add)
    session_id: uuid.UUID | None
    stored: int


def import_client_id(message_id: str) -> str:
    """The client_id an imported message is stored with: a second import finds it by this, and a
    grown conversation adds only the messages it does not find."""
    client_id = f"import:{message_id}"
    if len(client_id) > 80:  # MAX_CLIENT_ID_CHARS
        client_id = "import:#" + hashlib.sha256(message_id.encode()).hexdigest()[:64]
    return client_id


def conversation_import(
    *,
    user: User,
    source: str,
    source_id: str,
    title: str,
    messages: Sequence[ImportedMessage],
    head_id: str | None,
    created_at: datetime | None = None,
    last_activity_at: datetime | None = None,
    persona: Persona | None = None,
    state: dict | None = None,
) -> ImportOutcome:
    """Store a conversation from elsewhere as a session, whole or not at all, once per (user, source,
    source_id): a second import finds it and adds only the messages it lacks ("present" when none).

    `messages` come parents first, each branch's one after the other: a message that does not follow
    the one before starts a branch after its parent (what an edit does). The head ends on the
    source's current message (`head_id`, or the newest leaf under it). The session keeps the
    conversation's own times, and counts its retention from the import (restored_at), so that an old
    chat imported today is not moved to the trash by the next expiry run. ValidationError (nothing
    stored) for a message that cannot be stored whole, naming it."""
    prepared = []
    for index, message in enumerate(messages):
        where = f"message {index + 1}"
        prepared.append(
            PreparedUtterance(
                role=inputs.normalize_role(message.role, field_name=where),
                text=inputs.check_text(message.text, field_name=where),
                is_final=True,
                client_id=import_client_id(message.id),
                created_at=message.created_at,
                metadata=inputs.check_metadata(message.metadata, field_name=where),
            )
        )
    title = " ".join(title.split())
    if len(title) > settings.MAX_TITLE_CHARS:  # cut at a word: the messages hold the conversation whole
        title = title[: settings.MAX_TITLE_CHARS - 1].rsplit(" ", 1)[0].rstrip(" ,.;:-") + "…"
    title = inputs.check_title(title)
    arguments = {
        "user": user,
        "source": source,
        "source_id": source_id,
        "title": title,
        "messages": messages,
        "prepared": prepared,
        "head_id": head_id,
        "created_at": created_at,
        "last_activity_at": last_activity_at,
        "persona": persona,
        "state": state or {},
    }
    try:
        with transaction.atomic():
            return _conversation_import(**arguments)
    except IntegrityError:
        # The same conversation, imported at this moment by another job: it committed first, so
        # this one finds it now and adds what it still lacks.
        with transaction.atomic():
            return _conversation_import(**arguments)


def _conversation_import(
    *,
    user: User,
    source: str,
    source_id: str,
    title: str,
    messages: Sequence[ImportedMessage],
    prepared: list[PreparedUtterance],
    head_id: str | None,
    created_at: datetime | None,
    last_activity_at: datetime | None,
    persona: Persona | None,
    state: dict,
) -> ImportOutcome:
    now = timezone.now()
    session_id = (
        ImportedConversation.objects.filter(user=user, source=source, source_id=source_id)
        .values_list("session_id", flat=True)
        .first()
    )
    if session_id is None and source == "ours":
        # Our own export brought back into the account it came from: its sessions are here.
        with contextlib.suppress(Session.DoesNotExist):
            own = Session.objects.filter(user=user, pk=session_id_parse(source_id)).values_list("pk", flat=True).first()
            if own is not None:
                return ImportOutcome(result="present", session_id=own, stored=0)
    seq_of: dict[str, int] = {}
    if session_id is not None:
        session = Session.objects.select_for_update().get(pk=session_id)
        if session.deleted_at is not None:
            return ImportOutcome(result="present", session_id=session.pk, stored=0)
        by_client_id = {p.client_id: m.id for p, m in zip(prepared, messages, strict=True)}
        for start in range(0, len(prepared), IMPORT_APPEND_BATCH):
            found = Utterance.objects.filter(
                session=session, client_id__in=[p.client_id for p in prepared[start : start + IMPORT_APPEND_BATCH]]
            ).values_list("client_id", "seq")
            seq_of.update((by_client_id[client_id], seq) for client_id, seq in found)
        if len(seq_of) == len(messages):
            return ImportOutcome(result="present", session_id=session.pk, stored=0)
        result, activity_before = "updated", session.last_activity_at
    else:
        first_time = messages[0].created_at if messages else now
        session = Session(
            user=user,
            persona=persona or persona_resolve(persona=None),
            title=title,
            metadata={"import": {"source": source, "id": source_id}},
            created_at=min(created_at or first_time, first_time),
        )
        session.save(force_insert=True)
        ImportedConversation.objects.create(session=session, user=user, source=source, source_id=source_id)
        result, activity_before = "imported", None

    stored = 0
    batch: list[int] = []  # indexes into messages / prepared, one chain after the head

    def flush() -> None:
        nonlocal session, stored
        if batch:
            session, rows = append_statement.append_rows(
                user=user, session_id=session.pk, items=[prepared[i] for i in batch]
            )
            seq_of.update((messages[i].id, row.seq) for i, row in zip(batch, rows, strict=True))
            stored += len(rows)
            batch.clear()

    for index, message in enumerate(messages):
        if message.id in seq_of:
            continue
        if batch and message.parent_id == messages[batch[-1]].id and len(batch) < IMPORT_APPEND_BATCH:
            batch.append(index)
            continue
        follows_batch = bool(batch) and message.parent_id == messages[batch[-1]].id
        flush()
        parent_seq = seq_of.get(message.parent_id) if message.parent_id is not None else None
        if not follows_batch and parent_seq != session.head_seq:
            _branch_start(session, fork_seq=parent_seq)
        batch.append(index)
    flush()

    head_seq = seq_of.get(head_id) if head_id is not None else None
    if head_seq is not None and head_seq != session.head_seq:
        target = Utterance.objects.only("seq", "branch").get(session=session, seq=head_seq)
        leaf_seq, leaf_branch, path = _newest_leaf_under(session, target)
        if (leaf_branch, leaf_seq) != (session.head_branch, session.head_seq):
            _head_move(session, branch=leaf_branch, seq=leaf_seq, path=path)

    newest = max((m.created_at for m in messages), default=now)
    activity = max(filter(None, [last_activity_at, newest, activity_before]))
    changes = {"last_activity_at": min(activity, now)}
    if result == "imported":
        changes["restored_at"] = now
        for key in ("pinned_at", "archived_at"):
            if state.get(key) is not None:
                changes[key] = state[key]
        if state.get("deleted_at") is not None:
            changes["deleted_at"] = now  # in the trash, for its whole time there
    else:
        _announce_head(session)
    Session.objects.filter(pk=session.pk).update(**changes)
    return ImportOutcome(result=result, session_id=session.pk, stored=stored)
