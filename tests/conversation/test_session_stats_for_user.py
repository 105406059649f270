from datetime import timedelta

from django.utils import timezone

from conversation import selectors, services
from conversation.models import Session
from tests.helpers import say


def test_it_counts_sessions_and_messages_by_role(owner, outsider, django_assert_num_queries):
    now = timezone.now()
    today = services.session_create(user=owner)
    say(owner, today, "q1", "q2")
    say(owner, today, "a1", role="assistant")
    old = services.session_create(user=owner)
    say(owner, old, "system note", role="system")
    Session.objects.filter(pk=old.pk).update(created_at=now - timedelta(days=30))
    services.session_create(user=outsider)

    with django_assert_num_queries(1):
        stats = selectors.session_stats_for_user(user=owner)
    assert (stats.sessions, stats.today, stats.messages) == (2, 1, 4)
    assert stats.this_week == 1
    assert stats.messages_by_role == {"user": 2, "assistant": 1, "system": 1}


def test_a_user_with_nothing_gets_zeros(owner):
    stats = selectors.session_stats_for_user(user=owner)
    assert (stats.sessions, stats.today, stats.this_week, stats.messages) == (0, 0, 0, 0)
    assert stats.messages_by_role == {"user": 0, "assistant": 0, "system": 0}
