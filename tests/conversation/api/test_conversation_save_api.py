import uuid

from conversation.models import Session, Utterance

URL = "/api/sessions/save/"


def voice_payload(session_id) -> dict:
    """Exactly what the voice agent of seeds/004 sends."""
    return {
        "session_id": str(session_id),
        "messages": [
            {"role": "user", "text": "Hello, I want to plan a trip", "timestamp": 1763726400000},
            {"role": "agent", "text": "Sure! Where to?", "timestamp": 1763726401456},
            {"role": "user", "text": "yes", "timestamp": 1763726402000},
            {"role": "user", "text": "yes", "timestamp": 1763726403000},
        ],
    }


def test_it_accepts_the_voice_agents_payload_unchanged(api, owner):
    session_id = uuid.uuid4()
    response = api.post(URL, voice_payload(session_id), format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == str(session_id)
    assert (body["message_count"], body["created"]) == (4, 4)
    assert body["counts"] == {"user": 3, "assistant": 1, "system": 0}
    assert body["title"] == "Hello, I want to plan a trip"


def test_a_retried_identical_request_never_duplicates(api):
    session_id = uuid.uuid4()
    for _ in range(3):
        response = api.post(URL, voice_payload(session_id), format="json")
    assert response.json()["created"] == 0
    assert Utterance.objects.filter(session_id=session_id).count() == 4


def test_the_fuller_form_with_client_ids_and_end(api):
    payload = {
        "persona": "technical-support",
        "title": "Wi-Fi",
        "end": True,
        "messages": [
            {"role": "Human", "text": "It drops", "client_id": "a", "is_final": True, "metadata": {"asr": 0.9}},
            {"role": "AI", "text": "Restart it", "client_id": "b", "timestamp": "2026-11-20T10:00:00Z"},
        ],
    }
    body = api.post(URL, payload, format="json").json()
    assert body["ended_at"] is not None
    assert (body["persona"]["slug"], body["title"]) == ("technical-support", "Wi-Fi")
    assert body["counts"] == {"user": 1, "assistant": 1, "system": 0}
    again = api.post(URL, {**payload, "session_id": body["id"]}, format="json").json()
    assert again["created"] == 0


def test_it_creates_a_session_when_no_id_is_given(api, owner):
    body = api.post(URL, {"messages": [{"role": "user", "text": "hi"}]}, format="json").json()
    assert Session.objects.get(pk=body["id"]).user == owner


def test_another_users_session_is_not_found(api, outsider_api):
    session_id = uuid.uuid4()
    api.post(URL, voice_payload(session_id), format="json")
    response = outsider_api.post(URL, voice_payload(session_id), format="json")
    assert response.status_code == 404
    assert Utterance.objects.count() == 4


def test_a_purged_id_is_never_given_to_another_user(api, outsider_api, django_capture_on_commit_callbacks):
    session_id = uuid.uuid4()
    api.post(URL, voice_payload(session_id), format="json")
    api.get(f"/api/sessions/{session_id}/context/")  # the owner's window is cached
    with django_capture_on_commit_callbacks(execute=True):
        assert api.delete(f"/api/sessions/{session_id}/?permanent=true").status_code == 204

    response = outsider_api.post(URL, voice_payload(session_id), format="json")
    assert response.status_code == 409
    assert "cannot be used again" in response.json()["detail"]
    assert not Session.objects.filter(pk=session_id).exists()
    assert outsider_api.get(f"/api/sessions/{session_id}/context/").status_code == 404


def test_its_owner_may_save_under_a_purged_id_again(api):
    session_id = uuid.uuid4()
    api.post(URL, voice_payload(session_id), format="json")
    assert api.delete(f"/api/sessions/{session_id}/?permanent=true").status_code == 204
    response = api.post(URL, voice_payload(session_id), format="json")
    assert (response.status_code, response.json()["created"]) == (200, 4)
    assert api.delete(f"/api/sessions/{session_id}/?permanent=true").status_code == 204  # and purge it again
