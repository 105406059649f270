"""chatproject.db.postgresql: Django's PostgreSQL backend with timestamps parsed in C and a server-bound cursor."""

import select
from datetime import UTC, datetime, timedelta, timezone

import psycopg
import pytest
from django.db import DataError, ProgrammingError, connection, transaction
from django.db.backends.postgresql.base import TIMESTAMPTZ_OID
from django.db.backends.utils import CursorWrapper
from django.test.utils import CaptureQueriesContext
from psycopg.pq import Format
from psycopg_pool import ConnectionPool

from chatproject.db.postgresql.base import IsoTimestamptzLoader
from chatproject.db.postgresql.pool import check_when_in_doubt
from conversation.history.append import utterances_append
from conversation.inputs import UtteranceIn
from conversation.models import Session
from conversation.sessions.create import session_create


def read_timestamp(literal: str) -> datetime:
    with connection.cursor() as cursor:
        cursor.execute("SELECT %s::timestamptz", [literal])
        return cursor.fetchone()[0]


def test_the_connection_loads_timestamps_with_the_iso_loader(db):
    connection.ensure_connection()
    loader = connection.connection.adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT)
    assert issubclass(loader, IsoTimestamptzLoader)


@pytest.mark.parametrize(
    ("literal", "expected"),
    [
        ("2026-11-21 14:51:11.123456+00", datetime(2026, 11, 21, 14, 51, 11, 123456, tzinfo=UTC)),
        ("2026-11-21 14:51:11.12+00", datetime(2026, 11, 21, 14, 51, 11, 120000, tzinfo=UTC)),
        ("2026-11-21 20:21:11+05:30", datetime(2026, 11, 21, 14, 51, 11, tzinfo=UTC)),
        ("0099-01-01 00:00:00+00", datetime(99, 1, 1, tzinfo=UTC)),
    ],
)
def test_timestamps_read_back_exactly_in_utc(db, literal, expected):
    value = read_timestamp(literal)
    assert value == expected
    assert value.utcoffset() == timedelta(0)


def test_what_python_cannot_hold_is_an_error_as_with_djangos_loader(db):
    with pytest.raises(DataError):
        read_timestamp("infinity")
    with pytest.raises(DataError):
        read_timestamp("0044-03-15 12:00:00+00 BC")


def test_model_timestamps_round_trip(owner):
    moment = datetime(2026, 3, 1, 8, 30, 15, 654321, tzinfo=timezone(timedelta(hours=-5)))
    session = session_create(user=owner)
    Session.objects.filter(pk=session.pk).update(last_activity_at=moment)
    assert Session.objects.get(pk=session.pk).last_activity_at == moment


def test_the_server_bound_cursor_is_logged_and_raises_djangos_errors(db):
    with CaptureQueriesContext(connection) as captured, connection.server_bound_cursor() as cursor:
        cursor.execute("SELECT %s::int + 1", [41])
        assert cursor.fetchone() == (42,)
    assert len(captured.captured_queries) == 1

    with pytest.raises(ProgrammingError), transaction.atomic(), connection.server_bound_cursor() as cursor:
        cursor.execute("SELECT no_such_column FROM conversation_session")


def test_djangos_cursor_runs_each_statement_through_execute_with_its_sql_and_params(db, monkeypatch):
    """What the read retry overrides (RetryReadsOnLostConnection._execute): Django's execute() and
    the ORM's queries reach CursorWrapper._execute(sql, params, *ignored_wrapper_args)."""
    reached = []
    djangos = CursorWrapper._execute

    def recording(self, sql, params, *ignored_wrapper_args):
        reached.append((sql, params))
        return djangos(self, sql, params, *ignored_wrapper_args)

    monkeypatch.setattr(CursorWrapper, "_execute", recording)
    with connection.cursor() as cursor:
        cursor.execute("SELECT %s::int", [1])
    Session.objects.filter(title="x").exists()
    assert reached[0] == ("SELECT %s::int", [1])
    assert "conversation_session" in reached[1][0]
    assert "x" in reached[1][1]


