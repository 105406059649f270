import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from conversation.folders.services import folder_create, sessions_move_to_folder
from conversation.models import Session
from conversation.sessions.create import session_create
from conversation.sessions.lifecycle import session_trash
from conversation.tags.services import sessions_tag

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


def folder_of(session):
    folder_id = Session.objects.get(pk=session.pk).folder_id
    return str(folder_id) if folder_id else None


def tags_of(session):
    return Session.objects.get(pk=session.pk).tag_names


def test_move_puts_the_chats_in_the_folder_and_its_undo_puts_each_back_where_it_was(api, owner, outsider):
    a, b = folder_create(user=owner, name="A"), folder_create(user=owner, name="B")
    in_a, loose, in_b = sorted((session_create(user=owner) for _ in range(3)), key=lambda s: str(s.pk))
    sessions_move_to_folder(user=owner, session_ids=[in_a.pk], folder_id=a.pk)
    sessions_move_to_folder(user=owner, session_ids=[in_b.pk], folder_id=b.pk)
    theirs = session_create(user=outsider)
    ids = [str(s.pk) for s in (in_a, loose, in_b, theirs)]

    answer = api.post(URL, {"ids": ids, "action": "move", "folder": str(b.pk)}, format="json").json()

    assert (answer["done"], answer["not_found"]) == (3, [str(theirs.pk)])
    assert answer["changed"] == [str(in_a.pk), str(loose.pk)]
    assert [folder_of(s) for s in (in_a, loose, in_b)] == [str(b.pk)] * 3
    assert folder_of(theirs) is None
    assert sorted(answer["undo"], key=lambda body: body["ids"]) == [
        {"action": "move", "folder": str(a.pk), "ids": [str(in_a.pk)]},
        {"action": "move", "folder": None, "ids": [str(loose.pk)]},
    ]
    for body in answer["undo"]:
        assert api.post(URL, body, format="json").status_code == 200
    assert [folder_of(s) for s in (in_a, loose, in_b)] == [str(a.pk), None, str(b.pk)]


def test_a_move_into_another_users_folder_is_a_404_and_moves_nothing(api, owner, outsider, session):
    theirs = folder_create(user=outsider, name="Theirs")
    for folder in (str(theirs.pk), "not-a-folder"):
        for ids in ([str(session.pk)], [str(uuid.uuid4())]):  # with or without a chat to move
            response = api.post(URL, {"ids": ids, "action": "move", "folder": folder}, format="json")
            assert response.status_code == 404, (folder, ids)
    assert folder_of(session) is None


def test_tag_answers_an_undo_that_untags_only_the_chats_that_did_not_have_the_tag(api, owner, outsider):
    had, fresh = sorted((session_create(user=owner) for _ in range(2)), key=lambda s: str(s.pk))
    sessions_tag(user=owner, session_ids=[had.pk], names=["work"])
    theirs = session_create(user=outsider)
    ids = [str(had.pk), str(fresh.pk), str(theirs.pk)]

    answer = api.post(URL, {"ids": ids, "action": "tag", "tags": ["Work", "urgent"]}, format="json").json()

    assert answer["not_found"] == [str(theirs.pk)]
    assert (tags_of(had), tags_of(fresh), tags_of(theirs)) == (["urgent", "work"], ["urgent", "work"], [])
    assert answer["undo"] == [
        {"action": "untag", "tags": ["Work"], "ids": [str(fresh.pk)]},
        {"action": "untag", "tags": ["urgent"], "ids": [str(had.pk), str(fresh.pk)]},
    ]
    for body in answer["undo"]:
        assert api.post(URL, body, format="json").status_code == 200
    assert (tags_of(had), tags_of(fresh)) == (["work"], [])


def test_untag_answers_an_undo_that_tags_again_only_the_chats_that_had_the_tag(api, owner):
    had, bare = sorted((session_create(user=owner) for _ in range(2)), key=lambda s: str(s.pk))
    sessions_tag(user=owner, session_ids=[had.pk], names=["work", "home"])
    answer = api.post(URL, {"ids": [str(had.pk), str(bare.pk)], "action": "untag", "tags": ["WORK"]}, format="json")
    assert (tags_of(had), tags_of(bare)) == (["home"], [])
    assert answer.json()["undo"] == [{"action": "tag", "tags": ["WORK"], "ids": [str(had.pk)]}]
    api.post(URL, answer.json()["undo"][0], format="json")
    assert (tags_of(had), tags_of(bare)) == (["home", "work"], [])


def test_a_tag_past_a_limit_is_a_400_and_tags_nothing(api, owner, session, settings):
    settings.MAX_TAGS_PER_SESSION = 2
    response = api.post(URL, {"ids": [str(session.pk)], "action": "tag", "tags": ["a", "b", "c"]}, format="json")
    assert response.status_code == 400
    assert tags_of(session) == []


@pytest.mark.parametrize(
    "body",
    [{"action": "move", "folder": None}, {"action": "tag", "tags": ["t"]}, {"action": "untag", "tags": ["t"]}],
)
def test_move_and_tags_make_as_many_queries_for_eighty_chats_as_for_two(api, owner, body):
    few = [str(session_create(user=owner).pk) for _ in range(2)]
    many = [str(session_create(user=owner).pk) for _ in range(80)]
    folder = folder_create(user=owner, name="F")
    sessions_move_to_folder(user=owner, session_ids=few + many, folder_id=folder.pk)
    sessions_tag(user=owner, session_ids=few + many, names=["other"])
    sessions_tag(user=owner, session_ids=[session_create(user=owner).pk], names=["t"])  # no new tag: same work
    counts = []
    for ids in (few, many):
        with CaptureQueriesContext(connection) as queries:
            assert api.post(URL, {"ids": ids, **body}, format="json").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
