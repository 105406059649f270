"""chatproject.db.deadlines: PostgreSQL's statement_timeout for one transaction, SQLite's progress
handler, both answering StatementTimedOut."""

import pytest
from django.db import connection
from django.db.utils import ConnectionHandler

from chatproject.db.deadlines import StatementTimedOut, sqlite_deadline, statement_timeout

ENDLESS = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c"
LONG = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 100000) SELECT count(*) FROM c"


def show_statement_timeout() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        return cursor.fetchone()[0]


def test_postgresql_cancels_a_statement_past_the_timeout_and_the_connection_keeps_its_default(db):
    default = show_statement_timeout()
    with pytest.raises(StatementTimedOut), statement_timeout(milliseconds=50), connection.cursor() as cursor:
        cursor.execute("SELECT pg_sleep(5)")
    assert show_statement_timeout() == default


def test_a_statement_within_the_timeout_runs(db):
    with statement_timeout(milliseconds=5000), connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)


@pytest.fixture
def sqlite(django_db_blocker):
    handler = ConnectionHandler({"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}})
    with django_db_blocker.unblock():
        yield handler["default"]
        handler.close_all()


def test_sqlite_interrupts_a_statement_past_the_deadline(sqlite):
    with pytest.raises(StatementTimedOut), sqlite_deadline(milliseconds=50, db=sqlite), sqlite.cursor() as cursor:
        cursor.execute(ENDLESS)
    with sqlite.cursor() as cursor:  # past the deadline, and the handler gone with it
        cursor.execute(LONG)
        assert cursor.fetchone() == (100_000,)


def test_on_postgresql_the_sqlite_deadline_is_nothing(db):
    with sqlite_deadline(milliseconds=1, db=connection), connection.cursor() as cursor:
        cursor.execute("SELECT pg_sleep(0.05)")