def test_prepare_cursor_wraps_a_psycopg_cursor_as_djangos_own(db):
    """What server_bound_cursor() relies on: DatabaseWrapper._prepare_cursor gives a psycopg cursor
    Django's wrapper (make_cursor or, while queries are logged, make_debug_cursor)."""
    connection.ensure_connection()
    with connection._prepare_cursor(psycopg.Cursor(connection.connection)) as cursor:
        assert isinstance(cursor, CursorWrapper)
        assert type(cursor.cursor) is psycopg.Cursor
    with CaptureQueriesContext(connection), connection._prepare_cursor(psycopg.Cursor(connection.connection)) as cursor:
        cursor.execute("SELECT 1")
        assert connection.queries[-1]["sql"] == "SELECT 1"


def prepared_statements() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


def test_appends_are_prepared_on_their_connection_and_djangos_own_queries_never(owner, settings):
    session = session_create(user=owner)
    for n in range(settings.DATABASES["default"]["OPTIONS"]["prepare_threshold"] + 1):
        utterances_append(user=owner, session_id=session.pk, utterances=[UtteranceIn(role="user", text=f"{n}")])
        Session.objects.filter(pk=session.pk).count()

    statements = prepared_statements()
    assert len(statements) == 1
    assert "INSERT INTO conversation_utterance" in statements[0]


def _connect() -> psycopg.Connection:
    """A connection of its own to the test database, outside Django's."""
    settings = connection.settings_dict
    return psycopg.connect(
        host=settings["HOST"], port=settings["PORT"], user=settings["USER"], dbname=settings["NAME"], autocommit=True
    )


def _terminate(pid: int) -> None:
    """Ends a server process from another connection, as a PostgreSQL restart does."""
    with _connect() as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])


def _kill_this_connection() -> None:
    connection.ensure_connection()
    _terminate(connection.connection.info.backend_pid)


def test_djangos_pool_checks_connections_with_check_when_in_doubt(db):
    assert connection.pool._check.func is check_when_in_doubt
    assert connection.pool._check.keywords == {"pool": connection.pool}


def test_the_check_lends_a_quiet_connection_without_a_round_trip(db, tmp_path):
    def sent_by(check) -> str:
        trace = tmp_path / "trace"
        with _connect() as conn, trace.open("w") as file:
            conn.pgconn.trace(file.fileno())
            check(conn)
            conn.pgconn.untrace()
        return trace.read_text()

    assert sent_by(check_when_in_doubt) == ""
    assert "Query" in sent_by(ConnectionPool.check_connection)  # what it spares, in the same trace


def test_the_check_refuses_a_connection_whose_server_process_ended(db):
    with _connect() as conn:
        _terminate(conn.info.backend_pid)
        assert select.select([conn.pgconn.socket], [], [], 10)[0], "the server never closed the socket"
        with pytest.raises(psycopg.OperationalError):
            check_when_in_doubt(conn)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_read_on_a_connection_that_died_runs_again_on_a_fresh_one(owner, caplog):
    _kill_this_connection()
    with caplog.at_level("WARNING", logger="chatproject.db.postgresql.base"):
        assert Session.objects.filter(user=owner).count() == 0
    assert "running a read again" in caplog.text
    assert Session.objects.filter(user=owner).count() == 0


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_write_on_a_connection_that_died_is_not_run_again(owner):
    from django.db import OperationalError

    _kill_this_connection()
    with pytest.raises(OperationalError):
        Session.objects.filter(user=owner).update(title="x")
    connection.close()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_read_inside_a_transaction_is_not_run_again(owner):
    from django.db import OperationalError

    def count_after_the_connection_died() -> int:
        with transaction.atomic():
            _kill_this_connection()
            return Session.objects.filter(user=owner).count()

    with pytest.raises(OperationalError):
        count_after_the_connection_died()
    connection.close()
