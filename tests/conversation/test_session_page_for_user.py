import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from conversation.models import Session
from conversation.sessions.create import session_create, session_update
from conversation.sessions.lifecycle import session_trash
from conversation.sessions.lists import (
    SESSION_VIEW_ORDERING,
    SESSION_VIEWS,
    session_list_for_user,
    session_page_for_user,
    session_page_statement,
)
from tests.factories import UserFactory
from tests.helpers import generic_plan_of, plan_of


@pytest.fixture
def shelves(owner, outsider):
    """Sessions of every view, two personas, some sharing one activity time, and the outsider's."""
    made = []
    for n in range(24):
        session = session_create(user=owner, title=f"s{n}", persona="creative-writer" if n % 3 == 0 else None)
        if n % 4 == 1:
            session_update(user=owner, session_id=session.pk, pinned=True)
        if n % 5 == 2:
            session_update(user=owner, session_id=session.pk, archived=True)
        if n % 7 == 3:
            session_trash(user=owner, session_id=session.pk)
        made.append(session)
    tied = made[10].last_activity_at
    Session.objects.filter(pk__in=[s.pk for s in made[10:14]]).update(last_activity_at=tied)
    session_create(user=outsider, title="theirs")
    return made


@pytest.mark.parametrize("view", list(SESSION_VIEWS))
@pytest.mark.parametrize("persona", [None, "creative-writer"])
def test_each_page_holds_the_rows_of_the_views_queryset(owner, shelves, view, persona):
    queryset = session_list_for_user(user=owner, view=view, persona=persona)
    expected = list(queryset)
    assert expected, "the fixture fills every view"
    assert session_page_for_user(user=owner, view=view, persona=persona, limit=100) == expected
    assert session_page_for_user(user=owner, view=view, persona=persona, offset=2, limit=3) == expected[2:5]
    oldest_first = session_page_for_user(user=owner, view=view, persona=persona, newest_first=False, limit=100)
    assert oldest_first == expected[::-1]


@pytest.mark.parametrize("view", ["live", "trash"])
def test_a_position_keeps_the_rows_strictly_past_it_as_the_queryset_filter_does(owner, shelves, view):
    sort = SESSION_VIEW_ORDERING[view][0].lstrip("-")
    queryset = session_list_for_user(user=owner, view=view)
    middle = list(queryset)[len(queryset) // 2][sort]
    # DRF's cursors carry the position as text: str() of the time.
    assert session_page_for_user(user=owner, view=view, older_than=str(middle), limit=100) == list(
        queryset.filter(**{f"{sort}__lt": middle})
    )
    newer = session_page_for_user(user=owner, view=view, newer_than=middle, newest_first=False, limit=100)
    assert newer == list(queryset.filter(**{f"{sort}__gt": middle}))[::-1]


def test_it_hides_other_users_sessions(owner, outsider):
    session_create(user=outsider, title="theirs")
    assert session_page_for_user(user=owner) == []


def test_a_position_that_is_not_a_time_is_refused(owner):
    with pytest.raises(ValidationError):
        session_page_for_user(user=owner, older_than="not a time")


def test_it_makes_one_query_whatever_the_number_of_sessions(owner, shelves, django_assert_num_queries):
    with django_assert_num_queries(1):
        rows = session_page_for_user(user=owner, limit=50)
    assert rows == list(session_list_for_user(user=owner))
    assert len({row["persona_name"] for row in rows}) == 2


@pytest.mark.parametrize(
    ("view", "index"),
    [
        ("live", "session_live_activity_idx"),
        ("pinned", "session_pinned_activity_idx"),
        ("archived", "session_archived_activity_idx"),
        ("trash", "session_trash_idx"),
    ],
)
def test_postgres_reads_each_page_in_order_from_the_views_partial_index(owner, view, index):
    # Many users, as in production: the generic plan (the one the prepared statement runs) counts on
    # a user's sessions being a small share of the table.
    users = [owner, *UserFactory.create_batch(29, password=None)]  # never log in: no password hash to pay
    for n in range(300):
        session = session_create(user=users[n % 30], title=f"s{n}")
        if n % 3 == 0 or n % 7 == 0:
            session_update(user=session.user, session_id=session.pk, pinned=n % 7 == 0, archived=n % 3 == 0)
        if n % 11 == 0:
            session_trash(user=session.user, session_id=session.pk)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_sort = off")  # as in test_session_list_for_user.py
        cursor.execute("SET LOCAL enable_incremental_sort = off")
    statement = session_page_statement(view=view, persona=False, compare="<", newest_first=True)
    values = [owner.pk, Session.objects.first().last_activity_at, 50, 0]
    for plan in (
        plan_of("conversation_session", statement.text(), values),
        generic_plan_of("conversation_session", statement.text(), values),
    ):
        assert f"Index Scan using {index}" in plan, plan
        assert "Sort" not in plan, plan
