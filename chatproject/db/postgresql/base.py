"""Django's PostgreSQL backend, with timestamps parsed in C and a server-bound cursor.

Django loads timestamptz with a subclass of psycopg's pure-Python loader (to set its tzinfo), so
every timestamp read is parsed by a regular expression in Python, a large share of the time of a
list page (bench/domain.py shows the lists' figures). IsoTimestamptzLoader parses with
datetime.fromisoformat (C) instead, and leaves to Django's loader what that cannot read (BC dates,
infinity: an error either way) or a DateStyle other than ISO. Selected in settings when DATABASE_URL is PostgreSQL.

Django's cursors bind parameters on the client (psycopg's ClientCursor quotes every value into the
SQL text in Python). server_bound_cursor() gives psycopg's own Cursor instead, for the hottest
statement (an append): parameters travel apart from a text that never changes, so nothing is
quoted in Python and psycopg prepares the statement once it has run DB_PREPARE_THRESHOLD times on
a connection (Django turns preparing off unless OPTIONS name a threshold; settings do).

A read that meets a dead connection (PostgreSQL restarted, or a proxy dropped it while the request
held it) is run once more on a fresh one: a SELECT outside a transaction block changes nothing, so
running it again is safe. Anything else fails as before, for the caller to decide. The pool checks
each connection before lending it (CONN_HEALTH_CHECKS), so this only concerns connections that die
while a request holds them. The pool's check and its recovery from a restart or an outage are in
pool.py.
"""

import functools
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, tzinfo

import psycopg
from django.db import utils
from django.db.backends.postgresql import base
from django.db.backends.postgresql.psycopg_any import BaseTzLoader
from django.db.backends.utils import CursorDebugWrapper, CursorWrapper
from psycopg.pq import Format

from chatproject.db.postgresql import pool as pool_hooks


class IsoTimestamptzLoader(BaseTzLoader):
    def load(self, data):
        try:
            value = datetime.fromisoformat(bytes(data).decode())
        except ValueError:
            return super().load(data)
        return value.astimezone(self.timezone) if self.timezone is not None else value.replace(tzinfo=None)


@functools.cache
def iso_loader_for(timezone: tzinfo | None) -> type[IsoTimestamptzLoader]:
    return type("IsoTimestamptzLoader", (IsoTimestamptzLoader,), {"timezone": timezone})


logger = logging.getLogger(__name__)

# admin_shutdown, crash_shutdown, cannot_connect_now (class 08 is the connection exceptions).
LOST_CONNECTION_SQLSTATES = {"57P01", "57P02", "57P03"}


class RetryReadsOnLostConnection:
    def _execute(self, sql, params, *ignored_wrapper_args):
        try:
            return super()._execute(sql, params, *ignored_wrapper_args)
        except (utils.OperationalError, utils.InterfaceError) as exc:
            if not self._may_run_again(sql, exc):
                raise
        logger.warning("database connection lost; running a read again on a fresh connection")
        self.db.close()  # the pool discards a broken connection handed back to it
        self.db.ensure_connection()
        self.cursor = self.db.create_cursor()
        return super()._execute(sql, params, *ignored_wrapper_args)

    def _may_run_again(self, sql, exc: Exception) -> bool:
        return (
            not self.db.in_atomic_block
            and not isinstance(self.cursor, psycopg.ServerCursor)  # its position would be lost
            and str(sql).lstrip()[:6].upper() == "SELECT"
            and self._connection_lost(exc.__cause__)
        )

    def _connection_lost(self, cause: BaseException | None) -> bool:
        if self.db.connection is None or self.db.connection.closed or self.db.connection.broken:
            return True
        # The server ended the session (shutdown, crash, restart): the socket is closed, though
        # libpq may not have seen the end of it yet.
        sqlstate = getattr(cause, "sqlstate", None) or ""
        return sqlstate in LOST_CONNECTION_SQLSTATES or sqlstate.startswith("08")


class RetryingCursorWrapper(RetryReadsOnLostConnection, CursorWrapper):
    pass


class RetryingCursorDebugWrapper(RetryReadsOnLostConnection, CursorDebugWrapper):
    pass


class DatabaseOperations(base.DatabaseOperations):
    def last_executed_query(self, cursor, sql, params):
        # A server-bound cursor sends the text and the values apart (and a prepared statement not
        # even its text): what ran is composed here, as Django does when every cursor binds so.
        if isinstance(cursor, psycopg.ClientCursor):
            return super().last_executed_query(cursor, sql, params)
        try:
            return self.compose_sql(sql, params)
        except psycopg.errors.DataError:
            return None


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations
    _server_binding = False

    @contextmanager
    def server_binding(self) -> Iterator[None]:
        """The ORM's queries made inside run on server-bound cursors, as server_bound_cursor()'s: for
        the hot reads whose texts repeat (a page of history), so that psycopg prepares them and
        quotes nothing in Python, while the rows are converted as any queryset's."""
        previous, self._server_binding = self._server_binding, True
        try:
            yield
        finally:
            self._server_binding = previous

    def create_cursor(self, name=None):
        if not self._server_binding or name:
            return super().create_cursor(name)
        cursor = base.ServerBindingCursor(self.connection)
        tzloader = self.connection.adapters.get_loader(base.TIMESTAMPTZ_OID, Format.TEXT)
        if self.timezone != tzloader.timezone:  # as Django's own create_cursor
            base.register_tzloader(self.timezone, cursor)
        return cursor

    @property
    def pool(self):
        pool = super().pool
        if pool is not None:
            pool_hooks.install(pool)
        return pool

    def make_cursor(self, cursor):
        return RetryingCursorWrapper(cursor, self)

    def make_debug_cursor(self, cursor):
        return RetryingCursorDebugWrapper(cursor, self)

    def get_new_connection(self, conn_params):
        connection = super().get_new_connection(conn_params)
        current = connection.adapters.get_loader(base.TIMESTAMPTZ_OID, Format.TEXT)
        if not issubclass(current, IsoTimestamptzLoader):
            # Django's loader for this connection knows the time zone to load into.
            connection.adapters.register_loader("timestamptz", iso_loader_for(current.timezone))
        return connection

    def server_bound_cursor(self):
        """A Django cursor (logged, errors wrapped) over psycopg's server-side binding Cursor."""
        self.close_if_health_check_failed()
        self.ensure_connection()
        with self.wrap_database_errors:
            return self._prepare_cursor(psycopg.Cursor(self.connection))
