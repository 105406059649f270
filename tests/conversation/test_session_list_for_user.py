import pytest
from django.db import connection

from conversation.sessions.create import session_create, session_update
from conversation.sessions.lifecycle import session_trash
from conversation.sessions.lists import session_list_for_user
from tests.helpers import plan_of, say


def test_it_lists_newest_activity_first(owner):
    first = session_create(user=owner, title="first")
    session_create(user=owner, title="second")
    say(owner, first, "bump")
    assert [s["title"] for s in session_list_for_user(user=owner)] == ["first", "second"]


def test_it_hides_other_users_sessions(owner, outsider):
    session_create(user=owner, title="mine")
    session_create(user=outsider, title="theirs")
    assert [s["title"] for s in session_list_for_user(user=owner)] == ["mine"]


def test_it_filters_by_persona(owner):
    session_create(user=owner, title="plain")
    session_create(user=owner, title="story", persona="creative-writer")
    assert [s["title"] for s in session_list_for_user(user=owner, persona="creative-writer")] == ["story"]


def test_it_breaks_ties_by_id_for_a_total_order(owner):
    sessions = [session_create(user=owner) for _ in range(3)]
    same_time = sessions[0].last_activity_at
    for s in sessions:
        type(s).objects.filter(pk=s.pk).update(last_activity_at=same_time)
    listed = [s["id"] for s in session_list_for_user(user=owner)]
    assert listed == sorted((s.pk for s in sessions), reverse=True)


def test_it_makes_one_query_whatever_the_number_of_sessions(owner, django_assert_num_queries):
    for n in range(30):
        session_create(user=owner, title=f"s{n}", persona="technical-support" if n % 2 else None)
    with django_assert_num_queries(1):
        rows = [(s["title"], s["persona_name"]) for s in session_list_for_user(user=owner)[:50]]
    assert len(rows) == 30
    assert ("s1", "Technical Support") in rows


@pytest.fixture
def shelves(owner):
    """A plain session, a pinned one, an archived one, a pinned-then-archived one and one in the trash."""
    made = {name: session_create(user=owner, title=name) for name in ("plain", "pin", "arch", "both", "bin")}
    session_update(user=owner, session_id=made["pin"].pk, pinned=True)
    session_update(user=owner, session_id=made["arch"].pk, archived=True)
    session_update(user=owner, session_id=made["both"].pk, pinned=True, archived=True)
    session_trash(user=owner, session_id=made["bin"].pk)
    return made


@pytest.mark.parametrize(
    ("view", "titles"),
    [("live", ["pin", "plain"]), ("pinned", ["pin"]), ("archived", ["both", "arch"]), ("trash", ["bin"])],
)
def test_each_view_shows_its_sessions_and_the_trash_only_its_own(owner, shelves, view, titles):
    assert [s["title"] for s in session_list_for_user(user=owner, view=view)] == titles


def test_rows_carry_the_lifecycle_times(owner, shelves):
    rows = {s["title"]: s for s in session_list_for_user(user=owner, view="archived")}
    assert rows["both"]["pinned_at"] is not None
    assert rows["arch"]["pinned_at"] is None
    assert rows["arch"]["archived_at"] is not None
    assert rows["arch"]["deleted_at"] is None


def test_postgres_pages_each_view_in_order_from_its_own_partial_index(owner, outsider):
    for n in range(600):
        session = session_create(user=owner if n % 6 == 0 else outsider, title=f"s{n}")
        if n % 3 == 0 or n % 7 == 0:
            session_update(user=session.user, session_id=session.pk, pinned=n % 7 == 0, archived=n % 3 == 0)
        if n % 11 == 0:
            session_trash(user=session.user, session_id=session.pk)
    with connection.cursor() as cursor:
        # With sorting priced out, the plan shows whether an index gives the view's rows in order. (On
        # test-sized tables the planner may rightly prefer reading all of a user's rows and sorting.)
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute("SET LOCAL enable_incremental_sort = off")
    for view, index in [(v, f"session_{v}_activity_idx") for v in ("live", "pinned", "archived")] + [
        ("trash", "session_trash_idx")
    ]:
        sql, params = session_list_for_user(user=owner, view=view)[:50].query.sql_with_params()
        plan = plan_of("conversation_session", sql, list(params))
        assert f"Index Scan using {index}" in plan, plan
        assert "Sort" not in plan, plan
