"""usage_days_for_user: the last days up to today, oldest first, zero-filled, in one read of the
(user, day) index."""

from datetime import date, timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext

from conversation.usage.selectors import usage_days_for_user
from conversation.usage.services import usage_record
from tests.helpers import plan_of

TODAY = date(2026, 3, 31)


def test_it_reads_the_window_in_one_query_on_the_users_day_index(owner, outsider, django_assert_num_queries):
    for user in (owner, outsider):
        for ago in range(60):
            usage_record(
                user_id=user.pk, prompt_tokens=ago, completion_tokens=1, estimated=False, day=TODAY - timedelta(ago)
            )
    with CaptureQueriesContext(connection) as queries:
        series = usage_days_for_user(user=owner, today=TODAY)
    assert len(queries) == 1
    plan = plan_of("conversation_tokenusageday", queries[0]["sql"], [])  # its values are in its text
    assert "tokenusageday_user_day_unique" in plan
    assert [d.prompt_tokens for d in series.days] == list(range(29, -1, -1))
    assert series.total_completion_tokens == 30


def test_a_day_without_calls_is_zeros_and_the_days_run_oldest_first(owner):
    usage_record(user_id=owner.pk, prompt_tokens=9, completion_tokens=4, estimated=True, day=TODAY - timedelta(1))
    series = usage_days_for_user(user=owner, days=3, today=TODAY)
    assert [(d.day, d.prompt_tokens, d.completion_tokens, d.calls, d.estimated_calls) for d in series.days] == [
        (date(2026, 3, 29), 0, 0, 0, 0),
        (date(2026, 3, 30), 9, 4, 1, 1),
        (date(2026, 3, 31), 0, 0, 0, 0),
    ]
