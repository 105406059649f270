from django.db import connection
from django.test.utils import CaptureQueriesContext

from conversation.models import Session, SessionAudit
from conversation.sessions.create import session_create
from conversation.sessions.lifecycle import session_trash


def trashed(user, title: str) -> Session:
    session = session_create(user=user, title=title)
    session_trash(user=user, session_id=session.pk)
    return session


def test_it_lists_only_the_users_trash_newest_deletion_first(owner, outsider, owner_client):
    trashed(owner, "older")
    trashed(owner, "newer")
    trashed(outsider, "theirs")
    session_create(user=owner, title="live one")
    body = owner_client.get("/trash/").content.decode()
    assert body.index("newer") < body.index("older")
    assert "theirs" not in body
    assert "live one" not in body


def test_restore_puts_the_chat_back_and_says_so(owner, owner_client):
    session = trashed(owner, "Back again")
    response = owner_client.post(f"/trash/{session.pk}/restore/", follow=True)
    assert "Restored “Back again”." in response.content.decode()
    session.refresh_from_db()
    assert session.deleted_at is None


def test_delete_forever_takes_only_what_is_in_the_trash(owner, owner_client):
    session = trashed(owner, "Gone")
    live = session_create(user=owner, title="Live")
    assert owner_client.post(f"/trash/{live.pk}/delete/").status_code == 404
    assert owner_client.post(f"/trash/{session.pk}/delete/").status_code == 302
    assert list(Session.objects.values_list("title", flat=True)) == ["Live"]
    assert SessionAudit.objects.filter(action="purge", session_id=session.pk).exists()


def test_empty_removes_the_users_trash_only(owner, outsider, owner_client):
    trashed(owner, "a")
    trashed(owner, "b")
    theirs = trashed(outsider, "theirs")
    response = owner_client.post("/trash/empty/", follow=True)
    assert "Emptied the trash: 2 chats deleted for good." in response.content.decode()
    assert list(Session.objects.values_list("pk", flat=True)) == [theirs.pk]


def test_another_users_chat_is_404_and_untouched(outsider, owner, outsider_client):
    session = trashed(owner, "mine")
    assert outsider_client.post(f"/trash/{session.pk}/restore/").status_code == 404
    assert outsider_client.post(f"/trash/{session.pk}/delete/").status_code == 404
    assert Session.objects.get(pk=session.pk).deleted_at is not None


def test_the_actions_take_post_only(owner, owner_client):
    session = trashed(owner, "x")
    assert owner_client.get(f"/trash/{session.pk}/restore/").status_code == 405
    assert owner_client.get("/trash/empty/").status_code == 405
    assert owner_client.get("/trash/", {"cursor": "garbage"}).status_code == 400


def test_the_page_makes_the_same_number_of_queries_for_3_and_60_chats(owner, owner_client):
    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert owner_client.get("/trash/").status_code == 200
        return len(captured.captured_queries)

    for n in range(3):
        trashed(owner, f"few {n}")
    few = count()
    for n in range(57):
        trashed(owner, f"many {n}")
    assert count() == few


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get("/trash/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]
