from django.db import connection
from django.test.utils import CaptureQueriesContext

from conversation.models import Session
from conversation.sessions.create import session_create, session_update


def archived(user, title: str) -> Session:
    session = session_create(user=user, title=title)
    return session_update(user=user, session_id=session.pk, archived=True)


def test_it_lists_only_the_users_archived_chats(owner, outsider, owner_client):
    archived(owner, "older")
    archived(owner, "newer")
    archived(outsider, "theirs")
    session_create(user=owner, title="live one")
    body = owner_client.get("/archived/").content.decode()
    assert body.index("newer") < body.index("older")
    assert "theirs" not in body
    assert "live one" not in body


def test_unarchive_puts_the_chat_back_and_says_so(owner, owner_client):
    session = archived(owner, "Back again")
    response = owner_client.post(f"/archived/{session.pk}/unarchive/", follow=True)
    assert "“Back again” is back in your chats." in response.content.decode()
    session.refresh_from_db()
    assert session.archived_at is None


def test_another_users_chat_is_404_and_untouched(owner, outsider_client):
    session = archived(owner, "mine")
    assert outsider_client.post(f"/archived/{session.pk}/unarchive/").status_code == 404
    assert Session.objects.get(pk=session.pk).archived_at is not None


def test_the_page_makes_the_same_number_of_queries_for_3_and_60_chats(owner, owner_client):
    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert owner_client.get("/archived/").status_code == 200
        return len(captured.captured_queries)

    for n in range(3):
        archived(owner, f"few {n}")
    few = count()
    for n in range(57):
        archived(owner, f"many {n}")
    assert count() == few
    assert owner_client.get("/archived/", {"cursor": "garbage"}).status_code == 400
