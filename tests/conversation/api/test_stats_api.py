from conversation.sessions.create import session_create
from tests.helpers import say


def test_it_answers_the_users_totals(api, owner, outsider, django_assert_num_queries):
    session = session_create(user=owner)
    say(owner, session, "q")
    say(owner, session, "a", role="assistant")
    session_create(user=outsider)
    with django_assert_num_queries(2):
        body = api.get("/api/stats/").json()
    assert body == {
        "sessions": 1,
        "today": 1,
        "this_week": 1,
        "messages": 2,
        "messages_by_role": {"user": 1, "assistant": 1, "system": 0},
    }
