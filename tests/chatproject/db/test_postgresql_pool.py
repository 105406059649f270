"""chatproject.db.postgresql.pool: the pool's hooks for a PostgreSQL that restarts or goes away (the
whole server's story is in test_restarts.py)."""

import time

import psycopg
from django.conf import settings
from django.db import connection
from psycopg_pool import ConnectionPool

from chatproject.db.postgresql import pool as pool_hooks


def _terminate_all(pids: list[int]) -> None:
    """Ends server processes from another connection, as a PostgreSQL restart does."""
    with psycopg.connect(**_params()) as other:
        for pid in pids:
            other.execute("SELECT pg_terminate_backend(%s)", [pid])


def _params() -> dict:
    db = connection.settings_dict
    return {"host": db["HOST"], "port": db["PORT"], "user": db["USER"], "dbname": db["NAME"], "autocommit": True}


def test_djangos_pool_gets_the_hooks_and_the_reconnect_bound(db):
    connection.ensure_connection()
    assert connection.pool._reconnect_failed is pool_hooks.start_over
    assert connection.pool.reconnect_timeout == settings.DATABASES["default"]["OPTIONS"]["pool"]["reconnect_timeout"]
    assert connection.pool.reconnect_timeout <= 5


def test_psycopg_pool_keeps_its_check_and_callbacks_where_install_replaces_them(db):
    """install() sets the pool's private _check, _reconnect_failed and _configure: psycopg_pool must
    keep its check, reconnect_failed and configure arguments there, and call them from there."""

    def check(conn):
        checked.append(conn)
        ConnectionPool.check_connection(conn)

    def configure(conn):
        configured.append(conn)

    checked, configured = [], []
    pool = ConnectionPool(kwargs=_params(), min_size=1, open=False, check=check, configure=configure)
    assert (pool._check, pool._reconnect_failed, pool._configure) == (check, None, configure)
    pool.open(wait=True)
    try:
        with pool.connection(timeout=10) as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
        assert checked == [conn]
        assert configured == [conn]
    finally:
        pool.close()


def test_a_connection_found_dead_sweeps_the_other_dead_ones_at_once(db):
    """Without the sweep, psycopg_pool hands out the four dead connections one by one, pausing 1,
    2 and 4 s between them."""
    pool = ConnectionPool(kwargs=_params(), min_size=4, open=False, check=ConnectionPool.check_connection)
    pool_hooks.install(pool)
    pool.open(wait=True)
    try:
        held = [pool.getconn() for _ in range(4)]
        pids = [conn.info.backend_pid for conn in held]
        for conn in held:
            pool.putconn(conn)
        _terminate_all(pids)
        time.sleep(0.2)  # the server's goodbye reaches the sockets

        began = time.monotonic()
        with pool.connection(timeout=10) as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
            assert conn.info.backend_pid not in pids
        assert time.monotonic() - began < 1.5
    finally:
        pool.close()
