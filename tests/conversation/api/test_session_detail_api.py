from conversation import services
from conversation.models import Session, Utterance
from tests.helpers import say


def url(session) -> str:
    return f"/api/sessions/{session.pk}/"


def test_it_shows_the_session_with_counts_per_role(api, owner, session, django_assert_num_queries):
    say(owner, session, "q1", "q2")
    say(owner, session, "a1", role="assistant")
    with django_assert_num_queries(2):
        response = api.get(url(session))
    body = response.json()
    assert response.status_code == 200
    assert body["counts"] == {"user": 2, "assistant": 1, "system": 0}
    assert (body["message_count"], body["last_seq"], body["title"]) == (3, 3, "q1")


def test_it_renames_and_changes_persona(api, owner, session):
    response = api.patch(url(session), {"title": "Renamed", "persona": "creative-writer"}, format="json")
    assert response.status_code == 200
    assert (response.json()["title"], response.json()["persona"]["slug"]) == ("Renamed", "creative-writer")


def test_it_deletes_with_all_utterances(api, owner, session):
    say(owner, session, "bye")
    assert api.delete(url(session)).status_code == 204
    assert not Session.objects.exists()
    assert not Utterance.objects.exists()


def test_another_users_session_looks_missing(outsider_api, session):
    response = outsider_api.get(url(session))
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}
    assert outsider_api.delete(url(session)).status_code == 404
    assert Session.objects.filter(pk=session.pk).exists()


def test_a_malformed_id_looks_missing_too(api):
    response = api.get("/api/sessions/not-a-uuid/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_session_ids_from_the_service_round_trip(api, owner):
    session = services.session_create(user=owner)
    assert api.get(url(session)).json()["id"] == str(session.pk)
