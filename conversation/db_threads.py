"""Where async code (the socket, the reply stream) runs its ORM work.

A fixed set of threads, fewer than the database pool has connections: each thread keeps the pooled
connection it last used, so their number bounds what async code can hold. (The shared
thread-sensitive thread would serialize every socket of the process behind one another; the
event loop's default executor comes and goes with the loop.)
"""

from concurrent.futures import ThreadPoolExecutor

from channels.db import database_sync_to_async
from django.conf import settings
from django.db import connection

_executor = ThreadPoolExecutor(max_workers=settings.DB_ASYNC_THREADS, thread_name_prefix="orm")


def db_async(fn):
    """`fn` run on one of the ORM threads, connections cleaned up around it (channels' wrapper)."""
    return database_sync_to_async(fn, thread_sensitive=False, executor=_executor)


def release_connection() -> None:
    """Give this thread's database connection back (to the pool) before a long wait, such as a
    model's reply: held, a few dozen slow replies would take every connection of the process.
    Inside a transaction block (a test's) the connection stays."""
    if not connection.in_atomic_block:
        connection.close()
