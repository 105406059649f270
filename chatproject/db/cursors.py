"""The two ways the PostgreSQL backend (chatproject/db/postgresql) binds parameters on the server,
named for callers that run on any database: elsewhere they are Django's own cursor and nothing."""

from contextlib import AbstractContextManager, nullcontext

from django.db import connection
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.utils import CursorWrapper


def server_bound_cursor(*, db: BaseDatabaseWrapper | None = None) -> CursorWrapper:
    """A cursor that sends parameters apart from the text (psycopg's Cursor, so the text is prepared
    after DB_PREPARE_THRESHOLD runs), on `db` (the default connection); Django's cursor elsewhere."""
    db = connection if db is None else db
    if _binds_on_server(db):
        return db.server_bound_cursor()
    return db.cursor()


def server_binding(*, db: BaseDatabaseWrapper | None = None) -> AbstractContextManager:
    """Inside, the ORM's queries on `db` (the default connection) run on server-bound cursors; on
    another backend, nothing changes."""
    db = connection if db is None else db
    if _binds_on_server(db):
        return db.server_binding()
    return nullcontext()


def _binds_on_server(db: BaseDatabaseWrapper) -> bool:
    return hasattr(db, "server_bound_cursor")
