"""chatproject.db.cursors: the backend's server binding, named for any database."""

from types import SimpleNamespace

import psycopg
from django.db import connection

from chatproject.db.cursors import server_binding, server_bound_cursor
from chatproject.db.postgresql.base import RetryingCursorDebugWrapper, RetryingCursorWrapper
from conversation.models import Session
from conversation.sessions.create import session_create


def test_the_server_bound_cursor_is_psycopgs_own_cursor_inside_djangos_wrapper(db):
    with server_bound_cursor() as cursor:
        assert isinstance(cursor, RetryingCursorWrapper | RetryingCursorDebugWrapper)
        assert type(cursor.cursor) is psycopg.Cursor
        cursor.execute("SELECT %s::int", [7])
        assert cursor.fetchone() == (7,)


def test_djangos_own_cursors_bind_on_the_client_outside_server_binding_and_on_the_server_inside(db):
    with connection.cursor() as cursor:
        assert isinstance(cursor.cursor, psycopg.ClientCursor)
    with server_binding(), connection.cursor() as cursor:
        assert not isinstance(cursor.cursor, psycopg.ClientCursor)
        assert isinstance(cursor.cursor, psycopg.Cursor)
    with connection.cursor() as cursor:
        assert isinstance(cursor.cursor, psycopg.ClientCursor)


def test_a_queryset_inside_server_binding_reads_what_it_reads_outside(owner):
    session_create(user=owner, title="bound")
    outside = list(Session.objects.filter(user=owner).values_list("title", "created_at", "metadata"))
    with server_binding():
        assert list(Session.objects.filter(user=owner).values_list("title", "created_at", "metadata")) == outside


def test_on_another_backend_they_are_djangos_cursor_and_nothing():
    other = SimpleNamespace(cursor=lambda: "django's cursor")
    assert server_bound_cursor(db=other) == "django's cursor"
    with server_binding(db=other) as bound:
        assert bound is None
