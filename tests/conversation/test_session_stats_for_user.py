from datetime import timedelta

from django.utils import timezone

from conversation.models import Session
from conversation.sessions.create import session_create
from conversation.sessions.lists import session_stats_for_user
from tests.helpers import say


def test_it_counts_sessions_and_messages_by_role(owner, outsider, django_assert_num_queries):
    now = timezone.now()
    today = session_create(user=owner)
    say(owner, today, "q1", "q2")
    say(owner, today, "a1", role="assistant")
    old = session_create(user=owner)
    say(owner, old, "system note", role="system")
    Session.objects.filter(pk=old.pk).update(created_at=now - timedelta(days=30))
    session_create(user=outsider)

    with django_assert_num_queries(1):
        stats = session_stats_for_user(user=owner)
    assert (stats.sessions, stats.today, stats.messages) == (2, 1, 4)
    assert stats.this_week == 1
    assert stats.messages_by_role == {"user": 2, "assistant": 1, "system": 1}


def test_a_user_with_nothing_gets_zeros(owner):
    stats = session_stats_for_user(user=owner)
    assert (stats.sessions, stats.today, stats.this_week, stats.messages) == (0, 0, 0, 0)
    assert stats.messages_by_role == {"user": 0, "assistant": 0, "system": 0}
