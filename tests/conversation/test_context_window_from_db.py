from conversation import selectors, services
from tests.conversation.conftest import say


def test_it_returns_the_last_n_final_utterances_oldest_first(owner, session, django_assert_num_queries):
    say(owner, session, *[f"m{n}" for n in range(1, 31)])
    say(owner, session, "interim", is_final=False)
    with django_assert_num_queries(1):
        window = selectors.context_window_from_db(session_id=session.pk, size=5)
    assert window == [{"role": "user", "text": f"m{n}", "seq": n} for n in range(26, 31)]


def test_it_defaults_to_the_configured_size(owner, session, settings):
    settings.CONTEXT_WINDOW_SIZE = 3
    say(owner, session, "a", "b", "c", "d")
    assert [m["text"] for m in selectors.context_window_from_db(session_id=session.pk)] == ["b", "c", "d"]


def test_a_cleared_session_has_an_empty_window(owner, session):
    say(owner, session, "a")
    services.session_clear(user=owner, session_id=session.pk)
    assert selectors.context_window_from_db(session_id=session.pk) == []
