import pytest

from chatproject import live
from conversation.folders.services import folder_create, sessions_move_to_folder
from conversation.models import Folder, Session
from conversation.sessions.create import session_create, session_update
from conversation.sessions.lifecycle import session_trash


def folder_of(session) -> object:
    return Session.objects.get(pk=session.pk).folder_id


def test_it_moves_sessions_into_a_folder_and_out_again(owner):
    folder = folder_create(user=owner, name="Work")
    sessions = [session_create(user=owner) for _ in range(3)]
    result = sessions_move_to_folder(user=owner, session_ids=[s.pk for s in sessions], folder_id=str(folder.pk))
    assert (result.done, result.not_found) == (3, [])
    assert [folder_of(s) for s in sessions] == [folder.pk] * 3
    sessions_move_to_folder(user=owner, session_ids=[sessions[0].pk], folder_id=None)
    assert folder_of(sessions[0]) is None


def test_another_users_sessions_and_the_trash_are_not_found(owner, outsider):
    folder = folder_create(user=owner, name="Work")
    mine, trashed, theirs = session_create(user=owner), session_create(user=owner), session_create(user=outsider)
    session_trash(user=owner, session_id=trashed.pk)
    result = sessions_move_to_folder(
        user=owner, session_ids=[str(mine.pk), str(trashed.pk), str(theirs.pk), "nonsense"], folder_id=folder.pk
    )
    assert result.done == 1
    assert result.not_found == ["nonsense", str(trashed.pk), str(theirs.pk)]
    assert (folder_of(trashed), folder_of(theirs)) == (None, None)


def test_another_users_folder_is_not_found(owner, outsider):
    theirs = folder_create(user=outsider, name="Theirs")
    mine = session_create(user=owner)
    with pytest.raises(Folder.DoesNotExist):
        sessions_move_to_folder(user=owner, session_ids=[mine.pk], folder_id=theirs.pk)
    with pytest.raises(Folder.DoesNotExist):
        session_update(user=owner, session_id=mine.pk, folder=theirs.pk)
    assert folder_of(mine) is None


def test_the_other_tabs_hear_each_moved_row_with_its_folder(owner, monkeypatch):
    folder = folder_create(user=owner, name="Work")
    already = session_create(user=owner, folder=folder.pk)
    moved = session_create(user=owner)
    heard = []
    monkeypatch.setattr(live, "publish_after_commit", heard.extend)
    sessions_move_to_folder(user=owner, session_ids=[already.pk, moved.pk], folder_id=folder.pk)
    ((_, event),) = heard
    assert (event["type"], event["session"]["id"], event["session"]["folder"]) == (
        "session.updated",
        str(moved.pk),
        str(folder.pk),
    )


def test_session_update_moves_one_chat(owner):
    folder = folder_create(user=owner, name="Work")
    session = session_create(user=owner)
    assert session_update(user=owner, session_id=session.pk, folder=str(folder.pk)).folder_id == folder.pk
    assert session_update(user=owner, session_id=session.pk, folder=None).folder_id is None
    assert folder_of(session) is None
