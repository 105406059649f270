from django.db import connection
from django.test.utils import CaptureQueriesContext

from conversation.models import Session, Utterance
from conversation.sessions.create import session_create
from conversation.sessions.lifecycle import session_trash
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


def test_it_pins_and_archives_and_takes_both_back(api, owner, session):
    body = api.patch(url(session), {"pinned": True, "archived": True}, format="json").json()
    assert body["pinned_at"] is not None
    assert body["archived_at"] is not None
    body = api.patch(url(session), {"pinned": False, "archived": False}, format="json").json()
    assert (body["pinned_at"], body["archived_at"], body["deleted_at"]) == (None, None, None)


def test_pinned_and_archived_take_booleans_only_and_write_nothing_otherwise(api, session):
    for bad in ({"pinned": "yes"}, {"archived": None}, {"pinned": 1}, {"title": "New", "archived": "true"}):
        response = api.patch(url(session), bad, format="json")
        assert response.status_code == 400, bad
        assert set(response.json()["errors"]) & {"pinned", "archived"}, response.json()
    session.refresh_from_db()
    assert (session.title, session.pinned_at, session.archived_at) == ("", None, None)


def test_pinning_costs_the_same_queries_whatever_the_sessions_size(api, owner, session):
    def count(target) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert api.patch(url(target), {"pinned": True, "archived": True}, format="json").status_code == 200
        return len(captured.captured_queries)

    say(owner, session, *[f"m{n}" for n in range(300)])
    for n in range(30):
        session_create(user=owner, title=f"other {n}")
    # the token; in a savepoint (the test runs in a transaction): the locked session, its update
    assert count(session) == count(session_create(user=owner)) == 5


def test_delete_moves_to_the_trash_and_restore_brings_it_back(api, owner, session):
    say(owner, session, "bye")
    assert api.delete(url(session)).status_code == 204
    assert api.get(url(session)).status_code == 404
    [row] = api.get("/api/sessions/", {"view": "trash"}).json()["results"]
    assert (row["id"], row["deleted_at"] is not None, row["message_count"]) == (str(session.pk), True, 1)
    response = api.post(f"{url(session)}restore/")
    assert response.status_code == 200
    assert (response.json()["deleted_at"], response.json()["message_count"]) == (None, 1)
    assert api.get(url(session)).status_code == 200
    assert api.post(f"{url(session)}restore/").status_code == 200  # a retried restore answers the same


def test_permanent_delete_removes_it_with_all_utterances_from_the_trash_or_not(api, owner, session):
    say(owner, session, "bye")
    other = session_create(user=owner)
    say(owner, other, "too")
    session_trash(user=owner, session_id=other.pk)
    assert api.delete(f"{url(session)}?permanent=true").status_code == 204
    assert api.delete(f"{url(other)}?permanent=true").status_code == 204
    assert not Session.objects.exists()
    assert not Utterance.objects.exists()


def test_permanent_takes_true_or_false_only(api, session):
    response = api.delete(f"{url(session)}?permanent=yes")
    assert response.status_code == 400
    assert "permanent" in response.json()["errors"]
    session.refresh_from_db()
    assert session.deleted_at is None


def test_emptying_the_trash_answers_what_it_removed(api, owner, outsider):
    for n in range(3):
        doomed = session_create(user=owner)
        say(owner, doomed, *["x"] * (n + 1))
        session_trash(user=owner, session_id=doomed.pk)
    theirs = session_create(user=outsider)
    session_trash(user=outsider, session_id=theirs.pk)
    response = api.delete("/api/trash/")
    assert (response.status_code, response.json()) == (200, {"sessions": 3, "utterances": 6})
    assert api.get("/api/sessions/", {"view": "trash"}).json()["results"] == []
    assert Session.objects.filter(pk=theirs.pk).exists()


def test_another_users_session_looks_missing(outsider_api, session):
    response = outsider_api.get(url(session))
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}
    assert outsider_api.delete(url(session)).status_code == 404
    assert outsider_api.patch(url(session), {"pinned": True}, format="json").status_code == 404
    assert Session.objects.filter(pk=session.pk).exists()


def test_a_malformed_id_looks_missing_too(api):
    response = api.get("/api/sessions/not-a-uuid/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_session_ids_from_the_service_round_trip(api, owner):
    session = session_create(user=owner)
    assert api.get(url(session)).json()["id"] == str(session.pk)
