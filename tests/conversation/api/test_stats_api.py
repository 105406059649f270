from datetime import timedelta

from django.utils import timezone

from conversation.sessions.create import session_create
from conversation.usage.services import usage_record
from tests.helpers import say


def test_it_answers_the_users_totals(api, owner, outsider, django_assert_num_queries):
    session = session_create(user=owner)
    say(owner, session, "q")
    say(owner, session, "a", role="assistant")
    session_create(user=outsider)
    with django_assert_num_queries(3):  # the token, the sessions' totals, the tokens' days
        body = api.get("/api/stats/").json()
    assert {key: value for key, value in body.items() if key != "tokens"} == {
        "sessions": 1,
        "today": 1,
        "this_week": 1,
        "messages": 2,
        "messages_by_role": {"user": 1, "assistant": 1, "system": 0},
    }


def test_it_answers_the_tokens_of_the_last_30_days_oldest_first_zero_filled(api, owner, outsider):
    today = timezone.localdate()
    usage_record(user_id=owner.pk, prompt_tokens=100, completion_tokens=10, estimated=False, day=today)
    usage_record(user_id=owner.pk, prompt_tokens=50, completion_tokens=5, estimated=True, day=today)
    usage_record(user_id=owner.pk, prompt_tokens=7, completion_tokens=3, estimated=False, day=today - timedelta(29))
    usage_record(
        user_id=owner.pk, prompt_tokens=1000, completion_tokens=1000, estimated=False, day=today - timedelta(30)
    )
    usage_record(user_id=outsider.pk, prompt_tokens=999, completion_tokens=999, estimated=False, day=today)
    tokens = api.get("/api/stats/").json()["tokens"]
    days = tokens["days"]
    assert [day["day"] for day in days] == [(today - timedelta(29 - n)).isoformat() for n in range(30)]
    assert days[0] == {
        "day": (today - timedelta(29)).isoformat(),
        "prompt_tokens": 7,
        "completion_tokens": 3,
        "calls": 1,
        "estimated_calls": 0,
    }
    assert days[-1] == {
        "day": today.isoformat(),
        "prompt_tokens": 150,
        "completion_tokens": 15,
        "calls": 2,
        "estimated_calls": 1,
    }
    assert all(day["calls"] == day["prompt_tokens"] == 0 for day in days[1:-1])
    assert (tokens["total_prompt_tokens"], tokens["total_completion_tokens"]) == (157, 18)


def test_the_outsider_sees_only_their_own(outsider_api, owner):
    usage_record(user_id=owner.pk, prompt_tokens=100, completion_tokens=10, estimated=False)
    tokens = outsider_api.get("/api/stats/").json()["tokens"]
    assert len(tokens["days"]) == 30
    assert (tokens["total_prompt_tokens"], tokens["total_completion_tokens"]) == (0, 0)
    assert all(day["calls"] == 0 for day in tokens["days"])
