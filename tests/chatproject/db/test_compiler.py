"""chatproject.db.compiler: a hand-written statement's values converted as a queryset converts them,
and a queryset's WHERE as the ORM writes it."""

from django.db import connection

from chatproject.db.compiler import RowConverters, where_sql
from conversation.history.append import utterances_append
from conversation.inputs import UtteranceIn
from conversation.models import Session, Utterance
from conversation.sessions.create import session_create


def _select_all(model, **where) -> tuple[list, list]:
    """Every column of `model`'s rows matching `where`, read by hand and through a queryset."""
    fields = model._meta.concrete_fields
    table = model._meta.db_table
    names = ", ".join(f"{table}.{connection.ops.quote_name(f.column)}" for f in fields)
    ((column, value),) = where.items()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {names} FROM {table} WHERE {column} = %s ORDER BY id", [value])  # noqa: S608
        raw = cursor.fetchall()
    converted = RowConverters(columns=[(table, f) for f in fields], db=connection).rows(raw)
    expected = list(model.objects.filter(**where).order_by("id").values_list(*[f.attname for f in fields]))
    return converted, expected


def test_a_sessions_columns_read_by_hand_hold_what_a_queryset_gives(owner):
    session = session_create(user=owner, title="converted", metadata={"a": [1, 2]})
    converted, expected = _select_all(Session, id=session.pk)
    assert [tuple(row) for row in converted] == expected
    assert converted[0][[f.name for f in Session._meta.concrete_fields].index("metadata")] == {"a": [1, 2]}


def test_an_utterances_columns_read_by_hand_hold_what_a_queryset_gives(owner):
    session = session_create(user=owner)
    utterances_append(
        user=owner, session_id=session.pk, utterances=[UtteranceIn(role="user", text="hi", metadata={"k": "v"})]
    )
    converted, expected = _select_all(Utterance, session_id=session.pk)
    assert [tuple(row) for row in converted] == expected


def test_one_row_is_converted_as_in_a_list_of_rows(owner):
    session = session_create(user=owner, metadata={"x": 1})
    converters = RowConverters(columns=[("s", Session._meta.get_field("metadata"))], db=connection)
    with connection.cursor() as cursor:
        cursor.execute("SELECT metadata FROM conversation_session WHERE id = %s", [session.pk])
        raw = cursor.fetchone()
    assert converters.row(raw) == converters.rows([raw])[0] == [{"x": 1}]


def test_columns_without_converters_come_back_as_read():
    converters = RowConverters(columns=[("s", Session._meta.get_field("title"))], db=connection)
    rows = [("a",), ("b",)]
    assert converters.rows(rows) is rows
    assert converters.row(("a",)) == ["a"]


def test_a_querysets_where_is_written_with_columns_named_by_their_table():
    condition, values = where_sql(Session.objects.filter(deleted_at__isnull=True), db=connection)
    assert (condition, values) == ('"conversation_session"."deleted_at" IS NULL', [])
    condition, values = where_sql(Session.objects.filter(title="x"), db=connection)
    assert (condition, values) == ('"conversation_session"."title" = %s', ["x"])
