"""chatproject.postgresql: Django's PostgreSQL backend with timestamps parsed in C and a server-bound cursor."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from django.db import DataError, ProgrammingError, connection, transaction
from django.db.backends.postgresql.base import TIMESTAMPTZ_OID
from django.test.utils import CaptureQueriesContext
from psycopg.pq import Format

from chatproject.postgresql.base import IsoTimestamptzLoader
from conversation import services
from conversation.inputs import UtteranceIn
from conversation.models import Session


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
    session = services.session_create(user=owner)
    Session.objects.filter(pk=session.pk).update(last_activity_at=moment)
    assert Session.objects.get(pk=session.pk).last_activity_at == moment


def test_the_server_bound_cursor_is_logged_and_raises_djangos_errors(db):
    with CaptureQueriesContext(connection) as captured, connection.server_bound_cursor() as cursor:
        cursor.execute("SELECT %s::int + 1", [41])
        assert cursor.fetchone() == (42,)
    assert len(captured.captured_queries) == 1

    with pytest.raises(ProgrammingError), transaction.atomic(), connection.server_bound_cursor() as cursor:
        cursor.execute("SELECT no_such_column FROM conversation_session")


def prepared_statements() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


def test_appends_are_prepared_on_their_connection_and_djangos_own_queries_never(owner, settings):
    session = services.session_create(user=owner)
    for n in range(settings.DATABASES["default"]["OPTIONS"]["prepare_threshold"] + 1):
        services.utterances_append(
            user=owner, session_id=session.pk, utterances=[UtteranceIn(role="user", text=f"{n}")]
        )
        Session.objects.filter(pk=session.pk).count()

    statements = prepared_statements()
    assert len(statements) == 1
    assert "INSERT INTO conversation_utterance" in statements[0]
