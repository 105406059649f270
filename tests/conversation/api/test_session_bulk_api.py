import uuid

import pytest

from conversation.models import Session
from conversation.sessions.create import session_create
from conversation.sessions.lifecycle import session_trash

URL = "/api/sessions/bulk/"


def test_it_answers_what_was_done_and_what_was_not_found(api, owner, outsider):
    mine = [session_create(user=owner) for _ in range(2)]
    theirs = session_create(user=outsider)
    ids = [*sorted(str(s.pk) for s in mine), str(theirs.pk)]  # the changed ones answer in id order
    response = api.post(URL, {"ids": ids, "action": "archive"}, format="json")
    assert response.status_code == 200
    assert response.json() == {
        "done": 2,
        "not_found": [str(theirs.pk)],
        "changed": ids[:2],
        "undo": [{"action": "unarchive", "ids": ids[:2]}],
    }
    assert api.get("/api/sessions/", {"view": "archived"}).json()["results"][0]["archived_at"] is not None
    assert Session.objects.get(pk=theirs.pk).archived_at is None


def test_bad_input_is_a_clear_400_and_changes_nothing(api, owner, session):
    for body in (
        {"ids": [str(session.pk)], "action": "explode"},
        {"ids": [], "action": "trash"},
        {"ids": str(session.pk), "action": "trash"},
        {"ids": [str(session.pk)] * 1001, "action": "trash"},
        {"ids": [str(session.pk)], "action": "move"},
        {"ids": [str(session.pk)], "action": "tag"},
        {"ids": [str(session.pk)], "action": "untag", "tags": []},
        {"ids": [str(session.pk)], "action": "tag", "tags": ["x" * 51]},
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
    assert response.json() == {"done": 3, "not_found": [], "changed": [], "undo": []}
    assert not Session.objects.exists()


def test_it_makes_a_fixed_number_of_queries(api, owner, django_assert_num_queries):
    few = [str(session_create(user=owner).pk) for _ in range(2)]
    many = [str(session_create(user=owner).pk) for _ in range(80)]
    with django_assert_num_queries(5):  # the token; in a savepoint: lock, update
        api.post(URL, {"ids": few, "action": "pin"}, format="json")
    with django_assert_num_queries(5):
        api.post(URL, {"ids": many, "action": "pin"}, format="json")


@pytest.mark.parametrize(("action", "undo"), [("archive", "unarchive"), ("pin", "unpin"), ("trash", "restore")])
def test_its_undo_takes_back_exactly_the_sessions_it_changed(api, owner, action, undo):
    sessions = sorted((session_create(user=owner) for _ in range(4)), key=lambda s: str(s.pk))
    ids = [str(s.pk) for s in sessions]
    api.post(URL, {"ids": ids[:1], "action": action}, format="json")  # already so before: kept so by the undo
    before = snapshot(sessions)
    answer = api.post(URL, {"ids": ids, "action": action}, format="json").json()
    assert answer["changed"] == ids[1:]
    assert answer["undo"] == [{"action": undo, "ids": ids[1:]}]
    for body in answer["undo"]:
        assert api.post(URL, body, format="json").status_code == 200
    assert snapshot(sessions) == before


def test_a_thousand_ids_are_one_action(api, owner):
    # bench/bulk.py times 1,000 real chats; here, the limit: 1,000 ids are accepted, 1,001 refused above.
    mine = str(session_create(user=owner).pk)
    ids = [mine] + [str(uuid.uuid4()) for _ in range(999)]
    answer = api.post(URL, {"ids": ids, "action": "archive"}, format="json").json()
    assert (answer["done"], len(answer["not_found"]), answer["changed"]) == (1, 999, [mine])


def snapshot(sessions):
    rows = Session.objects.in_bulk([s.pk for s in sessions])
    return [
        (rows[s.pk].pinned_at is not None, rows[s.pk].archived_at is not None, rows[s.pk].deleted_at is not None)
        for s in sessions
    ]
