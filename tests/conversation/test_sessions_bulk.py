import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from chatproject import live
from conversation.models import Session, Utterance
from conversation.sessions.bulk import sessions_bulk
from conversation.sessions.create import session_create, session_update
from conversation.sessions.lifecycle import session_trash
from tests.helpers import say


def make(owner, n: int) -> list[Session]:
    sessions = [session_create(user=owner, title=f"s{i}") for i in range(n)]
    for session in sessions:
        say(owner, session, "hello")
    return sessions


def states(sessions) -> list[tuple[bool, bool, bool]]:
    rows = Session.objects.in_bulk([s.pk for s in sessions])
    return [
        (rows[s.pk].pinned_at is not None, rows[s.pk].archived_at is not None, rows[s.pk].deleted_at is not None)
        for s in sessions
    ]


@pytest.mark.parametrize(
    ("action", "state"),
    [("pin", (True, False, False)), ("archive", (False, True, False)), ("trash", (False, False, True))],
)
def test_each_action_applies_to_every_session_named(owner, action, state):
    sessions = make(owner, 3)
    result = sessions_bulk(user=owner, session_ids=[str(s.pk) for s in sessions], action=action)
    assert (result.done, result.not_found) == (3, [])
    assert states(sessions) == [state] * 3


def test_the_undoing_actions_take_it_back_and_keep_everything_else(owner):
    sessions = make(owner, 3)
    ids = [str(s.pk) for s in sessions]
    for action in ("pin", "archive", "trash", "restore", "unarchive", "unpin"):
        assert sessions_bulk(user=owner, session_ids=ids, action=action).done == 3
    assert states(sessions) == [(False, False, False)] * 3
    assert list(Session.objects.values_list("message_count", flat=True)) == [1, 1, 1]


def test_a_first_pin_keeps_its_time(owner):
    [session] = make(owner, 1)
    session_update(user=owner, session_id=session.pk, pinned=True)
    first = Session.objects.get(pk=session.pk).pinned_at
    sessions_bulk(user=owner, session_ids=[str(session.pk)], action="pin")
    assert Session.objects.get(pk=session.pk).pinned_at == first


def test_other_users_malformed_and_missing_ids_are_not_found_and_untouched(owner, outsider):
    mine = make(owner, 2)
    theirs = session_create(user=outsider)
    missing = str(uuid.uuid4())
    ids = [str(mine[0].pk), str(theirs.pk), "not-an-id", missing, str(mine[1].pk), str(mine[0].pk)]
    result = sessions_bulk(user=owner, session_ids=ids, action="archive")
    assert result.done == 2
    assert sorted(result.not_found) == sorted([str(theirs.pk), "not-an-id", missing])
    assert Session.objects.get(pk=theirs.pk).archived_at is None


def test_sessions_in_the_trash_are_found_only_by_restore_and_purge(owner):
    live, trashed = make(owner, 2)
    session_trash(user=owner, session_id=trashed.pk)
    ids = [str(live.pk), str(trashed.pk)]
    assert sessions_bulk(user=owner, session_ids=ids, action="pin").not_found == [str(trashed.pk)]
    assert sessions_bulk(user=owner, session_ids=ids, action="restore").done == 2
    assert sessions_bulk(user=owner, session_ids=ids, action="purge").done == 2
    assert not Session.objects.exists()
    assert not Utterance.objects.exists()


def test_it_is_all_or_nothing(owner, monkeypatch):
    sessions = make(owner, 3)

    def fail(events):
        raise RuntimeError("the announcement could not be queued")

    monkeypatch.setattr(live, "publish_after_commit", fail)
    with pytest.raises(RuntimeError):
        sessions_bulk(user=owner, session_ids=[str(s.pk) for s in sessions], action="trash")
    assert states(sessions) == [(False, False, False)] * 3


@pytest.mark.parametrize("action", ["archive", "purge"])
def test_its_queries_do_not_grow_with_the_number_of_sessions(owner, action):
    def count(sessions) -> int:
        with CaptureQueriesContext(connection) as captured:
            sessions_bulk(user=owner, session_ids=[str(s.pk) for s in sessions], action=action)
        return len(captured.captured_queries)

    assert count(make(owner, 2)) == count(make(owner, 60))
