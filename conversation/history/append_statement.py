"""The append statement: one session's next utterances stored with their seqs, counters, title and
preview.

The narrow interface services use: `PreparedUtterance` (a checked input), `append_rows` (store
them, returning the session as updated and the rows) and `one_statement_transaction`. Inside:
the SQL and its per-database variants, and the hydration of model instances from its rows.
"""

import functools
import json
import uuid
from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.utils import timezone

from accounts.models import User
from chatproject.fixed_sql import FixedStatement, model_columns
from conversation import inputs
from conversation.models import Role, Session, Utterance
from conversation.sessions.lookup import session_id_parse


@dataclass(frozen=True)
class PreparedUtterance:
    """One utterance to store, its fields checked and normalized (history.append.utterances_prepare)."""

    role: str
    text: str
    is_final: bool
    client_id: str | None
    created_at: Any
    metadata: dict
    tokens: int


def one_statement_transaction() -> AbstractContextManager:
    """The transaction of a write that is one SQL statement (an append on PostgreSQL).

    Outside a caller's transaction the statement is a transaction by itself, and BEGIN and COMMIT
    would only add two round trips. Inside one, a savepoint keeps a conflict from breaking it.
    """
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        return nullcontext()
    return transaction.atomic()


def append_rows(
    *, user: User, session_id: uuid.UUID | str, items: list[PreparedUtterance]
) -> tuple[Session, list[Utterance]]:
    """Store `items` as the session's next utterances: seqs, counters, title, preview and rows at once.

    The preview is set only while the active branch holds no user message (SET reads the row as it
    was: its user_message_count counts the branch's final user messages), so that an append to a
    chat that has one keeps it, at no cost.

    The session row's UPDATE allocates the seqs (and takes the row lock that serializes appends
    to one session); the INSERT follows. On PostgreSQL both are one statement (a data-modifying
    WITH), one round trip; elsewhere the UPDATE and bulk_create, in the caller's transaction.
    """
    db = connections[DEFAULT_DB_ALIAS]  # resolved once: each use of the `connection` proxy costs a lookup
    finals = [p for p in items if p.is_final]
    first_user_text = next((p.text for p in finals if p.role == Role.USER), None)
    counts = {role: sum(1 for p in finals if p.role == role) for role in Role.values}
    advance_params = [
        len(items),
        len(items),
        sum(counts.values()),
        counts[Role.USER],
        counts[Role.ASSISTANT],
        counts[Role.SYSTEM],
        timezone.now(),
        inputs.auto_title(first_user_text) if first_user_text else "",
        inputs.preview_text(first_user_text) if first_user_text else "",
        Session._meta.pk.get_db_prep_value(session_id_parse(session_id), db),
        user.pk,
    ]
    if db.vendor == "postgresql":
        # The rows travel as one JSON array, read back by json_to_recordset in order: the statement
        # has the same text and parameters for 1 utterance or 1,000, so psycopg prepares it, and
        # json.dumps (C) composes the rows faster than psycopg's per-value array dumpers.
        rows_json = json.dumps(
            [{f.column: getattr(p, f.name) for f in _UTTERANCE_INPUT_FIELDS} for p in items],
            default=datetime.isoformat,  # created_at; the metadata is plain JSON (inputs.check_metadata)
            ensure_ascii=False,
            separators=(",", ":"),
        )
        found = _ADVANCE_AND_INSERT.rows([*advance_params, len(items), len(items), rows_json])
        if not found:
            raise Session.DoesNotExist("No such session.")
        row = found[0]
        session = _session_from_row(row[:-1], db=db)
        rows = _utterance_rows(session, items)
        for utterance, pk in zip(rows, row[-1], strict=True):  # what bulk_create would set
            utterance.pk = pk
            utterance._state.adding = False
            utterance._state.db = db.alias
    else:
        found = _ADVANCE.rows(advance_params)
        if not found:
            raise Session.DoesNotExist("No such session.")
        session = _session_from_row(found[0], db=db)
        rows = Utterance.objects.bulk_create(_utterance_rows(session, items))
    return session, rows


_SESSION_FIELDS = Session._meta.concrete_fields
# The columns an append writes from its input; the session, owner and seq come from the session row.
_UTTERANCE_INPUT_FIELDS = [Utterance._meta.get_field(name) for name in PreparedUtterance.__dataclass_fields__]


