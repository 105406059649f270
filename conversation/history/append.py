"""Appending utterances to a session's history, in order, idempotently by client_id (its SQL in
history/append_statement.py)."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from chatproject import live
from chatproject.db.commit import after_commit
from conversation import context, events, inputs, tokens
from conversation.history import append_statement
from conversation.history.append_statement import PreparedUtterance
from conversation.models import Session, Utterance
from conversation.sessions.lookup import session_get_for_user


@dataclass(frozen=True)
class AppendResult:
    session: Session
    utterances: list[Utterance]  # in the order they were given, stored or found
    created: int  # how many were written by this call


def utterances_prepare(items: Sequence[inputs.UtteranceIn], *, field: str) -> list[PreparedUtterance]:
    """Normalize and bound a whole batch before anything is written; errors name `field[i].name`."""
    inputs.check_batch_size(len(items), field_name=field)
    now = timezone.now()
    prepared = []
    for index, item in enumerate(items):
        prefix = f"{field}[{index}]."
        prepared.append(
            PreparedUtterance(
                role=inputs.normalize_role(item.role, field_name=f"{prefix}role"),
                text=(text := inputs.check_text(item.text, field_name=f"{prefix}text")),
                is_final=bool(item.is_final),
                client_id=inputs.check_client_id(item.client_id, field_name=f"{prefix}client_id"),
                created_at=inputs.normalize_timestamp(item.timestamp, now=now),
                metadata=inputs.check_metadata(item.metadata, field_name=f"{prefix}metadata"),
                tokens=tokens.text_tokens(text),
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
    PostgreSQL the two are one statement: see history/append_statement.py). A batch that is already stored (every
    client_id found) returns the stored rows and writes nothing.

    New utterances are the common case, so the insert is tried first and a client_id conflict
    (a retry) rolls it back and takes the careful path: look up the stored ones, insert the rest.
    `expect_stored` goes straight to the careful path, for callers that usually re-send stored
    utterances (a whole-conversation save).
    """
    return utterances_append_prepared(
        user=user,
        session_id=session_id,
        prepared=utterances_prepare(utterances, field="utterances"),
        expect_stored=expect_stored,
    )


def utterances_append_prepared(
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
    after_commit(_announce_append, user_id=user.pk, session=session, rows=rows)

    by_client_id = existing | {row.client_id: row for row in rows if row.client_id is not None}
    anonymous = iter([row for row in rows if row.client_id is None])
    ordered = [by_client_id[p.client_id] if p.client_id is not None else next(anonymous) for p in prepared]
    return AppendResult(session=session, utterances=ordered, created=len(rows))


def _announce_append(*, user_id: int, session: Session, rows: list[Utterance]) -> None:
    """After an append commits: the cached context window moves to the new state and every open
    tab hears of the new utterances."""
    announced = [
        *(
            (
                events.session_group(session.pk),
                events.utterance(session_id=session.pk, utterance=row),
            )
            for row in rows
        ),
        (live.user_group(user_id), events.session_activity(session=session)),
    ]
    context.context_window_extend(
        user_id=user_id,
        session_id=session.pk,
        epoch=session.context_epoch,
        previous_seq=session.last_seq - len(rows),
        last_seq=session.last_seq,
        new=[
            {"role": row.role, "text": row.text, "seq": row.seq, "tokens": row.tokens} for row in rows if row.is_final
        ],
        live_events=announced,
    )
