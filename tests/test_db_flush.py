import re
import threading
import time

import pytest
from django.core.management import call_command
from django.core.management.color import no_style
from django.core.management.sql import sql_flush
from django.db import connection

from accounts.models import User
from tests import db_flush
from tests.factories import UserFactory


def _tables_in_truncate_order() -> list[str]:
    (truncate,) = sql_flush(no_style(), connection)
    return re.findall(r'"([^"]+)"', truncate)


def _wait_until_a_lock_on(table: str, *, watcher) -> None:
    deadline = time.monotonic() + 10
    query = "SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = %s::regclass"
    while watcher.execute(query, [table]).fetchone()[0] == 0:
        assert time.monotonic() < deadline, f"nothing waits for {table}"
        time.sleep(0.02)


@pytest.mark.django_db(transaction=True)
def test_a_flush_that_meets_a_late_write_as_a_deadlock_runs_again_and_empties_the_tables():
    UserFactory()
    first, *_, last = _tables_in_truncate_order()
    writer = connection.get_new_connection(connection.get_connection_params())
    watcher = connection.get_new_connection(connection.get_connection_params())
    writer.autocommit = False
    watcher.autocommit = True
    failures: list[BaseException] = []

    def flush():
        try:
            call_command("flush", verbosity=0, interactive=False)
        except BaseException as exc:
            failures.append(exc)
        finally:
            connection.close()

    try:
        writer.execute(f'LOCK TABLE "{last}" IN ROW EXCLUSIVE MODE')  # a write's transaction, begun
        flushing = threading.Thread(target=flush)
        flushing.start()
        _wait_until_a_lock_on(last, watcher=watcher)  # the TRUNCATE holds the first tables, waits for this one
        # The write goes on to a table the TRUNCATE holds: a deadlock, which PostgreSQL ends on the
        # TRUNCATE's side (it waited first); the write gets its lock and commits.
        writer.execute(f'LOCK TABLE "{first}" IN ROW EXCLUSIVE MODE')
        writer.commit()
        flushing.join(timeout=30)
    finally:
        writer.close()
        watcher.close()

    assert not flushing.is_alive()
    assert failures == []
    assert not User.objects.exists()
    ran_again = db_flush.RAN_AGAIN.pop()  # reported at the end of the run; this one was made on purpose
    assert ran_again.endswith("::test_a_flush_that_meets_a_late_write_as_a_deadlock_runs_again_and_empties_the_tables")
