import pytest

from conversation.models import Utterance
from tests.helpers import say


def url(session) -> str:
    return f"/api/sessions/{session.pk}/utterances/"


def test_it_appends_a_batch_in_order(api, session):
    payload = {"utterances": [{"role": "user", "text": "hi", "client_id": "c1"}, {"role": "agent", "text": "hello"}]}
    response = api.post(url(session), payload, format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["created"] == 2
    assert [(u["seq"], u["role"]) for u in body["utterances"]] == [(1, "user"), (2, "assistant")]
    assert body["session"]["message_count"] == 2


def test_a_bare_utterance_is_appended_too(api, session):
    response = api.post(url(session), {"role": "user", "text": "just one"}, format="json")
    assert response.status_code == 201
    assert response.json()["utterances"][0]["text"] == "just one"


def test_a_retried_batch_answers_200_and_stores_nothing(api, session):
    payload = {"utterances": [{"role": "user", "text": "hi", "client_id": "c1"}]}
    api.post(url(session), payload, format="json")
    again = api.post(url(session), payload, format="json")
    assert again.status_code == 200
    assert again.json()["created"] == 0
    assert Utterance.objects.count() == 1


def test_history_pages_with_links(api, owner, session):
    say(owner, session, *[f"m{n}" for n in range(1, 8)])
    first = api.get(url(session), {"limit": 3}).json()
    assert [u["text"] for u in first["results"]] == ["m5", "m6", "m7"]
    assert first["next"] is None
    older = api.get(first["previous"]).json()
    assert [u["text"] for u in older["results"]] == ["m2", "m3", "m4"]
    newer = api.get(older["next"]).json()
    assert [u["text"] for u in newer["results"]] == ["m5", "m6", "m7"]


def test_interim_utterances_only_when_asked(api, owner, session):
    say(owner, session, "final")
    say(owner, session, "partial", is_final=False)
    assert [u["text"] for u in api.get(url(session)).json()["results"]] == ["final"]
    assert len(api.get(url(session), {"include_interim": "true"}).json()["results"]) == 2


def test_history_makes_a_fixed_number_of_queries(api, owner, session, django_assert_num_queries):
    say(owner, session, *[f"m{n}" for n in range(150)])
    with django_assert_num_queries(3):  # token, session, page
        assert len(api.get(url(session), {"limit": 10}).json()["results"]) == 10
    with django_assert_num_queries(3):
        assert len(api.get(url(session), {"limit": 150}).json()["results"]) == 150


def test_append_makes_a_fixed_number_of_queries(api, session, assert_statements):
    with assert_statements(3):  # token, the append (one statement), the persona of the answered summary
        api.post(url(session), {"utterances": [{"role": "user", "text": "x"}] * 20}, format="json")


@pytest.mark.parametrize("param", ["before", "after"])
@pytest.mark.parametrize("value", ["9223372036854775808", str(2**70), "-1", "1.5"])
def test_a_seq_past_64_bits_or_not_a_whole_number_is_a_400(api, owner, session, param, value):
    say(owner, session, "m1")
    response = api.get(url(session), {param: value})
    assert response.status_code == 400
    assert response.json()["errors"][param]


def test_the_largest_64_bit_seq_pages_from_the_newest(api, owner, session):
    say(owner, session, "m1", "m2")
    response = api.get(url(session), {"before": str(2**63 - 1)})
    assert [u["text"] for u in response.json()["results"]] == ["m1", "m2"]
