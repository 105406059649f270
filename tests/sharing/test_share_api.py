"""The shares API through HTTP: create, list, change, revoke; another user's link or chat a 404."""

import pytest

from sharing.models import Share
from tests.sharing.helpers import chat

pytestmark = pytest.mark.django_db


def create(client, session, **body):
    return client.post("/api/shares/", {"session": str(session.pk), **body}, content_type="application/json")


def test_it_creates_a_link_and_lists_it_without_the_snapshot(owner, owner_client):
    session = chat(owner)
    made = create(
        owner_client, session, audience="named", emails=["Ann@Example.com"], password="pw", display_name="Olive"
    )
    assert made.status_code == 201
    body = made.json()
    assert body["url"] == f"/s/{body['id']}/"
    assert (body["audience"], body["emails"], body["has_password"], body["message_count"]) == (
        "named",
        ["ann@example.com"],
        True,
        2,
    )
    assert "password_hash" not in body
    assert "messages" not in body
    listed = owner_client.get("/api/shares/").json()["results"]
    assert [row["id"] for row in listed] == [body["id"]]
    assert owner_client.get(f"/api/sessions/{session.pk}/share/").json()["results"] == listed


def test_the_chats_own_door_creates_too(owner, owner_client):
    session = chat(owner)
    made = owner_client.post(
        f"/api/sessions/{session.pk}/share/", {"audience": "signed_in"}, content_type="application/json"
    )
    assert made.status_code == 201
    assert made.json()["session"] == str(session.pk)


def test_it_changes_and_revokes_a_link(owner, owner_client):
    share_id = create(owner_client, chat(owner)).json()["id"]
    changed = owner_client.patch(
        f"/api/shares/{share_id}/",
        {"expires_at": "2999-01-01T00:00:00Z", "password": "pw", "update": True},
        content_type="application/json",
    )
    assert changed.status_code == 200
    assert (changed.json()["expires_at"], changed.json()["has_password"]) == ("2999-01-01T00:00:00Z", True)
    cleared = owner_client.patch(f"/api/shares/{share_id}/", {"password": None}, content_type="application/json")
    assert cleared.json()["has_password"] is False
    assert owner_client.delete(f"/api/shares/{share_id}/").status_code == 204
    assert owner_client.get(f"/api/shares/{share_id}/").json()["revoked_at"] is not None
    again = owner_client.patch(f"/api/shares/{share_id}/", {"display_name": "x"}, content_type="application/json")
    assert again.status_code == 400


def test_bad_input_is_a_400_and_writes_nothing(owner, owner_client):
    session = chat(owner)
    for body in (
        {"audience": "everyone"},
        {"audience": "named"},
        {"audience": "named", "emails": ["nope"]},
        {"expires_at": "2000-01-01T00:00:00Z"},
        {"password": 12},
        {"display_name": "x" * 101},
    ):
        answer = create(owner_client, session, **body)
        assert answer.status_code == 400, body
        assert answer.json()["detail"]
    assert not Share.objects.exists()


def test_another_users_link_or_chat_is_not_found(owner, owner_client, outsider_client):
    session = chat(owner)
    share_id = create(owner_client, session).json()["id"]
    assert outsider_client.get(f"/api/shares/{share_id}/").status_code == 404
    assert outsider_client.patch(f"/api/shares/{share_id}/", {}, content_type="application/json").status_code == 404
    assert outsider_client.delete(f"/api/shares/{share_id}/").status_code == 404
    assert outsider_client.get(f"/api/sessions/{session.pk}/share/").status_code == 404
    assert create(outsider_client, session).status_code == 404
    assert outsider_client.get("/api/shares/").json()["results"] == []
    assert Share.objects.get().revoked_at is None


def test_the_list_reads_a_fixed_number_of_queries(owner, owner_client, django_assert_num_queries):
    session = chat(owner)
    create(owner_client, session)
    owner_client.get("/api/shares/")  # the log-in session's first read
    with django_assert_num_queries(3):  # the log-in session, the user, the links
        owner_client.get("/api/shares/")
    for _ in range(3):
        create(owner_client, session)
    with django_assert_num_queries(3):
        assert len(owner_client.get("/api/shares/").json()["results"]) == 4
