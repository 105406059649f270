from conversation.context import context_window_rebuild
from conversation.sessions.lifecycle import session_clear, session_delete
from tests.helpers import say


def test_it_returns_the_last_n_final_utterances_oldest_first(owner, session, settings, django_assert_num_queries):
    settings.CONTEXT_WINDOW_SIZE = 5
    say(owner, session, *[f"m{n}" for n in range(1, 31)])
    say(owner, session, "interim", is_final=False)
    with django_assert_num_queries(1):
        epoch, last_seq, window = context_window_rebuild(session_id=session.pk)
    assert window == [{"role": "user", "text": f"m{n}", "seq": n, "tokens": 2} for n in range(26, 31)]
    assert (epoch, last_seq) == (0, 31)


def test_a_cleared_session_has_an_empty_window_of_a_new_epoch(owner, session):
    say(owner, session, "a")
    session_clear(user=owner, session_id=session.pk)
    assert context_window_rebuild(session_id=session.pk) == (1, 1, [])


def test_a_session_that_is_gone_has_no_window(owner, session):
    session_delete(user=owner, session_id=session.pk)
    assert context_window_rebuild(session_id=session.pk) is None
