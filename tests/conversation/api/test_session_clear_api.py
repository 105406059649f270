from conversation.models import Utterance
from tests.helpers import say


def test_it_clears_and_keeps_the_session(api, owner, session):
    say(owner, session, "one", "two")
    response = api.post(f"/api/sessions/{session.pk}/clear/")
    assert response.status_code == 200
    assert response.json()["message_count"] == 0
    assert not Utterance.objects.exists()
    after = api.post(f"/api/sessions/{session.pk}/utterances/", {"role": "user", "text": "three"}, format="json")
    assert after.json()["utterances"][0]["seq"] == 3


def test_another_users_session_is_not_found(outsider_api, owner, session):
    say(owner, session, "keep")
    assert outsider_api.post(f"/api/sessions/{session.pk}/clear/").status_code == 404
    assert Utterance.objects.count() == 1
