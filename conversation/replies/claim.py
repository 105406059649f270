"""One reply at a time per session, and at most MAX_CONCURRENT_REPLIES_PER_USER per user: the claim
(a ReplyInFlight row) taken before the message is stored and released with the stored reply."""

import uuid
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from chatproject.fixed_sql import FixedStatement
from conversation.models import ReplyInFlight, Session
from conversation.replies.progress import reply_state_ttl
from conversation.sessions.lookup import session_db_id


class ReplyBusy(Exception):
    """Another message's reply is being written in this session (conversation/replies/)."""


class ReplyBudgetExceeded(Exception):
    """The user has MAX_CONCURRENT_REPLIES_PER_USER replies being written already, by any door."""

    def __init__(self) -> None:
        limit = settings.MAX_CONCURRENT_REPLIES_PER_USER
        super().__init__(
            f"You have {limit} replies being written already, the most at once: wait for one to end, "
            "or stop one, then send."
        )


def reply_claim(*, session: Session, client_id: str, sweep: bool = False) -> bool:
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
                [session_db_id(session.pk), client_id, stamp(now, connection), stamp(expires_at, connection)]
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
        return reply_claim(session=session, client_id=client_id, sweep=True)
    raise ReplyBusy


def _check_user_budget(*, session: Session, now) -> None:
    """ReplyBudgetExceeded when the session's owner has the most replies in flight elsewhere.

    The owner's row is locked first, so that claims from two doors at once count one after the
    other. The count reads the in-flight table, which holds only the replies being written now.
    A session already claimed is left to the caller's conflict handling (a retry joins its reply).
    """
    _OWNER_LOCK.rows([session.user_id])
    expires = ReplyInFlight._meta.get_field("expires_at").get_db_prep_value(now, connection)
    ((in_flight,),) = _IN_FLIGHT_ELSEWHERE.rows([session.user_id, expires, session_db_id(session.pk)])
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


def reply_release(*, session_id: uuid.UUID, client_id: str) -> None:
    _CLAIM_DELETE.run([session_db_id(session_id), client_id])
