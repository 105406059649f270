"""psycopg_pool's hooks for a PostgreSQL that restarts or goes away for a while.

The check before lending (check_when_in_doubt): psycopg_pool's own check is a round trip every time
a request takes a connection. An idle session hears nothing from its server until it sends
something, and a server that shut down, restarted or crashed has closed the socket (after a goodbye
message when it could), which makes it readable. So a quiet socket is lent as it is, and anything
else gets psycopg_pool's round trip. A network that drops packets silently defeats both checks alike.

A connection that fails that check means its server went away, and every idle connection opened
before is as dead: the pool is swept at once (ConnectionPool.check(), which tests every idle
connection and replaces the dead). Otherwise one request draws the dead ones one by one, and
psycopg_pool pauses 1, 2, 4, 8 s between two draws: past a few dead ones, its pool timeout and a 503.

The reconnection's backoff is bounded: psycopg_pool retries a failed connection attempt after 1, 2,
4, 8, 16 ... s until reconnect_timeout (5 minutes by default), so after a 20 s outage its next
attempt comes some 30 s after the outage began, and meanwhile the pool is empty and every request
waits out its timeout, though the server is back. Settings give reconnect_timeout a few seconds
(DB_POOL_RECONNECT_TIMEOUT_SECONDS) and reconnect_failed (start_over) starts a fresh attempt at
once, whose first delay is psycopg_pool's 1 s again: a reconnecting pool tries about every second.
Both are psycopg_pool's own parameters, where a pool subclass would override its private methods.
While attempts keep failing the server is away, and a request waits for a connection only
reconnect_timeout (time for an attempt or two) before its 503, instead of the pool's whole timeout;
the first connection made gives the timeout back.
"""

import functools
import logging
import select
import weakref

import psycopg
from psycopg.pq import ConnStatus
from psycopg_pool import ConnectionPool

logger = logging.getLogger(__name__)


def check_when_in_doubt(conn: psycopg.Connection, *, pool: ConnectionPool | None = None) -> None:
    """The check of an idle connection before the pool lends it; raises when the connection is
    dead, after sweeping `pool`'s other idle connections."""
    if conn.pgconn.status == ConnStatus.OK:
        poller = select.poll()
        poller.register(conn.pgconn.socket, select.POLLIN | select.POLLPRI)
        if not poller.poll(0):
            return
    try:
        ConnectionPool.check_connection(conn)
    except psycopg.Error:
        if pool is not None and not pool.closed:
            logger.warning("a pooled connection's server went away; checking every idle connection")
            pool.check()
        raise


# Each pool's own timeout, while its server is away.
_usual_timeouts: weakref.WeakKeyDictionary[ConnectionPool, float] = weakref.WeakKeyDictionary()


def start_over(pool: ConnectionPool) -> None:
    """reconnect_failed: an attempt to connect gave up after reconnect_timeout; the next one starts
    now (check() grows a pool that is short of connections), its delays from 1 s again."""
    if pool.closed:
        return
    pool.timeout = min(_usual_timeouts.get(pool, pool.timeout), pool.reconnect_timeout)
    pool.check()


def configure_and_restore(conn: psycopg.Connection, *, pool: ConnectionPool, configure) -> None:
    """The pool's configure callback, run on each new connection: the server is back."""
    if configure is not None:
        configure(conn)
    pool.timeout = _usual_timeouts.get(pool, pool.timeout)


def install(pool: ConnectionPool) -> None:
    """The hooks on a pool Django built (it passes the settings' pool options to psycopg_pool, but
    chooses the check and the configure callback itself and has no way to name a callable)."""
    if pool in _usual_timeouts:
        return
    _usual_timeouts[pool] = pool.timeout
    if pool._check is ConnectionPool.check_connection:  # CONN_HEALTH_CHECKS on
        pool._check = functools.partial(check_when_in_doubt, pool=pool)
    if pool._reconnect_failed is None:
        pool._reconnect_failed = start_over
    pool._configure = functools.partial(configure_and_restore, pool=pool, configure=pool._configure)