def _advance_sql(quote) -> str:
    s = functools.partial(_column, quote, Session)
    counted = ["message_count", "user_message_count", "assistant_message_count", "system_message_count"]
    return f"""
        UPDATE {Session._meta.db_table} SET
            {s("last_seq")} = {s("last_seq")} + %s,
            {s("append_parent_seq")} = {s("head_seq")},
            {s("head_seq")} = {s("last_seq")} + %s,
            {", ".join(f"{s(name)} = {s(name)} + %s" for name in counted)},
            {s("last_activity_at")} = %s,
            {s("title")} = CASE WHEN {s("title")} = '' THEN %s ELSE {s("title")} END,
            {s("preview")} = CASE WHEN {s("user_message_count")} = 0 THEN %s ELSE {s("preview")} END
        WHERE {s("id")} = %s AND {s("user")} = %s AND {s("deleted_at")} IS NULL
        RETURNING {", ".join(quote(f.column) for f in _SESSION_FIELDS)}
    """  # noqa: S608 - table and column names are the model's own, every value is a parameter


def _advance_and_insert_sql(quote) -> str:
    s, u = functools.partial(_column, quote, Session), functools.partial(_column, quote, Utterance)
    names = [quote(f.column) for f in _UTTERANCE_INPUT_FIELDS]
    types = [f.db_type(connection) for f in _UTTERANCE_INPUT_FIELDS]
    record = ", ".join(f"{name} {db_type}" for name, db_type in zip(names, types, strict=True))
    placed = ", ".join(u(name) for name in ("session", "user", "seq", "parent_seq", "branch"))
    return f"""
        WITH advanced AS ({_advance_sql(quote)}),
        inserted AS (
            INSERT INTO {Utterance._meta.db_table} ({placed}, {", ".join(names)})
            SELECT advanced.{s("id")}, advanced.{s("user")}, advanced.{s("last_seq")} - %s + new.position,
                   CASE WHEN new.position = 1 THEN advanced.{s("append_parent_seq")}
                        ELSE advanced.{s("last_seq")} - %s + new.position - 1 END,
                   advanced.{s("head_branch")},
                   {", ".join(f"new.{n}" for n in names)}
            FROM advanced,
                 ROWS FROM (json_to_recordset(%s::json) AS ({record}))
                 WITH ORDINALITY AS new ({", ".join(names)}, position)
            RETURNING {u("id")}, {u("seq")}
        )
        SELECT advanced.*, ARRAY(SELECT {u("id")} FROM inserted ORDER BY {u("seq")}) FROM advanced
    """  # noqa: S608 - table and column names are the model's own, every value is a parameter


def _column(quote, model, name: str) -> str:
    return quote(model._meta.get_field(name).column)


def _session_columns() -> list:
    return model_columns(Session._meta.db_table, Session)


# The session's row as the UPDATE returns it, converted as a queryset converts it (on PostgreSQL
# followed by the ids of the rows inserted): everywhere else, the UPDATE alone, then bulk_create.
_ADVANCE_AND_INSERT = FixedStatement(sql=_advance_and_insert_sql, columns=_session_columns)
_ADVANCE = FixedStatement(sql=_advance_sql, columns=_session_columns)


def _session_from_row(values: Sequence, *, db) -> Session:
    """What a queryset would build from the row (its values converted by the statement), without its
    per-query set-up (this runs per append)."""
    return Session.from_db(db.alias, [f.attname for f in _SESSION_FIELDS], values)


def _utterance_rows(session: Session, items: list[PreparedUtterance]) -> list[Utterance]:
    """The rows of an append after the head it moved on from, each following the one before."""
    first_seq = session.last_seq - len(items) + 1
    return [
        Utterance(
            session_id=session.id,
            user_id=session.user_id,
            seq=first_seq + offset,
            parent_seq=session.append_parent_seq if offset == 0 else first_seq + offset - 1,
            branch=session.head_branch,
            role=item.role,
            text=item.text,
            is_final=item.is_final,
            client_id=item.client_id,
            created_at=item.created_at,
            metadata=item.metadata,
            tokens=item.tokens,
        )
        for offset, item in enumerate(items)
    ]
