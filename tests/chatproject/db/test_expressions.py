"""chatproject.db.expressions: KeyedRanges is the condition a Q of the same ranges makes, written
once per query with its columns from the model; any_of ORs terms within SQLite's expression depth."""

import sqlite3

import pytest
from django.db.models import Case, Q, Sum, Value, When

from chatproject.db.expressions import KeyedRanges, any_of
from conversation.history.append import utterances_append
from conversation.inputs import UtteranceIn
from conversation.models import Utterance
from conversation.sessions.create import session_create

RANGES = [(0, [(">", 2), ("<=", 5)]), (0, [(">=", 9)]), (1, [])]
LOOKUPS = {">": "gt", ">=": "gte", "<": "lt", "<=": "lte"}


def _q_of(ranges) -> Q:
    condition = Q(pk__in=[])
    for number, bounds in ranges:
        lookups = {f"seq__{LOOKUPS[op]}": bound for op, bound in bounds}
        condition |= Q(branch=number, **lookups)
    return condition


@pytest.fixture
def utterances(owner):
    session = session_create(user=owner)
    utterances_append(
        user=owner, session_id=session.pk, utterances=[UtteranceIn(role="user", text=f"{n}") for n in range(12)]
    )
    Utterance.objects.filter(session=session, seq__in=[4, 10]).update(branch=1)
    return Utterance.objects.filter(session=session)


def test_keyed_ranges_find_the_rows_a_q_of_the_same_ranges_finds(utterances):
    found = utterances.filter(KeyedRanges(key="branch", value="seq", ranges=RANGES)).values_list("seq", flat=True)
    expected = utterances.filter(_q_of(RANGES)).values_list("seq", flat=True)
    assert sorted(found) == sorted(expected) == [3, 4, 5, 9, 10, 11, 12]


def test_keyed_ranges_count_rows_as_a_when_condition(utterances):
    condition = KeyedRanges(key="branch", value="seq", ranges=[(1, [("<", 10)])])
    total = utterances.aggregate(n=Sum(Case(When(condition, then=Value(1)), default=Value(0))))["n"]
    assert total == 1


def test_keyed_ranges_name_the_models_columns_and_bind_every_value(utterances):
    condition = KeyedRanges(key="branch", value="seq", ranges=[(7, [(">", 2), ("<=", 3)])])
    sql, params = utterances.filter(condition).query.sql_with_params()
    table = Utterance._meta.db_table
    assert f'"{table}"."branch" = %s AND "{table}"."seq" > %s AND "{table}"."seq" <= %s' in sql
    assert params[-3:] == (7, 2, 3)


def test_keyed_ranges_refuse_a_comparison_they_do_not_know_and_no_ranges():
    with pytest.raises(ValueError, match="compare with one of"):
        KeyedRanges(key="branch", value="seq", ranges=[(0, [("= 1 OR", 2)])])
    with pytest.raises(ValueError, match="at least one range"):
        KeyedRanges(key="branch", value="seq", ranges=[])


def test_any_of_keeps_a_thousand_terms_within_sqlites_expression_depth():
    terms = [f"(k = {n} AND v <= {n})" for n in range(1500)]
    database = sqlite3.connect(":memory:")
    database.execute("CREATE TABLE t (k INTEGER, v INTEGER)")
    database.executemany("INSERT INTO t VALUES (?, ?)", [(7, 3), (9, 12), (4000, 1)])
    with pytest.raises(sqlite3.OperationalError, match="Expression tree is too large"):
        database.execute(f"SELECT k FROM t WHERE {' OR '.join(terms)}")  # noqa: S608 - the flat OR SQLite refuses

    found = database.execute(f"SELECT k FROM t WHERE {any_of(terms)} ORDER BY k").fetchall()  # noqa: S608

    assert found == [(7,)]


def test_any_of_keeps_the_terms_in_their_order():
    assert any_of(["a", "b", "c"]) == "(a OR (b OR c))"
    assert any_of(["a"]) == "a"
