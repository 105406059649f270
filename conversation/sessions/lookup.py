"""Finding one session: its id parsed, as the database holds it, and the user's session read (another
user's, like a missing one, is Session.DoesNotExist)."""

import uuid

from django.db import connection

from accounts.models import User
from chatproject.fixed_sql import FixedStatement, instances_of, model_columns
from conversation.models import Persona, Session


def session_id_parse(session_id: uuid.UUID | str) -> uuid.UUID:
    """A session id as a UUID; a malformed one is "not found", like a missing session."""
    if isinstance(session_id, uuid.UUID):
        return session_id
    try:
        return uuid.UUID(str(session_id))
    except ValueError:
        raise Session.DoesNotExist("No such session.") from None


def session_db_id(session_id: uuid.UUID | str):
    """A session id as the database holds it, for plain SQL (a uuid column, or text on SQLite)."""
    return Session._meta.pk.get_db_prep_value(session_id_parse(session_id), connection)


def session_get_for_user(
    *, user: User, session_id: uuid.UUID | str, for_update: bool = False, in_trash: bool | None = False
) -> Session:
    """The user's session; another user's session and a malformed id are "not found", like a missing one.

    `in_trash`: False (every door but the trash's) finds sessions out of the trash only, True those
    in it only, None either.
    """
    if not for_update and in_trash is False:
        return _session_with_persona(user=user, session_id=session_id)
    queryset = Session.objects.filter(user=user).select_related("persona")
    if in_trash is not None:
        queryset = queryset.filter(deleted_at__isnull=not in_trash)
    if for_update:
        queryset = queryset.select_for_update(of=("self",))  # the session's row; personas stay unlocked
    return queryset.get(pk=session_id_parse(session_id))


def _session_with_persona(*, user: User, session_id) -> Session:
    """session_get_for_user's common case (out of the trash, unlocked), as its queryset gives it: one
    fixed statement, since every socket message and most API calls make it."""
    found = _SESSION_WITH_PERSONA.rows([user.pk, session_db_id(session_id)])
    if not found:
        raise Session.DoesNotExist("Session matching query does not exist.")
    session, session.persona = instances_of(found[0], Session, Persona)
    return session


def _session_with_persona_columns() -> list:
    return model_columns(Session._meta.db_table, Session) + model_columns(Persona._meta.db_table, Persona)


def _session_with_persona_sql(quote) -> str:
    session, personas, field = quote(Session._meta.db_table), quote(Persona._meta.db_table), Session._meta.get_field
    columns = ", ".join(f"{quote(table)}.{quote(f.column)}" for table, f in _session_with_persona_columns())
    join = f"{session}.{quote(field('persona').column)} = {personas}.{quote(Persona._meta.pk.column)}"
    return (
        f"SELECT {columns} FROM {session} INNER JOIN {personas} ON {join}"  # noqa: S608 - names from the models
        f" WHERE {session}.{quote(field('user').column)} = %s AND {session}.{quote(field('deleted_at').column)} IS NULL"
        f" AND {session}.{quote(field('id').column)} = %s"
    )


_SESSION_WITH_PERSONA = FixedStatement(sql=_session_with_persona_sql, columns=_session_with_persona_columns)
