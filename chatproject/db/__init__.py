"""Django's and psycopg's internals, in one place, each behind a named function or class with a test
in tests/chatproject/db/ that pins the behaviour of the installed version it relies on (an upgrade
that changes it fails a test, not production).

- postgresql/: the PostgreSQL backend (settings' ENGINE): timestamps parsed in C, server-bound
  cursors, reads run again on a lost connection (base.py); the pool's check and recovery (pool.py).
- cursors.py: server_bound_cursor() and server_binding(), on any database.
- compiler.py: RowConverters (the ORM's converters of selected columns) and where_sql().
- deadlines.py: statement_timeout() (PostgreSQL) and sqlite_deadline().

Beside it: chatproject/redis_clients.py (the redis-py clients), chatproject/channel_layer.py
(channels_redis' layer and wire format), chatproject/api/drf.py (DRF's cursor paginator and request).
"""
