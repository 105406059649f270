"""chatproject.postgresql: Django's PostgreSQL backend with timestamps parsed in C."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from django.db import DataError, connection
from django.db.backends.postgresql.base import TIMESTAMPTZ_OID
from psycopg.pq import Format

from chatproject.postgresql.base import IsoTimestamptzLoader
from conversation import services
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
