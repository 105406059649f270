"""Deadlines for statements, each database its own way: PostgreSQL's statement_timeout set for one
transaction, and for SQLite (which has none) a progress handler on its sqlite3 connection."""

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import OperationalError, connection, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from psycopg.errors import QueryCanceled


class StatementTimedOut(Exception):
    """A statement ran past its deadline and the database stopped it."""


@contextmanager
def statement_timeout(*, milliseconds: int) -> Iterator[None]:
    """PostgreSQL: a transaction in which each statement is cancelled after `milliseconds`, set for
    that transaction only (the pooled connection goes back with the server's default).
    StatementTimedOut when one is: psycopg's QueryCanceled under Django's OperationalError."""
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config('statement_timeout', %s, true)", [str(milliseconds)])
            yield
    except OperationalError as exc:
        if isinstance(exc.__cause__, QueryCanceled):
            raise StatementTimedOut from None
        raise


@contextmanager
def sqlite_deadline(*, milliseconds: int, db: BaseDatabaseWrapper | None = None) -> Iterator[None]:
    """SQLite: the statements run inside are interrupted once `milliseconds` have passed since it
    began (a progress handler, called every few thousand steps of the virtual machine);
    StatementTimedOut then. On another database, nothing."""
    db = connection if db is None else db
    db.ensure_connection()
    raw = db.connection
    if not isinstance(raw, sqlite3.Connection):
        yield
        return
    deadline = time.monotonic() + milliseconds / 1000
    raw.set_progress_handler(lambda: time.monotonic() > deadline, 10_000)
    try:
        yield
    except OperationalError as exc:
        if "interrupted" in str(exc):
            raise StatementTimedOut from None
        raise
    finally:
        raw.set_progress_handler(None, 0)
