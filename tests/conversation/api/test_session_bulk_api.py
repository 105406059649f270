from conversation.models import Session
from conversation.sessions.create import session_create
from conversation.sessions.lifecycle import session_trash

URL = "/api/sessions/bulk/"


def test_it_answers_what_was_done_and_what_was_not_found(api, owner, outsider):
    mine = [session_create(user=owner) for _ in range(2)]
    theirs = session_create(user=outsider)
    ids = [str(mine[0].pk), str(mine[1].pk), str(theirs.pk)]
    response = api.post(URL, {"ids": ids, "action": "archive"}, format="json")
    assert (response.status_code, response.json()) == (200, {"done": 2, "not_found": [str(theirs.pk)]})
    assert api.get("/api/sessions/", {"view": "archived"}).json()["results"][0]["archived_at"] is not None
    assert Session.objects.get(pk=theirs.pk).archived_at is None


def test_bad_input_is_a_clear_400_and_changes_nothing(api, owner, session):
    for body in (
        {"ids": [str(session.pk)], "action": "explode"},
        {"ids": [], "action": "trash"},
        {"ids": str(session.pk), "action": "trash"},
        {"ids": [str(session.pk)] * 501, "action": "trash"},
        {"ids": [7], "action": "trash"},
        {"action": "trash"},
    ):
        response = api.post(URL, body, format="json")
        assert response.status_code == 400, body
        assert response.json()["errors"], body
    session.refresh_from_db()
    assert session.deleted_at is None


def test_purge_answers_the_count_and_removes_for_good(api, owner):
    sessions = [session_create(user=owner) for _ in range(3)]
    session_trash(user=owner, session_id=sessions[0].pk)
    response = api.post(URL, {"ids": [str(s.pk) for s in sessions], "action": "purge"}, format="json")
    assert response.json() == {"done": 3, "not_found": []}
    assert not Session.objects.exists()


def test_it_makes_a_fixed_number_of_queries(api, owner, django_assert_num_queries):
    few = [str(session_create(user=owner).pk) for _ in range(2)]
    many = [str(session_create(user=owner).pk) for _ in range(80)]
    with django_assert_num_queries(5):  # the token; in a savepoint: lock, update
        api.post(URL, {"ids": few, "action": "pin"}, format="json")
    with django_assert_num_queries(5):
        api.post(URL, {"ids": many, "action": "pin"}, format="json")
