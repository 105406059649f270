from tests.helpers import say


def test_it_answers_the_window_and_whether_it_was_cached(api, owner, session, settings):
    settings.CONTEXT_WINDOW_SIZE = 2
    say(owner, session, "one", "two", "three")
    first = api.get(f"/api/sessions/{session.pk}/context/").json()
    assert first["messages"] == [
        {"role": "user", "text": "two", "seq": 2, "tokens": 1},
        {"role": "user", "text": "three", "seq": 3, "tokens": 1},
    ]
    assert (first["size"], first["first_seq"], first["cached"], first["summary"]) == (2, 2, False, None)
    assert api.get(f"/api/sessions/{session.pk}/context/").json()["cached"] is True


def test_a_cached_window_costs_three_queries(api, owner, session, django_assert_num_queries):
    say(owner, session, "one")
    api.get(f"/api/sessions/{session.pk}/context/")
    with django_assert_num_queries(3):  # token, session, the branch's summary
        assert api.get(f"/api/sessions/{session.pk}/context/").json()["cached"]


def test_another_users_session_is_not_found(outsider_api, session):
    assert outsider_api.get(f"/api/sessions/{session.pk}/context/").status_code == 404
